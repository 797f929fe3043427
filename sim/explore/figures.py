"""Figures of scenario discovery and of the lever search, drawn for reading rather than for fitting.

Every axis names its quantity and unit (through ``adapter.describe``), every line has a legend
entry, money is shown in 元, 万元 or 亿元 (``units.scale_for``) and ticks never switch to
scientific notation or an offset. Each function returns the figure; ``save`` writes it.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager, ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .adapter import describe as schema_describe  # noqa: E402
from .space import Lever, Objective  # noqa: E402
from .units import Scale, axis_label, decimals_for, plain, scale_for  # noqa: E402

Describe = Callable[[str], tuple[str, str]]


@functools.cache
def cjk_font() -> str | None:
    """The family of an installed font that can draw 万 and 元, if there is one.

    The "Last Resort" font maps every character to a placeholder box, so it does not count.
    """
    from matplotlib.ft2font import FT2Font

    for entry in font_manager.fontManager.ttflist:
        if entry.name.startswith("Last Resort"):
            continue
        try:
            font = FT2Font(entry.fname)
        except (OSError, RuntimeError):
            continue
        if font.get_char_index(ord("万")) and font.get_char_index(ord("元")):
            return entry.name
    return None


@contextmanager
def _style():
    """Matplotlib settings of these figures: a CJK fallback font when one is installed."""
    family = cjk_font()
    settings = {"axes.formatter.useoffset": False, "axes.formatter.limits": (-99, 99)}
    if family is not None:
        settings["font.family"] = ["DejaVu Sans", family]
    with plt.rc_context(settings):
        yield family is not None


class PlainFormatter(ticker.Formatter):
    """Tick labels in positional notation with the fewest decimals that tell the ticks apart."""

    def __init__(self, divisor: float = 1.0) -> None:
        self.divisor = divisor
        self.decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.decimals = decimals_for(np.asarray(locs, dtype=float) / self.divisor, most=6)

    def __call__(self, x, pos=None) -> str:
        return plain(x / self.divisor, self.decimals)


def format_axis(ax, which: str, name: str, values: Sequence[float], describe: Describe, cjk: bool,
                note: str = "") -> Scale:
    """Label one axis with the quantity's name and unit and give it plain (money-scaled) ticks."""
    label, unit = describe(name)
    scale = scale_for(unit, values, cjk)
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(PlainFormatter(scale.divisor))
    text = axis_label(label, scale.unit) + (f" ({note})" if note else "")
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(text)
    return scale


def save(fig: Figure, path: Path, dpi: int = 120) -> Path:
    """Write a figure as PNG without the renderer's software tag (the page stays free of web addresses)."""
    fig.savefig(path, dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return path


def _better(objective: Objective) -> str:
    return "higher is better" if objective.direction == "maximise" else "lower is better"


# Scenario discovery -----------------------------------------------------------------------------


def tradeoff_figure(trajectory: pd.DataFrame, chosen: int, title: str) -> Figure:
    """PRIM's coverage-density trade-off, one colour per number of restricted inputs, the chosen box ringed."""
    with _style():
        fig, ax = plt.subplots(figsize=(7.0, 5.0), layout="constrained")
        ax.plot(trajectory["coverage"], trajectory["density"], color="0.75", linewidth=1, zorder=1,
                label="peeling and pasting trajectory")
        colours = plt.get_cmap("viridis")
        dims = sorted(int(d) for d in trajectory["res_dim"].unique())
        top = max(max(dims), 1)
        for d in dims:
            rows = trajectory[trajectory["res_dim"] == d]
            ax.scatter(rows["coverage"], rows["density"], s=28, color=colours(0.9 * d / top), zorder=2,
                       label=f"{d} restricted input{'s' if d != 1 else ''}")
        box = trajectory.loc[chosen]
        ax.scatter([box["coverage"]], [box["density"]], s=220, facecolors="none", edgecolors="crimson",
                   linewidths=2, zorder=3,
                   label=f"chosen box #{chosen} (coverage {box['coverage']:.0%}, density {box['density']:.0%})")
        ax.set_xlim(-0.02, 1.05)
        ax.set_ylim(-0.02, 1.05)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Coverage [% of all cases of interest that fall in the box]")
        ax.set_ylabel("Density [% of runs in the box that are cases of interest]")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=8)
    return fig


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def box_limits_figure(box: pd.DataFrame, ranges: pd.DataFrame, title: str, describe: Describe = schema_describe
                      ) -> Figure:
    """Each restricted input's sampled range in grey with the box's part of it in colour, limits in units."""
    inputs = list(dict.fromkeys(box["input"]))
    with _style() as cjk:
        fig, ax = plt.subplots(figsize=(8.0, 1.2 + 0.9 * max(len(inputs), 1)), layout="constrained")
        ax.set_title(title)
        ax.set_xlim(-0.25, 1.25)
        ax.set_ylim(-0.7, max(len(inputs), 1) - 0.3)
        ax.set_xticks([0.0, 1.0], ["lowest sampled", "highest sampled"])
        ax.set_xlabel("position within the sampled range of each input")
        if not inputs:
            ax.text(0.5, 0, "the chosen box restricts no input", ha="center", va="center")
            ax.set_yticks([])
            return fig
        ranges = ranges.set_index("input")
        labels = []
        for row, name in enumerate(reversed(inputs)):
            y = row
            sides = box[box["input"] == name].set_index("side")
            label, unit = describe(name)
            p = min(float(v) for v in sides["quasi_p"])
            info = ranges.loc[name]
            if info["kind"] == "categorical":
                labels.append(f"{textwrap.fill(axis_label(label, unit), 34)}\nquasi-{_p_text(p)}")
                categories = list(info["categories"])
                allowed = set(sides.loc["categories", "limit"])
                positions = np.linspace(0, 1, len(categories)) if len(categories) > 1 else np.array([0.5])
                ax.plot([0, 1], [y, y], color="0.8", linewidth=6, solid_capstyle="round", zorder=1)
                for x, value in zip(positions, categories, strict=True):
                    inside = value in allowed
                    ax.scatter([x], [y], s=90, zorder=2, color="tab:red" if inside else "white",
                               edgecolors="tab:red")
                    ax.annotate(str(value), (x, y), xytext=(0, 9), textcoords="offset points", ha="center",
                                fontsize=8, fontweight="bold" if inside else "normal")
                continue
            low, high = float(info["low"]), float(info["high"])
            scale = scale_for(unit, [low, high], cjk)
            labels.append(f"{textwrap.fill(axis_label(label, scale.unit), 34)}\nquasi-{_p_text(p)}")
            lower = float(sides.loc["lower", "limit"]) if "lower" in sides.index else low
            upper = float(sides.loc["upper", "limit"]) if "upper" in sides.index else high
            span = (high - low) or 1.0
            a, b = (lower - low) / span, (upper - low) / span
            ax.plot([0, 1], [y, y], color="0.8", linewidth=6, solid_capstyle="round", zorder=1)
            ax.plot([a, b], [y, y], color="tab:red", linewidth=6, solid_capstyle="butt", zorder=2)
            ax.annotate(plain(low / scale.divisor), (0, y), xytext=(-8, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=8, color="0.4")
            ax.annotate(plain(high / scale.divisor), (1, y), xytext=(8, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=8, color="0.4")
            shown = []
            if "lower" in sides.index:
                shown.append(f"≥ {plain(lower / scale.divisor)}")
            if "upper" in sides.index:
                shown.append(f"≤ {plain(upper / scale.divisor)}")
            ax.annotate(" and ".join(shown), ((a + b) / 2, y), xytext=(0, 9), textcoords="offset points",
                        ha="center", fontsize=8, color="tab:red")
        ax.set_yticks(range(len(inputs)), labels, fontsize=8)
        ax.plot([], [], color="0.8", linewidth=6, label="sampled range")
        ax.plot([], [], color="tab:red", linewidth=6, label="box")
        ax.legend(loc="upper right", fontsize=8, ncols=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


# Lever search -------------------------------------------------------------------------------------


def pareto_figure(candidates: pd.DataFrame, front: pd.DataFrame, objectives: Sequence[Objective],
                  cost_unit: str, describe: Describe = schema_describe) -> Figure:
    """Objectives against each other: every evaluated candidate, the non-dominated ones numbered and coloured by cost.

    Two objectives give one panel; more give one panel per pair.
    """
    pairs = [(i, j) for i in range(len(objectives)) for j in range(i + 1, len(objectives))]
    cols = min(len(pairs), 3)
    rows = math.ceil(len(pairs) / cols)
    with _style() as cjk:
        fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 5.0 * rows), squeeze=False, layout="constrained")
        for ax in axes.flat[len(pairs):]:
            ax.set_visible(False)
        costs = front["cost"].to_numpy(dtype=float) if "cost" in front else None
        cost_scale = scale_for(cost_unit, costs if costs is not None else [], cjk)
        painted = None
        for ax, (i, j) in zip(axes.flat, pairs, strict=False):
            x, y = objectives[i], objectives[j]
            ax.scatter(candidates[x.name], candidates[y.name], s=10, color="0.75",
                       label=f"evaluated candidates ({len(candidates):,})")
            ordered = front.sort_values(x.name, kind="stable")
            ax.plot(ordered[x.name], ordered[y.name], color="0.35", linewidth=1, linestyle="--",
                    label="non-dominated set, in order")
            painted = ax.scatter(front[x.name], front[y.name], s=46, zorder=3, edgecolors="black", linewidths=0.5,
                                 c=costs / cost_scale.divisor if costs is not None else "tab:blue",
                                 cmap="plasma" if costs is not None else None,
                                 label=f"non-dominated ({len(front):,}), numbered as in the table")
            if len(front) <= 30:
                for number, (a, b) in enumerate(zip(front[x.name], front[y.name], strict=True), start=1):
                    ax.annotate(str(number), (a, b), xytext=(4, 4), textcoords="offset points", fontsize=7)
            format_axis(ax, "x", x.name, candidates[x.name], describe, cjk, _better(x))
            format_axis(ax, "y", y.name, candidates[y.name], describe, cjk, _better(y))
            ax.set_xlabel(textwrap.fill(ax.get_xlabel(), 60))
            ax.set_ylabel(textwrap.fill(ax.get_ylabel(), 50))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        if costs is not None and painted is not None:
            bar = fig.colorbar(painted, ax=list(axes.flat[:len(pairs)]), shrink=0.8)
            bar.set_label(axis_label("cost", cost_scale.unit))
            bar.formatter = PlainFormatter()
            bar.update_ticks()
        fig.suptitle("Trade-offs between the objectives")
    return fig


def _axis_position(lever: Lever, values: pd.Series) -> np.ndarray:
    """Lever values on a 0-1 axis: numeric levers by their range, options by their order."""
    if lever.kind in ("real", "integer"):
        return (values.to_numpy(dtype=float) - lever.lower) / (lever.upper - lever.lower)
    options = list(lever.options)
    return np.array([options.index(v) for v in values], dtype=float) / (len(options) - 1)


def parallel_figure(front: pd.DataFrame, levers: Sequence[Lever], objectives: Sequence[Objective],
                    describe: Describe = schema_describe) -> Figure:
    """Parallel coordinates of the non-dominated set: one axis per lever and objective, ends labelled in units."""
    axes_spec: list[tuple[str, np.ndarray, list[tuple[float, str]]]] = []
    with _style() as cjk:
        for lever in levers:
            label, unit = describe(lever.name)
            position = _axis_position(lever, front[lever.name])
            if lever.kind in ("real", "integer"):
                scale = scale_for(unit, [lever.lower, lever.upper], cjk)
                ends = [(0.0, plain(lever.lower / scale.divisor)), (1.0, plain(lever.upper / scale.divisor))]
                label = axis_label(label, scale.unit)
            else:
                options = list(lever.options)
                names = ["no", "yes"] if lever.kind == "bool" else [str(o) for o in options]
                ends = [(k / (len(options) - 1), n) for k, n in enumerate(names)]
                label = axis_label(label, unit)
            axes_spec.append((label, position, ends))
        for objective in objectives:
            label, unit = describe(objective.name)
            scale = scale_for(unit, [objective.lower, objective.upper], cjk)
            values = front[objective.name].to_numpy(dtype=float)
            position = (values - objective.lower) / (objective.upper - objective.lower)
            ends = [(0.0, plain(objective.lower / scale.divisor)), (1.0, plain(objective.upper / scale.divisor))]
            axes_spec.append((f"{axis_label(label, scale.unit)}\n({_better(objective)})", position, ends))
        fig, ax = plt.subplots(figsize=(max(7.0, 1.9 * len(axes_spec)), 5.5), layout="constrained")
        colour_by = objectives[0]
        values = front[colour_by.name].to_numpy(dtype=float)
        norm = matplotlib.colors.Normalize(vmin=float(values.min()), vmax=float(values.max()) + 1e-12)
        cmap = plt.get_cmap("viridis")
        stacked = np.column_stack([position for _, position, _ in axes_spec])
        xs = np.arange(len(axes_spec))
        for k, row in enumerate(stacked):
            ax.plot(xs, row, color=cmap(norm(values[k])), alpha=0.8, linewidth=1.3,
                    label=f"non-dominated candidates ({len(front):,}), coloured by {describe(colour_by.name)[0]}"
                    if k == 0 else "_nolegend_")
        for x, (_, _, ends) in zip(xs, axes_spec, strict=True):
            ax.axvline(x, color="0.3", linewidth=0.8)
            for y, text in ends:
                ax.annotate(text, (x, y), xytext=(4, 0), textcoords="offset points", fontsize=8, va="center",
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                                  "alpha": 0.8})
        ax.set_xticks(xs, [textwrap.fill(label, 22) for label, _, _ in axes_spec], fontsize=8)
        ax.set_xlim(-0.3, len(axes_spec) - 0.4)
        ax.set_ylim(-0.08, 1.08)
        ax.set_yticks([0, 0.5, 1], ["lowest", "middle", "highest"])
        ax.set_ylabel("position within each axis's range")
        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        bar = fig.colorbar(sm, ax=ax, shrink=0.8, format=PlainFormatter())
        bar.set_label(axis_label(*describe(colour_by.name)))
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.18), fontsize=8)
        ax.set_title("Levers and objectives of the non-dominated set")
    return fig


def convergence_figure(convergence: Mapping[int, pd.DataFrame]) -> Figure:
    """Hypervolume and epsilon-progress (and IGD+ when known) against evaluations, one line per seed."""
    measures = [("hypervolume", "Hypervolume [normalised objective space]"),
                ("epsilon_progress", "Epsilon-progress [new epsilon boxes, cumulative]")]
    if any(table["igd_plus"].notna().any() for table in convergence.values()):
        measures.append(("igd_plus", "IGD+ [normalised distance to the known front]"))
    with _style():
        fig, axes = plt.subplots(1, len(measures), figsize=(6.0 * len(measures), 4.5), squeeze=False,
                                 layout="constrained")
        for ax, (column, label) in zip(axes.flat, measures, strict=True):
            for seed, table in sorted(convergence.items()):
                ax.plot(table["evaluations"], table[column], marker="o", markersize=3, label=f"seed {seed}")
            ax.set_xlabel("Evaluations [candidates evaluated so far]")
            ax.set_ylabel(label, fontsize=9)
            ax.xaxis.set_major_formatter(PlainFormatter())
            ax.yaxis.set_major_formatter(PlainFormatter())
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.suptitle("Convergence of the search")
    return fig


def holdout_figure(scores: pd.DataFrame, objectives: Sequence[Objective], describe: Describe = schema_describe,
                   status_quo: str = "status quo") -> Figure:
    """Each mix of the final set scored on the search draws and on the fresh hold-out draws, the status quo as a
    line: a mix whose score falls away on the hold-out draws was fitted to the search draws' luck."""
    mixes = scores[scores["mix"] != status_quo].reset_index(drop=True)
    reference = scores[scores["mix"] == status_quo]
    cols = min(len(objectives), 3)
    rows = math.ceil(len(objectives) / cols)
    x = np.arange(len(mixes))
    step = max(1, math.ceil(len(mixes) / 25))
    with _style() as cjk:
        fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.3 * rows), squeeze=False, layout="constrained")
        for ax in axes.flat[len(objectives):]:
            ax.set_visible(False)
        for ax, objective in zip(axes.flat, objectives, strict=False):
            fresh = f"holdout_{objective.name}"
            ax.scatter(x, mixes[objective.name], s=30, facecolors="none", edgecolors="tab:blue",
                       label="on the search draws")
            ax.scatter(x, mixes[fresh], s=30, color="tab:blue", label="on the hold-out draws")
            values = [*mixes[objective.name], *mixes[fresh]]
            if not reference.empty:
                level = float(reference[fresh].iloc[0])
                values.append(level)
                ax.axhline(level, color="crimson", linestyle="--", linewidth=1.2,
                           label="status quo on the hold-out draws")
            ax.set_xticks(x[::step], [str(m) for m in mixes["mix"]][::step])
            ax.set_xlabel("mix of the final set, numbered as in the table")
            format_axis(ax, "y", objective.name, values, describe, cjk, _better(objective))
            ax.set_ylabel(textwrap.fill(ax.get_ylabel(), 42), fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        fig.suptitle("The final set on fresh draws of the uncertain parameters")
    return fig

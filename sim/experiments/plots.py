"""Figures of an experiment: every estimate is drawn with its 95% interval.

Every panel is titled with the KPI's label and its axis with its unit (from
:mod:`sim.outputs`), shares and rates in percent; bands and error bars stay in
the quantity's range; money parameters read in 万元 (10k yuan).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from ..figures import WARMUP_COLOUR, money_unit, readable_on  # noqa: E402
from ..outputs import Kind, output  # noqa: E402
from ..params import ParamPath  # noqa: E402
from .formatting import bounds_of, clip, format_value, param_label, param_value, short_label  # noqa: E402

PERCENT = (Kind.SHARE, Kind.RATE)


def _panels(n: int, width: float = 4.0, height: float = 3.0):
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _save(fig, path: Path, title: str, subtitle: str = "") -> Path:
    fig.suptitle(title + (f"\nset: {subtitle}" if subtitle else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _title(name: str) -> str:
    return short_label(name)


def value_axis(ax, name: str, axis: str = "y") -> None:
    """The axis of a KPI or weekly column: its unit, in percent for shares and rates."""
    o = output(name)
    target = ax.yaxis if axis == "y" else ax.xaxis
    if o.kind in PERCENT:
        target.set_major_formatter(PercentFormatter(1.0))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(o.unit, fontsize=8)
    low, high = o.bounds
    if axis == "y" and np.isfinite(low):
        ax.set_ylim(bottom=max(ax.get_ylim()[0], low))
    ax.tick_params(labelsize=7)


def _clipped(name: str, mean, lo, hi) -> np.ndarray:
    """Error-bar lengths below and above the mean, the bar kept in the quantity's range."""
    low, high = bounds_of(name)
    m = np.asarray(mean, dtype=float)
    lo = np.maximum(np.asarray(lo, dtype=float), low)
    hi = np.minimum(np.asarray(hi, dtype=float), high)
    return np.nan_to_num(np.vstack([np.clip(m - lo, 0, None), np.clip(hi - m, 0, None)]))


def kpi_bars(summary: pd.DataFrame, labels: dict[int, str], outcomes: list[str], path: Path,
             subtitle: str = "") -> Path:
    """One panel per KPI, one bar per scenario, with its interval."""
    fig, axes = _panels(len(outcomes), 3.6, 3.0)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes, outcomes, strict=True):
        s = summary[summary["outcome"] == name].sort_values("point_id")
        x = np.arange(len(s))
        ax.bar(x, s["mean"], yerr=_clipped(name, s["mean"], s["ci_low"], s["ci_high"]), capsize=3,
               color=[colours[i % len(colours)] for i in range(len(s))])
        ax.set_xticks(x, [labels[p] for p in s["point_id"]], rotation=35, ha="right", fontsize=8)
        ax.set_title(_title(name), fontsize=9)
        value_axis(ax, name)
    return _save(fig, path, "Mean over replications with 95% confidence intervals", subtitle)


def series_bands(bands: pd.DataFrame, labels: dict[int, str], path: Path, subtitle: str = "",
                 warmup_weeks: int = 0) -> Path:
    """Weekly series: mean over replications and its 95% band, one line per scenario."""
    columns = list(dict.fromkeys(bands["column"]))
    fig, axes = _panels(len(columns), 4.2, 2.8)
    handles = []
    for ax, col in zip(axes, columns, strict=True):
        if warmup_weeks:
            ax.axvspan(0, warmup_weeks, color=WARMUP_COLOUR, alpha=0.15, lw=0)
        low, high = bounds_of(col)
        for point, b in bands[bands["column"] == col].groupby("point_id", sort=True):
            line, = ax.plot(b["week"], b["mean"], lw=1.2, label=labels[point])
            ax.fill_between(b["week"], np.maximum(b["ci_low"], low), np.minimum(b["ci_high"], high),
                            color=line.get_color(), alpha=0.2, lw=0)
            if ax is axes[0]:
                handles.append(line)
        ax.set_title(_title(col), fontsize=9)
        ax.set_xlabel("week", fontsize=8)
        value_axis(ax, col)
    handles.append(Patch(color="grey", alpha=0.3, label="95% band over replications"))
    if warmup_weeks:
        handles.append(Patch(color=WARMUP_COLOUR, alpha=0.15, label=f"warm-up ({warmup_weeks} weeks, not measured)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8, frameon=False)
    fig.subplots_adjust(bottom=0.15)
    fig.suptitle("Weekly series: mean and 95% band" + (f"\nset: {subtitle}" if subtitle else ""), fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def param_axis(ax, path: str, values, axis: str) -> None:
    """Ticks of a parameter's values as a reader writes them (60,000 not 6e+04; money in 万元)."""
    p = ParamPath.parse(path)
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    set_label = ax.set_xlabel if axis == "x" else ax.set_ylabel
    if p.unit.startswith("yuan"):
        unit, font = money_unit()
        ticks = [param_value(path, float(v) / 10_000) for v in values]
        set_ticks(range(len(values)), ticks, fontsize=8)
        set_label(f"{param_label(path, with_unit=False)} ({unit}{p.unit.removeprefix('yuan')})", fontsize=8,
                  fontfamily=font)
    else:
        set_ticks(range(len(values)), [param_value(path, v) for v in values], fontsize=8)
        set_label(param_label(path), fontsize=8)


def heatmap(summary: pd.DataFrame, x: str, y: str, outcomes: list[str], path: Path, subtitle: str = "") -> Path:
    """Two-parameter grid: one heatmap per KPI, each cell annotated with its mean and interval."""
    fig, axes = _panels(len(outcomes), 4.8, 4.0)
    for ax, name in zip(axes, outcomes, strict=True):
        s = summary[summary["outcome"] == name]
        grid = s.pivot(index=y, columns=x, values="mean")
        lo = s.pivot(index=y, columns=x, values="ci_low")
        hi = s.pivot(index=y, columns=x, values="ci_high")
        values = grid.to_numpy(dtype=float)
        cmap = plt.get_cmap("viridis")
        finite = values[np.isfinite(values)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if vmin == vmax:
            vmin, vmax = vmin - 0.5 * (abs(vmin) or 1), vmax + 0.5 * (abs(vmax) or 1)
        im = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        param_axis(ax, x, grid.columns, "x")
        param_axis(ax, y, grid.index, "y")
        for (i, j), v in np.ndenumerate(values):
            text = format_value(name, v)
            if np.isfinite(lo.iat[i, j]) and np.isfinite(hi.iat[i, j]):
                low, high = clip(name, lo.iat[i, j], hi.iat[i, j])
                text += f"\n[{format_value(name, low)}, {format_value(name, high)}]"
            colour = readable_on(cmap((v - vmin) / (vmax - vmin))) if np.isfinite(v) else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color=colour)
        ax.set_title(_title(name), fontsize=9)
        bar = fig.colorbar(im, ax=ax, shrink=0.85)
        bar.ax.tick_params(labelsize=7)
        if output(name).kind in PERCENT:
            bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        bar.set_label(output(name).unit, fontsize=8)
    return _save(fig, path, "Mean over replications [95% CI] at each design point", subtitle)


def lines(summary: pd.DataFrame, x: str, outcomes: list[str], path: Path, subtitle: str = "") -> Path:
    """One-parameter sweep: mean with its 95% band, one panel per KPI."""
    fig, axes = _panels(len(outcomes))
    for ax, name in zip(axes, outcomes, strict=True):
        s = summary[summary["outcome"] == name].sort_values(x)
        low, high = bounds_of(name)
        ax.plot(s[x], s["mean"], marker="o", ms=3, label="mean over replications")
        ax.fill_between(s[x], np.maximum(s["ci_low"], low), np.minimum(s["ci_high"], high), alpha=0.25, lw=0,
                        label="95% confidence interval")
        ax.set_xlabel(param_label(x), fontsize=8)
        ax.set_title(_title(name), fontsize=9)
        value_axis(ax, name)
    axes[0].legend(fontsize=7)
    return _save(fig, path, "KPIs along the sweep", subtitle)


def scatter(summary: pd.DataFrame, params: list[str], outcomes: list[str], path: Path, subtitle: str = "") -> Path:
    """Sampled designs: each point's mean KPI against each parameter."""
    fig, axes = plt.subplots(len(outcomes), len(params), squeeze=False,
                             figsize=(2.8 * len(params), 2.4 * len(outcomes)))
    for i, name in enumerate(outcomes):
        s = summary[summary["outcome"] == name]
        for j, p in enumerate(params):
            ax = axes[i, j]
            ax.scatter(s[p], s["mean"], s=6)
            value_axis(ax, name)
            if j == 0:
                ax.set_ylabel(f"{_title(name)}\n{ax.get_ylabel()}", fontsize=7)
            else:
                ax.set_ylabel("")
            if i == len(outcomes) - 1:
                ax.set_xlabel(param_label(p), fontsize=7)
            ax.tick_params(labelsize=6)
    return _save(fig, path, "Mean KPI over replications at each design point", subtitle)


def sensitivity(table: pd.DataFrame, path: Path, subtitle: str = "") -> Path:
    """Morris mu* or Sobol S1/ST per parameter, one panel per KPI, with intervals."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = _panels(len(outcomes), 4.6, 0.9 + 0.3 * table["parameter"].nunique())
    morris = "mu_star" in table
    for ax, name in zip(axes, outcomes, strict=True):
        t = table[table["outcome"] == name]
        t = t.sort_values("mu_star" if morris else "ST")
        y = np.arange(len(t))
        if morris:
            err = np.nan_to_num(np.vstack([np.clip(t["mu_star"] - t["mu_star_ci_low"], 0, None),
                                           np.clip(t["mu_star_ci_high"] - t["mu_star"], 0, None)]))
            ax.barh(y, t["mu_star"], xerr=err, capsize=2, label="μ* with 95% interval")
            ax.plot(t["sigma"], y, "k|", ms=8, label="σ (interactions, non-linearity)")
            unit = output(name).unit
            ax.set_xlabel(f"mean absolute elementary effect on the KPI ({unit})", fontsize=8)
            if output(name).kind in PERCENT:
                ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            for key, off in (("S1", -0.2), ("ST", 0.2)):
                err = np.nan_to_num(np.vstack([np.clip(t[key] - t[f"{key}_ci_low"], 0, None),
                                               np.clip(t[f"{key}_ci_high"] - t[key], 0, None)]))
                ax.barh(y + off, t[key], height=0.4, xerr=err, capsize=2,
                        label={"S1": "S1, first order", "ST": "ST, total"}[key])
            ax.set_xlabel("Sobol index (share of the KPI's variance)", fontsize=8)
        ax.set_yticks(y, [param_label(p, with_unit=False) for p in t["parameter"]], fontsize=7)
        ax.set_title(_title(name), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].legend(fontsize=7)
    title = "Morris screening: μ* and σ per parameter" if morris else "Sobol indices per parameter"
    return _save(fig, path, title, subtitle)

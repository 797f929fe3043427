"""Figures of an experiment: every estimate is drawn with its 95% interval."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .design import short_name  # noqa: E402


def _panels(n: int, width: float = 4.0, height: float = 3.0):
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _err(frame: pd.DataFrame, centre: str = "mean") -> np.ndarray:
    lo = (frame[centre] - frame["ci_low"]).to_numpy(dtype=float)
    hi = (frame["ci_high"] - frame[centre]).to_numpy(dtype=float)
    return np.nan_to_num(np.vstack([lo, hi]))


def kpi_bars(summary: pd.DataFrame, labels: dict[int, str], outcomes: list[str], path: Path) -> Path:
    """One panel per KPI, one bar per scenario, with its interval."""
    fig, axes = _panels(len(outcomes), 3.6, 3.0)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes, outcomes, strict=True):
        s = summary[summary["outcome"] == name].sort_values("point_id")
        x = np.arange(len(s))
        ax.bar(x, s["mean"], yerr=_err(s), capsize=3,
               color=[colours[i % len(colours)] for i in range(len(s))])
        ax.set_xticks(x, [labels[p] for p in s["point_id"]], rotation=35, ha="right", fontsize=8)
        ax.set_title(name, fontsize=9)
    fig.suptitle("Mean over replications with 95% confidence intervals", fontsize=10)
    return _save(fig, path)


def series_bands(bands: pd.DataFrame, labels: dict[int, str], path: Path) -> Path:
    """Weekly series: mean over replications and its 95% band, one line per scenario."""
    columns = list(dict.fromkeys(bands["column"]))
    fig, axes = _panels(len(columns), 4.2, 2.8)
    for ax, col in zip(axes, columns, strict=True):
        for point, b in bands[bands["column"] == col].groupby("point_id", sort=True):
            line, = ax.plot(b["week"], b["mean"], lw=1.2, label=labels[point])
            ax.fill_between(b["week"], b["ci_low"], b["ci_high"], color=line.get_color(), alpha=0.2,
                            lw=0)
        ax.set_title(col, fontsize=9)
        ax.set_xlabel("week", fontsize=8)
    axes[0].legend(fontsize=7)
    return _save(fig, path)


def heatmap(summary: pd.DataFrame, x: str, y: str, outcomes: list[str], path: Path) -> Path:
    """Two-parameter grid: one heatmap per KPI, each cell annotated with mean and interval."""
    fig, axes = _panels(len(outcomes), 4.6, 3.8)
    for ax, name in zip(axes, outcomes, strict=True):
        s = summary[summary["outcome"] == name]
        grid = s.pivot(index=y, columns=x, values="mean")
        half = s.assign(h=(s["ci_high"] - s["ci_low"]) / 2).pivot(index=y, columns=x, values="h")
        im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{v:.4g}" for v in grid.columns], fontsize=7)
        ax.set_yticks(range(grid.shape[0]), [f"{v:.4g}" for v in grid.index], fontsize=7)
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            h = half.iat[i, j]
            ax.text(j, i, f"{v:.3g}" + (f"\n±{h:.2g}" if np.isfinite(h) else ""), ha="center",
                    va="center", fontsize=6, color="white")
        ax.set_xlabel(short_name(x), fontsize=8)
        ax.set_ylabel(short_name(y), fontsize=8)
        ax.set_title(name, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return _save(fig, path)


def lines(summary: pd.DataFrame, x: str, outcomes: list[str], path: Path) -> Path:
    """One-parameter sweep: mean with its 95% band, one panel per KPI."""
    fig, axes = _panels(len(outcomes))
    for ax, name in zip(axes, outcomes, strict=True):
        s = summary[summary["outcome"] == name].sort_values(x)
        ax.plot(s[x], s["mean"], marker="o", ms=3)
        ax.fill_between(s[x], s["ci_low"], s["ci_high"], alpha=0.25, lw=0)
        ax.set_xlabel(short_name(x), fontsize=8)
        ax.set_title(name, fontsize=9)
    return _save(fig, path)


def scatter(summary: pd.DataFrame, params: list[str], outcomes: list[str], path: Path) -> Path:
    """Sampled designs: each point's mean KPI against each parameter."""
    fig, axes = plt.subplots(len(outcomes), len(params), squeeze=False,
                             figsize=(2.6 * len(params), 2.2 * len(outcomes)))
    for i, name in enumerate(outcomes):
        s = summary[summary["outcome"] == name]
        for j, p in enumerate(params):
            ax = axes[i, j]
            ax.scatter(s[p], s["mean"], s=6)
            if i == len(outcomes) - 1:
                ax.set_xlabel(short_name(p), fontsize=7)
            if j == 0:
                ax.set_ylabel(name, fontsize=7)
            ax.tick_params(labelsize=6)
    return _save(fig, path)


def sensitivity(table: pd.DataFrame, path: Path) -> Path:
    """Morris mu* or Sobol S1/ST per parameter, one panel per KPI, with intervals."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = _panels(len(outcomes), 4.4, 0.6 + 0.3 * table["parameter"].nunique())
    morris = "mu_star" in table
    for ax, name in zip(axes, outcomes, strict=True):
        t = table[table["outcome"] == name]
        t = t.sort_values("mu_star" if morris else "ST")
        y = np.arange(len(t))
        labels = [short_name(p) for p in t["parameter"]]
        if morris:
            err = np.nan_to_num(np.vstack([t["mu_star"] - t["mu_star_ci_low"],
                                           t["mu_star_ci_high"] - t["mu_star"]]))
            ax.barh(y, t["mu_star"], xerr=err, capsize=2, label="μ*")
            ax.plot(t["sigma"], y, "k|", ms=8, label="σ")
        else:
            for key, off in (("S1", -0.2), ("ST", 0.2)):
                err = np.nan_to_num(np.vstack([t[key] - t[f"{key}_ci_low"],
                                               t[f"{key}_ci_high"] - t[key]]))
                ax.barh(y + off, t[key], height=0.4, xerr=err, capsize=2, label=key)
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].legend(fontsize=7)
    return _save(fig, path)

"""Figures for one run, and the conventions every figure of the project shares.

Axes carry the unit of what they show (from :mod:`sim.outputs`), every line
has a legend entry, the warm-up the summary leaves out is shaded and named,
and the title names the overrides the run was given.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .outputs import output  # noqa: E402
from .schema import Scenario  # noqa: E402

WARMUP_COLOUR = "grey"
HEADROOM = 1.5
"""Room above the data for the legend, so it hides no line."""
CJK_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "simhei", "msyh", "pingfang", "heiti",
             "droidsansfallback")
"""Parts of the names of fonts (families or files) that draw Chinese."""


@functools.cache
def cjk_font() -> str | None:
    """A font family that can draw Chinese, or ``None``; where Matplotlib's cache predates the
    fonts, one font file is registered (a sans-serif one where there is one: each costs a second)."""
    def known() -> str | None:
        names = sorted({f.name for f in font_manager.fontManager.ttflist
                        if any(h in f.name.lower().replace(" ", "") for h in CJK_HINTS)},
                       key=lambda n: ("sans" not in n.lower(), n))
        return names[0] if names else None

    found = known()
    if found:
        return found
    candidates = [p for p in font_manager.findSystemFonts()
                  if any(h in Path(p).name.lower().replace("-", "") for h in CJK_HINTS)]
    for path in sorted(candidates, key=lambda p: ("sans" not in Path(p).name.lower(), p))[:1]:
        font_manager.fontManager.addfont(path)
    return known()


def money_unit() -> tuple[str, list[str]]:
    """The unit money axes are drawn in (万元, or "10k yuan" without a Chinese font) and the font
    families that draw it."""
    family = cjk_font()
    return ("万元", [family, "DejaVu Sans"]) if family else ("10k yuan", ["DejaVu Sans"])


def readable_on(rgba) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``."""
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def axis_label(name: str) -> str:
    """A y-axis label for a weekly column: its unit."""
    return output(name).unit


def changes_text(changes: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (changes or {}).items())


def overview(ts: pd.DataFrame, scenario: Scenario, path: Path, changes: Mapping[str, Any] | None = None) -> None:
    """Workforce and turnover, needs, residents and volunteers over time."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.4), sharex=True)
    weeks = ts["week"]
    warm = scenario.simulation.warmup_weeks
    ax = axes[0, 0]
    ax.plot(weeks, ts["sw_headcount"], label="social workers in post")
    ax.plot(weeks, ts["sw_posts_funded"], "--", label="funded posts")
    ax.set_ylabel("workers, posts")
    seps = (ts["sw_quits"] + ts["sw_layoffs"]).rolling(52, min_periods=1).sum()
    ax2 = ax.twinx()
    ax2.plot(weeks, seps, color="tab:red", alpha=0.6, label="separations in the last 52 weeks (right axis)")
    ax2.set_ylabel("separations (quits + layoffs) per 52 weeks")
    ax.set_title("Workforce and turnover")
    ax = axes[0, 1]
    ax.plot(weeks, ts["backlog"], label="backlog: ledger (found, open)")
    ax.plot(weeks, ts["waiting_list"], label="waiting for a worker")
    ax.plot(weeks, ts["open_needs"], ":", label="all open needs")
    ax.set_ylabel(axis_label("backlog"))
    ax.set_title("Needs")
    ax = axes[1, 0]
    ax.plot(weeks, ts["trust_mean"], label="trust")
    ax.plot(weeks, ts["belonging_mean"], label="belonging")
    ax.plot(weeks, ts["wellbeing_mean"], label="wellbeing")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean over residents (0-1)")
    ax.set_title("Residents")
    ax = axes[1, 1]
    ax.plot(weeks, ts["volunteers_active"], label="active volunteers")
    ax.plot(weeks, ts["volunteers_registered"], "--", label="registered")
    ax.set_ylabel(axis_label("volunteers_active"))
    ax.set_title("Volunteers")
    band = Patch(color=WARMUP_COLOUR, alpha=0.15, label=f"warm-up (weeks 1-{warm}, not in the summary)")
    for a in (*axes.ravel(), ax2):
        if warm and a is not ax2:
            a.axvspan(0, warm, color=WARMUP_COLOUR, alpha=0.15, lw=0)
        if a is not axes[1, 0]:
            a.set_ylim(0, max(a.get_ylim()[1], 1) * HEADROOM)
    for a in axes.ravel():
        handles = a.get_legend_handles_labels()[0] + ([band] if warm else [])
        holder = a
        if a is axes[0, 0]:
            handles = a.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0] + [band] * bool(warm)
            holder = ax2
        holder.legend(handles=handles, fontsize=7, loc="lower left" if a is axes[1, 0] else "upper left",
                      framealpha=0.9)
    for a in axes[1]:
        a.set_xlabel("week")
    title = f"{scenario.name}: seed {scenario.simulation.seed}, {scenario.population.residents:,} residents"
    if changes:
        title += f"\nset: {changes_text(changes)}"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

"""Figures for one run."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .schema import Scenario  # noqa: E402


def overview(ts: pd.DataFrame, scenario: Scenario, path: Path) -> None:
    """Turnover, backlog, trust and volunteers over time."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    weeks = ts["week"]
    warm = scenario.simulation.warmup_weeks
    ax = axes[0, 0]
    ax.plot(weeks, ts["sw_headcount"], label="social workers in post")
    ax.plot(weeks, ts["sw_posts_funded"], "--", label="funded posts")
    seps = (ts["sw_quits"] + ts["sw_layoffs"]).rolling(52, min_periods=1).sum()
    ax2 = ax.twinx()
    ax2.plot(weeks, seps, color="tab:red", alpha=0.6, label="separations, last 52 weeks")
    ax2.set_ylabel("separations (rolling year)")
    ax.set_title("Workforce and turnover")
    ax.legend(loc="lower left", fontsize=8)
    ax = axes[0, 1]
    ax.plot(weeks, ts["backlog"], label="backlog: ledger (found, open)")
    ax.plot(weeks, ts["waiting_list"], label="waiting for a worker")
    ax.plot(weeks, ts["open_needs"], ":", label="all open needs")
    ax.set_title("Needs")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    ax.plot(weeks, ts["trust_mean"], label="trust")
    ax.plot(weeks, ts["belonging_mean"], label="belonging")
    ax.plot(weeks, ts["wellbeing_mean"], label="wellbeing")
    ax.set_ylim(0, 1)
    ax.set_title("Residents")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.plot(weeks, ts["volunteers_active"], label="active volunteers")
    ax.plot(weeks, ts["volunteers_registered"], "--", label="registered")
    ax.set_title("Volunteers")
    ax.legend(fontsize=8)
    for a in axes.ravel():
        if warm:
            a.axvspan(0, warm, color="grey", alpha=0.1)
    for a in axes[1]:
        a.set_xlabel("week")
    fig.suptitle(f"{scenario.name}: seed {scenario.simulation.seed}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

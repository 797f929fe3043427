"""The two figures of the demo: the neighbourhood with its five kinds of actor, and the weekly series.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot state), so
each browser session draws its own without interfering with another.
The network layout uses no randomness: buildings sit on a grid, households on
a ring inside their building, residents around their household.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..model import CommunityModel
from ..schema import N_TYPES
from .labels import figure_language, font_rc, t

MAX_SHOWN = 400
"""Residents drawn at most: enough to see households and buildings, few enough to read."""

COLOURS = {"worker": "#1f4e99", "ngo": "#6a3d9a", "enterprise": "#d95f02", "volunteer": "#111111",
           "case": "#1f4e99", "tie": "#b0b0b0"}
SERIES_COLOURS = ("#1f4e99", "#6a3d9a", "#d62728", "#2ca02c")


def sample(model: CommunityModel) -> np.ndarray:
    """Residents of the first whole buildings, up to ``MAX_SHOWN`` (at least one building)."""
    building = model.residents.building
    sizes = np.bincount(building)
    keep = max(int(np.searchsorted(np.cumsum(sizes), MAX_SHOWN, side="right")), 1)
    return np.flatnonzero(building < keep)


def layout(model: CommunityModel, shown: np.ndarray) -> np.ndarray:
    """Positions of the shown residents: building grid, household ring, member circle."""
    r = model.residents
    building = r.building[shown]
    household = r.household[shown]
    blds = np.unique(building)
    cols = int(np.ceil(np.sqrt(len(blds))))
    pos = np.zeros((len(shown), 2))
    for k, b in enumerate(blds):
        centre = np.array([k % cols, -(k // cols)], dtype=float) * 3.0
        in_b = np.flatnonzero(building == b)
        hhs = np.unique(household[in_b])
        for j, h in enumerate(hhs):
            angle = 2 * np.pi * j / len(hhs)
            radius = 0.6 + 0.6 * (j % 2)
            hc = centre + radius * np.array([np.cos(angle), np.sin(angle)])
            members = in_b[household[in_b] == h]
            m = len(members)
            spread = 0.12 if m > 1 else 0.0
            ang = 2 * np.pi * np.arange(m) / max(m, 1) + angle
            pos[members] = hc + spread * np.column_stack([np.cos(ang), np.sin(ang)])
    return pos


def network_figure(model: CommunityModel, lang: str, colour_by: str = "wellbeing") -> Figure:
    """Residents on their ties, volunteers ringed, workers with the cases they hold, agencies, partners."""
    fl = figure_language(lang)
    with rc_context(font_rc(lang)):
        fig = Figure(figsize=(7.2, 6.4), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        shown = sample(model)
        pos = layout(model, shown)
        local = np.full(model.residents.n, -1)
        local[shown] = np.arange(len(shown))
        src, dst = model.world.network.graph_edges()
        both = (local[src] >= 0) & (local[dst] >= 0)
        ties = np.stack([pos[local[src[both]]], pos[local[dst[both]]]], axis=1)
        ax.add_collection(LineCollection(ties, colors=COLOURS["tie"], linewidths=0.4, alpha=0.6, zorder=1))

        if colour_by == "open_needs":
            values = model.needs.by_resident(model.needs.open)[shown].sum(axis=1)
            cmap, vmin, vmax, bar = colormaps["OrRd"], 0, max(N_TYPES // 2, 1), t("needs_count", fl)
        else:
            values = model.residents.wellbeing[shown]
            cmap, vmin, vmax, bar = colormaps["RdYlGn"], 0.3, 0.9, t("wellbeing", fl)
        vol = model.volunteers.active[shown]
        dots = ax.scatter(pos[:, 0], pos[:, 1], c=values, cmap=cmap, vmin=vmin, vmax=vmax, s=22,
                          edgecolors="none", zorder=3)
        ax.scatter(pos[vol, 0], pos[vol, 1], s=60, facecolors="none", edgecolors=COLOURS["volunteer"],
                   linewidths=1.3, zorder=4)
        fig.colorbar(dots, ax=ax, shrink=0.5, pad=0.01, label=bar)

        xmin, ymin = pos.min(axis=0) - 1.5
        xmax, _ = pos.max(axis=0) + 1.5
        _draw_organisations(model, ax, pos, local, (xmin, xmax, ymin))
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(t("network", fl) + "  ·  " + t("network_sample", fl, shown=len(shown),
                                                        total=f"{model.residents.n:,}"), fontsize=10)
        handles = [
            Line2D([], [], marker="o", ls="", color="#7fbf7b", label=t("resident", fl)),
            Line2D([], [], marker="o", ls="", mfc="none", mec=COLOURS["volunteer"], mew=1.3, ms=9,
                   label=t("volunteer", fl)),
            Line2D([], [], marker="s", ls="", color=COLOURS["worker"], label=t("social_worker", fl)),
            Line2D([], [], marker="D", ls="", color=COLOURS["ngo"], label=t("ngo", fl)),
            Line2D([], [], marker="*", ls="", color=COLOURS["enterprise"], ms=12, label=t("enterprise", fl)),
            Line2D([], [], color=COLOURS["case"], lw=1, alpha=0.6, label=t("case_link", fl)),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=8,
                  frameon=False)
    return fig


def _draw_organisations(model, ax, pos, local, box) -> None:
    """Workers in a row below the residents, their agencies below them, partners down the right side."""
    xmin, xmax, ymin = box
    workers = model.workers
    y_w, y_n = ymin, ymin - 1.4
    xs = np.linspace(xmin + 1, xmax - 1, len(workers)) if len(workers) > 1 else [(xmin + xmax) / 2]
    wpos = {w.wid: (x, y_w) for w, x in zip(workers, xs, strict=True)}
    needs = model.needs
    held = np.flatnonzero(needs.worker >= 0)
    cases = [(wpos[needs.worker[f]], pos[local[f // N_TYPES]]) for f in held
             if local[f // N_TYPES] >= 0 and needs.worker[f] in wpos]
    ax.add_collection(LineCollection(cases, colors=COLOURS["case"], linewidths=0.7, alpha=0.45, zorder=2))
    ngos = model.ngos
    nx_ = np.linspace(xmin + 2, xmax - 2, len(ngos)) if len(ngos) > 1 else [(xmin + xmax) / 2]
    npos = {n.unique_id: (x, y_n) for n, x in zip(ngos, nx_, strict=True)}
    jobs = [(wpos[w.wid], npos[w.employer.unique_id]) for w in workers if w.employer.unique_id in npos]
    ax.add_collection(LineCollection(jobs, colors=COLOURS["ngo"], linewidths=0.6, alpha=0.5, zorder=2))
    if workers:
        ax.scatter(*zip(*wpos.values(), strict=True), marker="s", s=70, color=COLOURS["worker"], zorder=5)
    if ngos:
        ax.scatter(*zip(*npos.values(), strict=True), marker="D", s=110, color=COLOURS["ngo"], zorder=5)
    firms = model.enterprises
    if firms:
        ys = np.linspace(ymin, ymin + 0.9 * (pos[:, 1].max() - ymin), len(firms))
        ax.scatter(np.full(len(firms), xmax + 0.8), ys, marker="*",
                   s=[60 + 160 * e.engagement for e in firms], color=COLOURS["enterprise"], zorder=5)


def to_png(fig: Figure) -> bytes:
    """PNG bytes: a browser shows them as an image, as crisp as the page needs."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def charts_figure(model: CommunityModel, lang: str, marks: list[int] = (), start: int = 0) -> Figure:
    """Four panels of weekly series from model week ``start`` on (the demo's week 0), with the weeks a
    lever moved as dotted lines."""
    fl = figure_language(lang)
    cols = model.datacollector.columns
    all_weeks = np.asarray(cols["week"], dtype=float)
    keep = all_weeks > start
    weeks = all_weeks[keep] - start

    def shown(name: str) -> np.ndarray:
        return np.asarray(cols[name], dtype=float)[keep]

    horizon = model.params.simulation.horizon_weeks - start
    with rc_context(font_rc(lang)):
        fig = Figure(figsize=(7.6, 6.4), dpi=100, layout="constrained")
        axes = fig.subplots(2, 2, sharex=True)
        separations = np.cumsum(shown("sw_quits") + shown("sw_layoffs"))
        panels = (
            ("panel_workforce", (("sw_headcount", shown("sw_headcount")),
                                 ("sw_posts_funded", shown("sw_posts_funded")),
                                 ("separations", separations))),
            ("panel_needs", (("backlog", shown("backlog")), ("waiting_list", shown("waiting_list")))),
            ("panel_social", (("trust_mean", shown("trust_mean")), ("belonging_mean", shown("belonging_mean")),
                              ("wellbeing_mean", shown("wellbeing_mean")))),
            ("panel_volunteers", (("volunteers_active", shown("volunteers_active")),)),
        )
        for ax, (title, series) in zip(axes.ravel(), panels, strict=True):
            for (key, values), colour in zip(series, SERIES_COLOURS, strict=False):
                ax.plot(weeks, values, color=colour, lw=1.6, label=t(key, fl))
            for week in marks:
                ax.axvline(week - start, color="#555555", ls=":", lw=1)
            ax.set_title(t(title, fl), fontsize=11)
            ax.set_xlim(0, max(52, min(horizon, int(weeks.max(initial=0)) + 4)))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best", frameon=False)
        axes[1, 0].set_ylim(0, 1)
        axes[0, 1].set_ylim(bottom=0)
        axes[1, 1].set_ylim(bottom=0)
        for ax in axes[1]:
            ax.set_xlabel(t("week", fl))
    return fig

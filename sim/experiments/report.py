"""Tables, figures and a Markdown report from a results folder, without running anything.

The aggregated tables (``tables/*.csv``) depend only on the saved runs, so a
sweep that was killed and resumed gives the same bytes as one that never
stopped.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from .. import stats
from ..errors import UserError
from ..outputs import headline, label
from .formatting import (
    bounds_of,
    clip,
    fmt,
    format_ci,
    format_difference,
    overrides_text,
    param_label,
    param_value,
    row_label,
)
from .store import Store, load_failures, load_results, write_text

SERIES = ("sw_headcount", "sw_vacancies", "sw_burnout_mean", "backlog", "trust_mean",
          "volunteers_active")
"""Weekly series drawn with bands in a comparison."""

FIGURE_OUTCOMES = 12
"""Most KPIs drawn in one figure (the tables hold them all)."""

PRINTED_OUTCOMES = 4
"""KPIs printed per design point after a sweep (the report holds them all)."""


def headline_outcomes(outcomes: list[str]) -> list[str]:
    """The experiment's KPIs that the registry marks as headline figures, in registry order."""
    kept = set(outcomes)
    return [o.name for o in headline() if o.name in kept]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                            strict=True)))
    return "\n".join([line(header), *(line(r) for r in rows)])


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def figure_outcomes(outcomes: list[str]) -> list[str]:
    if len(outcomes) <= FIGURE_OUTCOMES:
        return outcomes
    return headline_outcomes(outcomes)[:FIGURE_OUTCOMES] or outcomes[:FIGURE_OUTCOMES]


def series_bands(store: Store, points: list[int], columns=SERIES,
                 level: float = stats.LEVEL) -> pd.DataFrame:
    """Weekly mean and t interval per point, read one run at a time, held to each column's range."""
    frames = []
    for point in points:
        n, total, squares, weeks = 0, None, None, None
        for _, _, ts in store.iter_series(point):
            cols = [c for c in columns if c in ts]
            x = ts[cols].to_numpy(dtype=float)
            if total is None:
                total, squares, weeks = np.zeros_like(x), np.zeros_like(x), ts["week"].to_numpy()
            total += x
            squares += x * x
            n += 1
        if not n:
            continue
        mean = total / n
        if n > 1:
            sd = np.sqrt(np.clip((squares - n * mean * mean) / (n - 1), 0, None))
            half = stats.t_critical(n, level) * sd / np.sqrt(n)
        else:
            half = np.full_like(mean, np.nan)
        for j, col in enumerate(cols):
            low, high = bounds_of(col)
            frames.append(pd.DataFrame({"point_id": point, "column": col, "week": weeks,
                                        "mean": mean[:, j],
                                        "ci_low": np.maximum(mean[:, j] - half[:, j], low),
                                        "ci_high": np.minimum(mean[:, j] + half[:, j], high)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def clipped_summary(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Mean and interval per point and KPI, the interval held to the KPI's range."""
    if not len(runs):
        return pd.DataFrame(columns=["point_id", "outcome", "n", "mean", "sd", "ci_low", "ci_high"])
    summary = stats.summarize(runs, outcomes)
    ends = [clip(o, lo, hi) for o, lo, hi in zip(summary["outcome"], summary["ci_low"], summary["ci_high"],
                                                  strict=True)]
    summary["ci_low"] = [e[0] for e in ends]
    summary["ci_high"] = [e[1] for e in ends]
    return summary


def build_report(root: str | Path) -> Path:
    """Write ``tables/``, ``figures/`` and ``report.md`` into a results folder."""
    store = Store(root)
    manifest = store.manifest()
    spec = store.experiment()
    design = store.design()
    runs = load_results(root)
    failures = load_failures(root)
    outcomes = list(manifest["outcomes"])
    params = list(manifest["parameters"])
    labels = dict(zip(design["point_id"], design["label"], strict=True))
    tables, figures = store.root / "tables", store.root / "figures"
    tables.mkdir(exist_ok=True)
    figures.mkdir(exist_ok=True)
    shown = figure_outcomes(outcomes)
    subtitle = overrides_text(spec.set) if spec.set else ""

    keep = ["point_id", "replication", "seed", "label", *params, *outcomes]
    runs[[c for c in keep if c in runs]].to_csv(tables / "runs.csv", index=False)
    info = design[["point_id", "label", *params]]
    summary = info.merge(clipped_summary(runs, outcomes), on="point_id", how="right")
    summary.to_csv(tables / "summary.csv", index=False)

    md = [f"# {spec.name}", ""]
    if spec.description:
        md += [spec.description.strip(), ""]
    md += [f"- Design: **{spec.design.kind}**, {manifest['points']} points × "
           f"{spec.replications} replications = {manifest['runs']} runs; master seed {spec.seed}"
           f"{' (common random numbers)' if spec.common_random_numbers else ''}.",
           f"- Runs saved: {len(runs)} of {manifest['runs']}; failed: {len(failures)}; "
           f"status: {manifest.get('status', '?')}.",
           f"- Base: {', '.join(f'`{s}`' for s in sorted(set(design['scenario'])))}"
           f"{'; horizon ' + str(spec.weeks) + ' weeks' if spec.weeks else ''}"
           f"{'; set ' + subtitle if subtitle else ''}.",
           "- Code: " + ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
           + (f"; commit {manifest['git_commit']}" if manifest.get("git_commit") else "") + ".",
           "- Intervals are 95% Student-t confidence intervals over replications, held to each KPI's range "
           "(a share stays in 0-100%)" + (
               f"; each replication also draws its calibrated parameters from the posterior `{spec.posterior}`"
               f"{' (the same draw for every point of a replication)' if spec.common_random_numbers else ''}, "
               "so the intervals cover parameter uncertainty as well as random noise." if spec.posterior
               else ": they cover the model's random noise at fixed parameters, not parameter uncertainty "
               "(add `--posterior` for that)."), ""]
    md += warnings_section(runs)

    if spec.design.kind == "scenarios":
        md += _scenarios_section(store, runs, summary, labels, outcomes, shown, tables, figures, subtitle)
    else:
        md += _sweep_section(summary, labels, params, outcomes, shown, figures, spec.design.kind,
                             dict(spec.design.parameters) if spec.design.kind == "grid" else {}, subtitle)
        if spec.design.kind in ("morris", "sobol") and len(runs):
            try:
                md += _sensitivity_section(spec, design, runs, outcomes, tables, figures, subtitle)
            except UserError as exc:
                md += ["## Sensitivity", "", f"Not computed: {exc.message}.", ""]

    if len(failures):
        md += ["## Failed runs", "", md_table(
            ["point", "replication", "seed", "error"],
            [[str(r.point_id), str(r.replication), str(r.seed), str(r.error).splitlines()[0][:160]]
             for r in failures.itertuples()]), "", "Details in `failures/`.", ""]
    path = store.root / "report.md"
    write_text(path, "\n".join(md))
    return path


def warning_counts(runs: pd.DataFrame) -> list[tuple[str, int]]:
    """Each distinct model warning and how many runs gave it, most frequent first."""
    if "warnings" not in runs or not len(runs):
        return []
    counts = Counter(w for text in runs["warnings"].fillna("") for w in str(text).splitlines() if w)
    return counts.most_common()


def warnings_section(runs: pd.DataFrame) -> list[str]:
    counts = warning_counts(runs)
    if not counts:
        return []
    return ["## Model warnings", "", *[f"- {n} of {len(runs)} runs: {w}" for w, n in counts], ""]


def _cell(summary: pd.DataFrame, point: int, outcome: str) -> str:
    r = summary[(summary["point_id"] == point) & (summary["outcome"] == outcome)]
    return format_ci(outcome, r["mean"].iat[0], r["ci_low"].iat[0], r["ci_high"].iat[0]) if len(r) else "–"


def _scenarios_section(store, runs, summary, labels, outcomes, shown, tables, figures, subtitle) -> list[str]:
    from . import plots

    points = sorted(labels)
    md = ["## KPIs by scenario", "", "Mean [95% CI] over replications.", "",
          md_table(["KPI", *[labels[p] for p in points]],
                   [[row_label(o), *[_cell(summary, p, o) for p in points]] for o in outcomes]), ""]
    if len(runs) and len(points) > 1:
        diffs = stats.differences(runs, outcomes, reference=points[0])
        ends = [clip(o, lo, hi, difference=True)
                for o, lo, hi in zip(diffs["outcome"], diffs["ci_low"], diffs["ci_high"], strict=True)]
        diffs["ci_low"] = [e[0] for e in ends]
        diffs["ci_high"] = [e[1] for e in ends]
        diffs.insert(1, "label", diffs["point_id"].map(labels))
        diffs.to_csv(tables / "differences.csv", index=False)
        how = ("paired by seed (common random numbers)" if set(diffs["method"]) == {"paired"}
               else "Welch intervals where seeds differ")
        md += [f"## Difference to {labels[points[0]]}", "",
               f"Mean difference [95% CI], {how}; shares and rates in percentage points (pp); "
               "* marks intervals that exclude zero.",
               "", md_table(["KPI", *[labels[p] for p in points[1:]]],
                            [[row_label(o), *[_diff_cell(diffs, p, o) for p in points[1:]]] for o in outcomes]), ""]
    if len(runs):
        plots.kpi_bars(summary, labels, shown, figures / "kpis.png", subtitle)
        md += ["![KPIs with 95% intervals](figures/kpis.png)", ""]
        bands = series_bands(store, points)
        if len(bands):
            bands.to_csv(tables / "series_bands.csv", index=False)
            plots.series_bands(bands, labels, figures / "series.png", subtitle, warmup_weeks=_warmup(store))
            md += ["![Weekly series, mean and 95% band](figures/series.png)", ""]
    return md


def _warmup(store: Store) -> int:
    """The warm-up of the first base scenario, as the runs used it (cut to fit a shorter horizon)."""
    from ..inputs import read_yaml
    from ..scenario import warmup_for

    spec = store.experiment()
    files = sorted((store.root / "scenarios").glob("*.yaml"))
    if not files:
        return 0
    sim = read_yaml(files[0], "scenario").get("simulation", {})
    warm, horizon = int(sim.get("warmup_weeks", 0)), int(sim.get("horizon_weeks", 1))
    return warmup_for(spec.weeks, warm) if spec.weeks else min(warm, horizon - 1)


def _diff_cell(diffs: pd.DataFrame, point: int, outcome: str) -> str:
    r = diffs[(diffs["point_id"] == point) & (diffs["outcome"] == outcome)]
    if not len(r):
        return "–"
    d, lo, hi = r["difference"].iat[0], r["ci_low"].iat[0], r["ci_high"].iat[0]
    mark = " *" if np.isfinite(lo) and (lo > 0 or hi < 0) else ""
    return format_difference(outcome, d, lo, hi) + mark


def _sweep_section(summary, labels, params, outcomes, shown, figures, kind, grid, subtitle) -> list[str]:
    from . import plots

    points = sorted(labels)
    md = ["## Results by design point", "", "Mean [95% CI] over replications.", "",
          md_table(["point", *[param_label(p) for p in params], *[label(o) for o in outcomes]],
                   [[str(p), *[_param(summary, p, q) for q in params],
                     *[_cell(summary, p, o) for o in outcomes]] for p in points]), ""]
    if not len(summary) or kind in ("morris", "sobol"):
        return md
    if kind == "grid" and len(params) == 2 and all(len(v) > 1 for v in grid.values()):
        plots.heatmap(summary, params[0], params[1], shown, figures / "heatmap.png", subtitle)
        md += ["![Heatmap of mean KPIs](figures/heatmap.png)", ""]
    elif len(params) == 1:
        plots.lines(summary, params[0], shown, figures / "sweep.png", subtitle)
        md += ["![KPIs along the sweep, mean and 95% band](figures/sweep.png)", ""]
    else:
        plots.scatter(summary, params, shown, figures / "scatter.png", subtitle)
        md += ["![Mean KPIs against each parameter](figures/scatter.png)", ""]
    return md


def _param(summary: pd.DataFrame, point: int, name: str) -> str:
    r = summary.loc[summary["point_id"] == point, name]
    return param_value(name, r.iat[0]) if len(r) else "–"


def _sensitivity_section(spec, design, runs, outcomes, tables, figures, subtitle) -> list[str]:
    from . import plots, sensitivity

    table = sensitivity.indices(spec, design, runs, outcomes)
    table.to_csv(tables / "sensitivity.csv", index=False)
    plots.sensitivity(table, figures / "sensitivity.png", subtitle)
    morris = spec.design.kind == "morris"
    md = [f"## Sensitivity ({'Morris elementary effects' if morris else 'Sobol indices'})", "",
          "Indices of each KPI's mean over replications; intervals are 95% bootstrap intervals"
          + (" (μ* in the KPI's own unit, at least 0)." if morris else " (shares of variance, in [0, 1])."), ""]
    for name, t in table.groupby("outcome", sort=False):
        t = t.sort_values("mu_star" if morris else "ST", ascending=False)
        if morris:
            rows = [[param_label(r.parameter), _ci(r.mu_star, r.mu_star_ci_low, r.mu_star_ci_high),
                     fmt(r.mu), fmt(r.sigma)] for r in t.itertuples()]
            md += [f"### {label(name)}", "", md_table(["parameter", "μ* [95% CI]", "μ", "σ"], rows), ""]
        else:
            rows = [[param_label(r.parameter), _ci(r.S1, r.S1_ci_low, r.S1_ci_high),
                     _ci(r.ST, r.ST_ci_low, r.ST_ci_high)] for r in t.itertuples()]
            md += [f"### {label(name)}", "", md_table(["parameter", "S1 [95% CI]", "ST [95% CI]"], rows), ""]
    md += ["![Sensitivity indices](figures/sensitivity.png)", ""]
    return md


def _ci(m: float, lo: float, hi: float) -> str:
    return f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]"

"""Tables, figures and a Markdown report from a results folder, without running anything.

The aggregated tables (``tables/*.csv``) depend only on the saved runs, so a
sweep that was killed and resumed gives the same bytes as one that never
stopped.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from .. import stats
from ..errors import UserError
from . import plots, sensitivity
from .design import short_name
from .store import Store, load_failures, load_results, write_text

SERIES = ("sw_headcount", "sw_vacancies", "sw_burnout_mean", "backlog", "trust_mean",
          "volunteers_active")
"""Weekly series drawn with bands in a comparison."""

FIGURE_OUTCOMES = 12
"""Most KPIs drawn in one figure (the tables hold them all)."""

HEADLINE = ("sw_turnover_rate", "sw_vacancy_rate", "sw_burnout_mean", "resolution_rate",
            "mean_wait_weeks", "backlog_mean", "coverage_vulnerable", "trust_mean", "wellbeing_mean",
            "volunteer_rate", "cost_per_resolved_need", "ngo_failures")
"""KPIs drawn when an experiment keeps all of them."""


def fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    digits = max(0, 3 - int(math.floor(math.log10(abs(x)))) - 1)
    return f"{x:,.{min(digits, 6)}f}"


def fmt_ci(m: float, lo: float, hi: float) -> str:
    return f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]"


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def figure_outcomes(outcomes: list[str]) -> list[str]:
    if len(outcomes) <= FIGURE_OUTCOMES:
        return outcomes
    return [o for o in HEADLINE if o in outcomes] or outcomes[:FIGURE_OUTCOMES]


def series_bands(store: Store, points: list[int], columns=SERIES,
                 level: float = stats.LEVEL) -> pd.DataFrame:
    """Weekly mean and t interval per point, read one run at a time."""
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
            half = sps.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
        else:
            half = np.full_like(mean, np.nan)
        for j, col in enumerate(cols):
            frames.append(pd.DataFrame({"point_id": point, "column": col, "week": weeks,
                                        "mean": mean[:, j], "ci_low": mean[:, j] - half[:, j],
                                        "ci_high": mean[:, j] + half[:, j]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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

    keep = ["point_id", "replication", "seed", "label", *params, *outcomes]
    runs[[c for c in keep if c in runs]].to_csv(tables / "runs.csv", index=False)
    info = design[["point_id", "label", *params]]
    summary = stats.summarize(runs, outcomes) if len(runs) else pd.DataFrame(
        columns=["point_id", "outcome", "n", "mean", "sd", "ci_low", "ci_high"])
    summary = info.merge(summary, on="point_id", how="right")
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
           f"{'; set ' + ', '.join(f'{k}={v}' for k, v in spec.set.items()) if spec.set else ''}.",
           "- Code: " + ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
           + (f"; commit {manifest['git_commit']}" if manifest.get("git_commit") else "") + ".",
           "- Intervals are 95% Student-t confidence intervals over replications.", ""]

    if spec.design.kind == "scenarios":
        md += _scenarios_section(store, runs, summary, labels, outcomes, shown, tables, figures)
    else:
        md += _sweep_section(summary, labels, params, outcomes, shown, figures, spec.design.kind,
                             dict(spec.design.parameters) if spec.design.kind == "grid" else {})
        if spec.design.kind in ("morris", "sobol") and len(runs):
            try:
                md += _sensitivity_section(spec, design, runs, outcomes, tables, figures)
            except UserError as exc:
                md += ["## Sensitivity", "", f"Not computed: {exc.message}.", ""]

    if len(failures):
        md += ["## Failed runs", "", md_table(
            ["point", "replication", "seed", "error"],
            [[str(r.point_id), str(r.replication), str(r.seed), str(r.error).splitlines()[0][:160]]
             for r in failures.itertuples()]), "", "Details in `failures/`.", ""]
    if "warnings" in runs and runs["warnings"].astype(bool).any():
        counts = Counter(w for text in runs["warnings"] for w in str(text).splitlines() if w)
        md += ["## Model warnings", ""] + [f"- {n} runs: {w}" for w, n in counts.most_common()] + [""]
    path = store.root / "report.md"
    write_text(path, "\n".join(md))
    return path


def _cell(summary: pd.DataFrame, point: int, outcome: str) -> str:
    r = summary[(summary["point_id"] == point) & (summary["outcome"] == outcome)]
    return fmt_ci(r["mean"].iat[0], r["ci_low"].iat[0], r["ci_high"].iat[0]) if len(r) else "–"


def _scenarios_section(store, runs, summary, labels, outcomes, shown, tables, figures) -> list[str]:
    points = sorted(labels)
    md = ["## KPIs by scenario", "", "Mean [95% CI] over replications.", "",
          md_table(["KPI", *[labels[p] for p in points]],
                   [[o, *[_cell(summary, p, o) for p in points]] for o in outcomes]), ""]
    if len(runs) and len(points) > 1:
        diffs = stats.differences(runs, outcomes, reference=points[0])
        diffs.insert(1, "label", diffs["point_id"].map(labels))
        diffs.to_csv(tables / "differences.csv", index=False)
        how = ("paired by seed (common random numbers)" if set(diffs["method"]) == {"paired"}
               else "Welch intervals where seeds differ")
        md += [f"## Difference to {labels[points[0]]}", "",
               f"Mean difference [95% CI], {how}; * marks intervals that exclude zero.",
               "", md_table(["KPI", *[labels[p] for p in points[1:]]],
                            [[o, *[_diff_cell(diffs, p, o) for p in points[1:]]] for o in outcomes]), ""]
    if len(runs):
        plots.kpi_bars(summary, labels, shown, figures / "kpis.png")
        md += ["![KPIs with 95% intervals](figures/kpis.png)", ""]
        bands = series_bands(store, points)
        if len(bands):
            bands.to_csv(tables / "series_bands.csv", index=False)
            plots.series_bands(bands, labels, figures / "series.png")
            md += ["![Weekly series, mean and 95% band](figures/series.png)", ""]
    return md


def _diff_cell(diffs: pd.DataFrame, point: int, outcome: str) -> str:
    r = diffs[(diffs["point_id"] == point) & (diffs["outcome"] == outcome)]
    if not len(r):
        return "–"
    d, lo, hi = r["difference"].iat[0], r["ci_low"].iat[0], r["ci_high"].iat[0]
    mark = " *" if np.isfinite(lo) and (lo > 0 or hi < 0) else ""
    return fmt_ci(d, lo, hi) + mark


def _sweep_section(summary, labels, params, outcomes, shown, figures, kind, grid) -> list[str]:
    points = sorted(labels)
    md = ["## Results by design point", "", "Mean [95% CI] over replications.", "",
          md_table(["point", *[short_name(p) for p in params], *outcomes],
                   [[str(p), *[_param(summary, p, q) for q in params],
                     *[_cell(summary, p, o) for o in outcomes]] for p in points]), ""]
    if not len(summary) or kind in ("morris", "sobol"):
        return md
    if kind == "grid" and len(params) == 2 and all(len(v) > 1 for v in grid.values()):
        plots.heatmap(summary, params[0], params[1], shown, figures / "heatmap.png")
        md += ["![Heatmap of mean KPIs](figures/heatmap.png)", ""]
    elif len(params) == 1:
        plots.lines(summary, params[0], shown, figures / "sweep.png")
        md += ["![KPIs along the sweep, mean and 95% band](figures/sweep.png)", ""]
    else:
        plots.scatter(summary, params, shown, figures / "scatter.png")
        md += ["![Mean KPIs against each parameter](figures/scatter.png)", ""]
    return md


def _param(summary: pd.DataFrame, point: int, name: str) -> str:
    r = summary.loc[summary["point_id"] == point, name]
    if not len(r):
        return "–"
    v = r.iat[0]
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:.4g}"
    return str(v)


def _sensitivity_section(spec, design, runs, outcomes, tables, figures) -> list[str]:
    table = sensitivity.indices(spec, design, runs, outcomes)
    table.to_csv(tables / "sensitivity.csv", index=False)
    plots.sensitivity(table, figures / "sensitivity.png")
    morris = spec.design.kind == "morris"
    md = [f"## Sensitivity ({'Morris elementary effects' if morris else 'Sobol indices'})", "",
          "Indices of each KPI's mean over replications; intervals are 95% bootstrap intervals.", ""]
    for name, t in table.groupby("outcome", sort=False):
        t = t.sort_values("mu_star" if morris else "ST", ascending=False)
        if morris:
            rows = [[short_name(r.parameter), fmt_ci(r.mu_star, r.mu_star_ci_low, r.mu_star_ci_high),
                     fmt(r.mu), fmt(r.sigma)] for r in t.itertuples()]
            md += [f"### {name}", "", md_table(["parameter", "μ* [95% CI]", "μ", "σ"], rows), ""]
        else:
            rows = [[short_name(r.parameter), fmt_ci(r.S1, r.S1_ci_low, r.S1_ci_high),
                     fmt_ci(r.ST, r.ST_ci_low, r.ST_ci_high)] for r in t.itertuples()]
            md += [f"### {name}", "", md_table(["parameter", "S1 [95% CI]", "ST [95% CI]"], rows), ""]
    md += ["![Sensitivity indices](figures/sensitivity.png)", ""]
    return md

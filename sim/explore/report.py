"""The optimisation report: what the lever search found, readable offline by a researcher.

From the tables of one ``SearchResult`` per seed (and, optionally, the hold-out scores of the final set
and a scenario discovery) it writes
PNG figures and one HTML page that needs nothing else: figures are inlined as base64 PNG, styles
are inline, there are no scripts and no links to anywhere. The page shows the trade-offs between
the objectives (the non-dominated candidates numbered, coloured by cost), a table of those
candidates with every lever in its unit, their parallel coordinates, the convergence of each
seed, the final set's robustness and regret on fresh draws, and the discovery's trade-off curve and
box::

    OUT/
      report.html                    the page (open it in any browser, no network needed)
      report.json                    what the report was built from (the folder's marker)
      figures/pareto.png, parallel.png, convergence.png[, holdout.png, tradeoff.png, box_limits.png]
      tables/nondominated.csv        the non-dominated candidates of all seeds, numbered as in the figures
      tables/holdout.csv             each of them and the status quo on the hold-out draws, with regret

Labels and units come from one function ``describe(name) -> (label, unit)``, by default
``adapter.describe``.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import adapter
from .discover import Discovery, restriction_text
from .folders import publish
from .search import SearchResult
from .space import Lever, Objective
from .units import axis_label, format_value, plain, scale_for

MARKER = "report.json"
Describe = Callable[[str], tuple[str, str]]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th { background: #f4f4f4; } td.text { text-align: left; }
p.note { font-size: 0.9em; color: #555; }
"""


def nondominated(table: pd.DataFrame, objectives: Sequence[Objective]) -> pd.DataFrame:
    """The rows (each candidate once) that no other row dominates, in the objectives' directions."""
    unique = table.drop_duplicates("key").reset_index(drop=True)
    values = np.column_stack([o.to_minimise(unique[o.name].to_numpy(dtype=float)) for o in objectives])
    keep = np.ones(len(unique), dtype=bool)
    for i in range(len(unique)):
        no_worse = (values <= values[i]).all(axis=1)
        better = (values < values[i]).any(axis=1)
        keep[i] = not (no_worse & better).any()
    return unique[keep].reset_index(drop=True)


def pooled(runs: Mapping[int, SearchResult], objectives: Sequence[Objective]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every candidate of every seed (with a ``seed`` column) and the non-dominated set across seeds.

    A candidate non-dominated across seeds is non-dominated within its own seed, so the seeds'
    archives hold every member of the pooled set. ``found_by`` lists the seeds that found it.
    """
    candidates = pd.concat([r.candidates.assign(seed=seed) for seed, r in runs.items()], ignore_index=True)
    archives = pd.concat([r.archive.assign(seed=seed) for seed, r in runs.items()], ignore_index=True)
    front = nondominated(archives, objectives)
    finders = archives.groupby("key")["seed"].apply(lambda s: ", ".join(str(v) for v in sorted(set(s))))
    front = front.assign(found_by=front["key"].map(finders)).drop(columns="seed")
    order = front.sort_values([o.name for o in objectives], kind="stable").index
    return candidates, front.loc[order].reset_index(drop=True)


def _check(runs: Mapping[int, SearchResult], objectives: Sequence[Objective], levers: Sequence[Lever]) -> None:
    if not runs:
        raise ValueError("the report needs at least one search result")
    for seed, result in runs.items():
        if result.candidates.empty:
            raise ValueError(f"the search of seed {seed} has no candidates")
        missing = [n for n in [*(o.name for o in objectives), *(lv.name for lv in levers)]
                   if n not in result.candidates.columns]
        if missing:
            raise ValueError(f"the search of seed {seed} has no column {missing[0]!r}")


def _image(path: Path, alt: str, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _html_table(frame: pd.DataFrame, text_columns: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = "".join(f'<td class="text">{html.escape(str(v))}</td>' if c in text_columns
                        else f"<td>{html.escape(str(v))}</td>" for c, v in zip(frame.columns, record, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _column(values: pd.Series, name: str, describe: Describe) -> tuple[str, list[str]]:
    """A table column's heading (label and scaled unit) and its values as text."""
    label, unit = describe(name)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric:
        return axis_label(label, unit), ["yes" if v is True else "no" if v is False else str(v) for v in values]
    scale = scale_for(unit, values)
    return axis_label(label, scale.unit), [plain(v / scale.divisor) for v in values]


def front_table(front: pd.DataFrame, levers: Sequence[Lever], objectives: Sequence[Objective], cost_unit: str,
                describe: Describe = adapter.describe) -> pd.DataFrame:
    """The non-dominated set as a researcher reads it: numbered, levers and objectives in their units."""
    table = {"#": list(range(1, len(front) + 1))}
    for lever in levers:
        heading, values = _column(front[lever.name], lever.name, describe)
        table[heading] = values
    for name in ("cost", "slack"):
        if name in front:
            heading, values = _column(front[name], name, lambda n: (n, cost_unit))
            table[heading] = values
    for objective in objectives:
        heading, values = _column(front[objective.name], objective.name, describe)
        table[f"{heading} ({'max' if objective.direction == 'maximise' else 'min'})"] = values
    table["found by seed"] = list(front["found_by"])
    return pd.DataFrame(table)


def holdout_table(scores: pd.DataFrame, objectives: Sequence[Objective], cost_unit: str,
                  describe: Describe = adapter.describe) -> pd.DataFrame:
    """The final set and the status quo on the hold-out draws: cost, each score on the search and on the hold-out
    draws, and regret against the status quo and against the best of the set, in the objectives' units."""
    table: dict[str, list[str]] = {"mix": list(scores["mix"])}
    for name in ("cost", "slack"):
        heading, values = _column(scores[name], name, lambda n: (n, cost_unit))
        table[heading] = values
    kpis = list(dict.fromkeys(o.name for o in objectives))
    for name in kpis:
        label, unit = describe(name)
        for column, what in ((name, "search draws"), (f"holdout_{name}", "hold-out draws")):
            values = scores[column]
            scale = scale_for(unit, values.dropna())
            table[f"{axis_label(label, scale.unit)}, {what}"] = [
                "–" if pd.isna(v) else plain(v / scale.divisor) for v in values]
    regrets = [c for c in scores.columns if "_regret_" in c]
    for column in regrets:
        kpi, _, rest = column.partition("_regret_")
        against, _, statistic = rest.partition("_")
        label, unit = describe(kpi)
        what = "status quo" if against == "sq" else "best of the set"
        summary = "mean" if statistic == "mean" else f"{statistic[1:]}th percentile"
        table[f"regret of {label} against the {what}, {summary} [{unit}]"] = [
            "–" if pd.isna(v) else plain(v) for v in scores[column]]
    return pd.DataFrame(table)


def _holdout_section(scores: pd.DataFrame, objectives: Sequence[Objective], figures: Path, cost_unit: str,
                     describe: Describe) -> list[str]:
    from .figures import holdout_figure, save

    save(holdout_figure(scores, objectives, describe), figures / "holdout.png")
    table = holdout_table(scores, objectives, cost_unit, describe)
    return [
        "<h2>The final set on fresh draws</h2>",
        "<p>Every non-dominated candidate and the status quo (the scenario's own levers) were run again on hold-out "
        "draws of the uncertain parameters that the search never saw, with the same robustness metrics. Regret is "
        "how much worse a mix does than a benchmark in the same draw: the status quo, or the best mix of the final "
        "set in that draw (positive is worse); it is summarised by its mean over the draws and by the regret "
        "exceeded in only one draw in ten.</p>",
        _image(figures / "holdout.png", "Hold-out scores",
               "Each mix's score on the search draws (open) and on the hold-out draws (filled); the dashed line is "
               "the status quo on the hold-out draws."),
        _html_table(table, text_columns=("mix",)),
    ]


def _discovery_section(found: Discovery, figures: Path, describe: Describe) -> list[str]:
    from .figures import box_limits_figure, save, tradeoff_figure

    box = found.trajectory.loc[found.chosen]
    save(tradeoff_figure(found.trajectory, found.chosen, found.title), figures / "tradeoff.png")
    save(box_limits_figure(found.box, found.ranges,
                           f"Box #{found.chosen}: coverage {box['coverage']:.0%}, density {box['density']:.0%}",
                           describe), figures / "box_limits.png")
    rows = []
    for name, part in found.box.groupby("input", sort=False):
        label, unit = describe(name)
        p = float(part["quasi_p"].min())
        rows.append({"input": axis_label(label, unit), "restriction": restriction_text(part, unit),
                     "quasi-p": "< 0.001" if p < 0.001 else f"{p:.3f}"})
    table = pd.DataFrame(rows, columns=["input", "restriction", "quasi-p"])
    return [
        f"<h2>Scenario discovery: {html.escape(found.title)}</h2>",
        f"<p>{found.cases:,} of {found.rows:,} runs of <code>{html.escape(found.source)}</code> have "
        f"{html.escape(found.outcome)} {html.escape(found.rule)}. The chosen box (#{found.chosen}, "
        f"{html.escape(found.how_chosen)}) holds {box['coverage']:.0%} of them (coverage), and "
        f"{box['density']:.0%} of the runs inside it are cases (density).</p>",
        _image(figures / "tradeoff.png", "PRIM trade-off curve",
               "Coverage against density for every box of the PRIM trajectory, coloured by the number of "
               "restricted inputs; the chosen box is ringed."),
        _html_table(table, text_columns=("input", "restriction")),
        '<p class="note">A quasi-p value is the chance of a box this dense if the restriction were dropped; a '
        "large one marks a restriction that is probably noise.</p>",
        _image(figures / "box_limits.png", "Box limits",
               "The chosen box within the sampled range of each input it restricts."),
    ]


def build_report(runs: Mapping[int, SearchResult] | SearchResult, objectives: Sequence[Objective],
                 levers: Sequence[Lever], out: str | Path, *, discovery: Discovery | None = None,
                 title: str = "Lever search", budget: float | None = None, cost_unit: str = "yuan/year",
                 describe: Describe = adapter.describe, holdout: Any = None, notes: Sequence[str] = ()) -> Path:
    """Write the report's figures, table and HTML page to ``out`` (whole or not at all); return the page's path.

    ``runs`` maps each seed to its search result (a single result counts as seed 0). ``budget``
    and ``cost_unit`` describe the candidates' ``cost`` column. ``holdout`` (with a ``scores``
    table, see ``optimize.Holdout``) adds the final set's robustness on fresh draws; ``notes`` are
    shown at the end.
    """
    from .figures import convergence_figure, parallel_figure, pareto_figure, save

    if isinstance(runs, SearchResult):
        runs = {0: runs}
    objectives, levers = list(objectives), list(levers)
    _check(runs, objectives, levers)
    candidates, front = pooled(runs, objectives)
    table = front_table(front, levers, objectives, cost_unit, describe)
    evaluations = sum(int(r.convergence["evaluations"].iloc[-1]) for r in runs.values() if not r.convergence.empty)

    def build(folder: Path) -> None:
        figures, tables = folder / "figures", folder / "tables"
        figures.mkdir()
        tables.mkdir()
        table.to_csv(tables / "nondominated.csv", index=False)
        if len(objectives) >= 2:
            save(pareto_figure(candidates, front, objectives, cost_unit, describe), figures / "pareto.png")
        save(parallel_figure(front, levers, objectives, describe), figures / "parallel.png")
        save(convergence_figure({seed: r.convergence for seed, r in runs.items()}), figures / "convergence.png")
        budget_text = f" within a budget of {html.escape(format_value(budget, cost_unit))}" if budget else ""
        parts = [
            "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{len(runs)} search{'es' if len(runs) != 1 else ''} (seeds "
            f"{html.escape(', '.join(str(s) for s in sorted(runs)))}) evaluated {evaluations:,} candidates"
            f"{budget_text}; {len(front):,} of them are not dominated by any other. Objectives: "
            + html.escape("; ".join(f"{describe(o.name)[0]} ({o.direction})" for o in objectives)) + ".</p>",
        ]
        if (figures / "pareto.png").exists():
            parts += ["<h2>Trade-offs between the objectives</h2>",
                      _image(figures / "pareto.png", "Pareto front",
                             "Every evaluated candidate in grey; the non-dominated ones numbered as in the table "
                             "below and coloured by cost.")]
        parts += ["<h2>The non-dominated candidates</h2>",
                  _html_table(table, text_columns=[c for c in table.columns if c == "found by seed"]),
                  "<h2>Levers of the non-dominated candidates</h2>",
                  _image(figures / "parallel.png", "Parallel coordinates",
                         "One line per non-dominated candidate across every lever and objective; each axis runs "
                         "from its lowest to its highest allowed value, labelled in its unit."),
                  "<h2>Convergence</h2>",
                  _image(figures / "convergence.png", "Convergence",
                         "Hypervolume and epsilon-progress against evaluations, one line per seed. Curves that "
                         "have flattened, and seeds that agree, suggest the search has converged."),
                  _html_table(pd.DataFrame([
                      {"seed": seed, "generations": len(r.convergence),
                       "evaluations": f"{int(r.convergence['evaluations'].iloc[-1]):,}",
                       "hypervolume": plain(float(r.convergence["hypervolume"].iloc[-1])),
                       "epsilon-progress": f"{int(r.convergence['epsilon_progress'].iloc[-1]):,}"}
                      for seed, r in sorted(runs.items()) if not r.convergence.empty]))]
        if holdout is not None:
            holdout_table(holdout.scores, objectives, cost_unit, describe).to_csv(tables / "holdout.csv", index=False)
            parts += _holdout_section(holdout.scores, objectives, figures, cost_unit, describe)
        if discovery is not None:
            parts += _discovery_section(discovery, figures, describe)
        parts += [f'<p class="note">{html.escape(note)}</p>' for note in notes]
        parts.append("</body></html>")
        (folder / "report.html").write_text("\n".join(parts) + "\n", encoding="utf-8")
        meta = {"title": title, "seeds": sorted(runs), "evaluations": evaluations, "nondominated": len(front),
                "objectives": [o.name for o in objectives], "levers": [lv.name for lv in levers],
                "budget": budget, "cost_unit": cost_unit,
                "discovery": None if discovery is None else {"outcome": discovery.outcome, "rule": discovery.rule,
                                                             "source": discovery.source}}
        (folder / MARKER).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return publish(Path(out), MARKER, build) / "report.html"

"""``python -m sim.explore.docs``: run the bundled aging-estate optimisation and write ``docs/optimization.md``.

The page is generated, never edited by hand: it explains ``cogov optimize`` and states what the
model answers for the Huarui estate (``experiments/optimize_aging_estate.yaml``), with the
hold-out robustness of each recommended mix and what PRIM says makes the final set fail. Its
figures go to ``docs/img/optimization/`` (small PNGs), and the optimisation's runtime and
convergence become the "Robust optimisation" section at the end of ``docs/performance.md``.

The optimisation runs into ``--out`` (default ``results/optimize_aging_estate``); a folder that
already holds it is resumed, so regenerating the page after a finished run simulates nothing.
``--from-results`` writes the page from a finished folder without resuming it (after a change to
the code that would make a resume refuse).
The page records the example file's hash and the code and library versions it was made from;
a test compares the hash with the file, so an edited example with a stale page is noticed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..provenance import model_fingerprint
from . import adapter
from .optimize import STATUS_QUO, Outcome, optimize, print_line, score_describe
from .space import Objective
from .store import MANIFEST, file_hash
from .units import format_value, plain, scale_for

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = Path("experiments") / "optimize_aging_estate.yaml"
DOC = Path("docs") / "optimization.md"
IMAGES = Path("docs") / "img" / "optimization"
PERFORMANCE = Path("docs") / "performance.md"
PERFORMANCE_HEADING = "## Robust optimisation"
DPI = 64
"""Figures for the docs are drawn small: they are committed."""
RECORD = re.compile(r"<!-- recorded inputs\n(?P<json>.*?)\n-->", re.DOTALL)


def recorded(text: str) -> dict[str, Any]:
    """The inputs a generated page records (example file hash, settings, code and library versions)."""
    match = RECORD.search(text)
    if match is None:
        raise ValueError("the page records no inputs")
    return json.loads(match["json"])


def settings(spec: Any) -> dict[str, Any]:
    """The example's settings that shape its answers, as the page states them."""
    u, s = spec.uncertainty, spec.search
    return {"budget_yuan_per_year": spec.budget.yuan_per_year, "levers": list(spec.levers), "draws": u.draws,
            "replications": u.replications, "holdout_draws": u.holdout_draws, "population": s.population,
            "generations": s.generations, "seeds": list(s.seeds), "weeks": spec.weeks, "seed": spec.seed,
            "objectives": [o.kpi for o in spec.objectives],
            "uncertain": sorted(u.ranges) if u.ranges else ([] if u.posterior is None else [u.posterior])}


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(cell, row)) + " |" for row in rows])


def _better(value: float, than: float, direction: str) -> bool:
    return value <= than if direction == "minimise" else value >= than


def cpu_seconds_per_run(resolved: Any, runs: int = 4) -> float:
    """CPU seconds of one model run of the example (the status quo on its first draws, in this process).

    Wall times on shared cores depend on what else runs; the CPU time a run needs does not, so
    it says how long the example takes on two cores of its own.
    """
    import time
    import warnings

    from . import problem

    draws = problem.draws(resolved)[:runs]
    scenario = adapter.scenario_data(resolved.base)
    task = adapter.runner().run_task
    spent = []
    for run in problem.runs_of(resolved.status_quo(), draws, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.process_time()
            task(problem.task(resolved, scenario, run))
            spent.append(time.process_time() - start)
    return sum(spent) / len(spent)


def _sessions(manifest: dict[str, Any]) -> tuple[int, float]:
    """Runs simulated and the seconds spent, over the sessions that simulated."""
    sessions = [s for s in manifest.get("sessions", []) if s.get("simulated")]
    return sum(int(s["simulated"]) for s in sessions), sum(float(s["seconds"]) for s in sessions)


def _figures(outcome: Outcome, images: Path, describe) -> dict[str, Path]:
    from .figures import box_limits_figure, convergence_figure, holdout_figure, pareto_figure, save
    from .report import pooled

    images.mkdir(parents=True, exist_ok=True)
    objectives = [s.objective() for s in outcome.resolved.scores]
    candidates, front = pooled(outcome.results, objectives)
    out = {"pareto": images / "pareto.png", "convergence": images / "convergence.png"}
    save(pareto_figure(candidates, front, objectives, "yuan/year", describe), out["pareto"], dpi=DPI)
    save(convergence_figure({seed: r.convergence for seed, r in outcome.results.items()}), out["convergence"],
         dpi=DPI)
    if outcome.holdout is not None:
        out["holdout"] = images / "holdout.png"
        save(holdout_figure(outcome.holdout.scores, objectives, describe), out["holdout"], dpi=DPI)
    found = outcome.discovery
    if found is not None:
        out["box"] = images / "box_limits.png"
        box = found.trajectory.loc[found.chosen]
        save(box_limits_figure(found.box, found.ranges, f"Box #{found.chosen}: coverage {box['coverage']:.0%}, "
                               f"density {box['density']:.0%}", describe), out["box"], dpi=DPI)
    return out


def _lever_row(lever: Any, resolved: Any) -> tuple[str, str, str]:
    label, unit = adapter.describe(lever.name)
    if lever.kind in ("real", "integer"):
        scale = scale_for(unit, [lever.lower, lever.upper])
        span = f"{plain(lever.lower / scale.divisor)} to {plain(lever.upper / scale.divisor)} {scale.unit}"
    else:
        span = "one of " + ", ".join(plain(o) if isinstance(o, float) else str(o) for o in lever.options)
    if lever.name in resolved.balances:
        span += f" (moves `{resolved.balances[lever.name][0]}` the other way)"
    return label, f"`{lever.name}`", span


def _lever_text(name: str, value: object) -> str:
    label, unit = adapter.describe(name)
    return f"{label} {format_value(value, unit)}"


def _answer(outcome: Outcome, objectives: list[Objective], describe) -> list[str]:
    """What the model answers: which mixes do better than the status quo on the hold-out draws, and by how much."""
    scores = outcome.holdout.scores
    quo = scores[scores["mix"] == STATUS_QUO]
    mixes = scores[scores["mix"] != STATUS_QUO]
    lines = []
    if quo.empty:
        return ["The status quo is itself a member of the final set."]
    quo = quo.iloc[0]
    winners = [row for row in mixes.to_dict("records")
               if all(_better(row[f"holdout_{o.name}"], quo[f"holdout_{o.name}"], o.direction) for o in objectives)]
    if winners:
        names = ", ".join(f"#{row['mix']}" for row in winners)
        lines.append(f"On the {outcome.resolved.spec.uncertainty.holdout_draws} hold-out draws, which the search never "
                     f"saw, {len(winners)} of the {len(mixes)} mixes of the final set ({names}) do at least as well "
                     "as the status quo on every objective, within the same budget:")
        lines.append("")
        for row in winners:
            gains = "; ".join(f"{describe(o.name)[0]} {plain(row[f'holdout_{o.name}'])} against "
                              f"{plain(quo[f'holdout_{o.name}'])}" for o in objectives)
            lines.append(f"- **Mix #{row['mix']}** ({format_value(row['cost'], 'yuan/year')}, slack "
                         f"{format_value(row['slack'], 'yuan/year')}): {gains}.")
        shared = _shared_moves(winners, outcome.resolved)
        if shared:
            lines += ["", "What they have in common, against the status quo: " + "; ".join(shared) + "."]
        resolved = outcome.resolved
        bought = sorted({_posts(resolved, {lv.name: row[lv.name] for lv in resolved.levers}) for row in winners})
        lines += ["", f"They buy {' or '.join(map(str, bought))} post{'s' if bought != [1] else ''}, the status quo "
                  f"{_posts(resolved, resolved.status_quo())} (posts are bought whole, rounded from the posts per "
                  "1,000 residents)."]
    else:
        lines.append("No mix of the final set does at least as well as the status quo on every objective on the "
                     "hold-out draws; the table below shows what each trades.")
    lines.append("")
    for o in objectives:
        best = mixes.sort_values(f"holdout_{o.name}", ascending=o.direction == "minimise", kind="stable").iloc[0]
        lines.append(f"- Best on {describe(o.name)[0].lower()}: mix #{best['mix']} "
                     f"({plain(best[f'holdout_{o.name}'])}; status quo {plain(quo[f'holdout_{o.name}'])}).")
    return lines


def _shared_moves(winners: Sequence[dict[str, Any]], resolved: Any) -> list[str]:
    """The numeric levers that every winning mix moves the same way from the status quo (by over 2% of the range)."""
    quo = resolved.status_quo()
    out = []
    for lever in resolved.levers:
        if lever.kind not in ("real", "integer"):
            continue
        label, unit = adapter.describe(lever.name)
        values = [float(row[lever.name]) for row in winners]
        step = 0.02 * (lever.upper - lever.lower)
        scale = scale_for(unit, [*values, float(quo[lever.name])])
        span = "–".join(dict.fromkeys(plain(v / scale.divisor) for v in (min(values), max(values))))
        now = plain(float(quo[lever.name]) / scale.divisor)
        if all(v > float(quo[lever.name]) + step for v in values):
            out.append(f"{label} raised to {span} {scale.unit} (now {now})")
        elif all(v < float(quo[lever.name]) - step for v in values):
            out.append(f"{label} cut to {span} {scale.unit} (now {now})")
    return out


def _levers_of_winners(outcome: Outcome) -> list[str]:
    """How the recommended mixes differ from the status quo, lever by lever."""
    resolved = outcome.resolved
    scores = outcome.holdout.scores
    quo = resolved.status_quo()
    rows = []
    for row in scores.to_dict("records"):
        levers = {lever.name: row[lever.name] for lever in resolved.levers}
        rows.append([row["mix"], *(_short(value) for value in levers.values()), _posts(resolved, levers)])
    header = ["mix", *(f"{adapter.describe(lv.name)[0]} [{adapter.describe(lv.name)[1]}]" for lv in resolved.levers),
              "posts bought"]
    return [_table(header, rows), "", "The status quo row is the scenario as it is: "
            + "; ".join(_lever_text(name, value) for name, value in quo.items()) + "."]


def _posts(resolved: Any, levers: dict[str, object]) -> int:
    return adapter.posts_bought(resolved.base, resolved.overrides(levers))


def _short(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return plain(value)


def _holdout_table(outcome: Outcome, objectives: list[Objective], describe) -> str:
    scores = outcome.holdout.scores
    header = ["mix", "cost [万元/year]", "slack [万元/year]"]
    for o in objectives:
        label, unit = describe(o.name)
        header += [f"{label} [{unit}], search draws", "same, hold-out draws"]
    kpis = list(dict.fromkeys(s.kpi for s in outcome.resolved.scores))
    for kpi in kpis:
        header.append(f"regret of {adapter.describe(kpi)[0].lower()} against the status quo: mean / 90th pct")
    rows = []
    for row in scores.to_dict("records"):
        cells = [row["mix"], plain(row["cost"] / 1e4), plain(row["slack"] / 1e4)]
        for o in objectives:
            cells += ["–" if pd.isna(row[o.name]) else plain(row[o.name]), plain(row[f"holdout_{o.name}"])]
        for kpi in kpis:
            cells.append(f"{plain(row[f'{kpi}_regret_sq_mean'])} / {plain(row[f'{kpi}_regret_sq_p90'])}")
        rows.append(cells)
    return _table(header, rows)


def _discovery(outcome: Outcome) -> list[str]:
    from .discover import restriction_text

    found = outcome.discovery
    spec = outcome.resolved.spec.discover
    if spec is None:
        return ["The example asks for no scenario discovery."]
    if found is None:
        return [*outcome.notes] or ["Scenario discovery found nothing to tell apart."]
    box = found.trajectory.loc[found.chosen]
    label = adapter.describe(found.outcome)[0].lower()
    rule = found.rule.replace(">=", "at least").replace("<=", "at most").replace(">", "above").replace("<", "below")
    lines = [f"A hold-out run of the final set fails when {label} is {rule} "
             f"(`{found.outcome} {found.rule}`): {found.cases:,} of its {found.rows:,} runs do. PRIM (peeling and "
             f"pasting over the levers and the drawn parameters) finds the box where failures concentrate; the "
             f"chosen box (#{found.chosen}, {found.how_chosen}) holds {box['coverage']:.0%} of the failures "
             f"(coverage), and {box['density']:.0%} of the runs inside it fail (density), against "
             f"{found.cases / found.rows:.0%} overall:", ""]
    rows = []
    for name, part in found.box.groupby("input", sort=False):
        input_label, unit = adapter.describe(name)
        p = float(part["quasi_p"].min())
        rows.append((input_label, f"`{name}`", restriction_text(part, unit), "< 0.001" if p < 0.001 else f"{p:.3f}"))
    if rows:
        lines.append(_table(("input", "path", "restriction", "quasi-p"), rows))
    else:
        lines.append("The box restricts no input: failures are spread over the whole range.")
    lines += ["", "A quasi-p value is the chance of a box this dense if that restriction were dropped; a large one "
              "marks a restriction that is probably noise. The final set holds only a few mixes, so a restriction "
              "on a lever mostly picks out some of them; a restriction on a drawn parameter is a condition under "
              "which the mixes fail whatever their levers."]
    return lines


def render(outcome: Outcome, manifest: dict[str, Any], example: Path, images: dict[str, Path], doc: Path,
           cpu: float) -> str:
    """The whole page, from a finished optimisation's results and its manifest."""
    resolved = outcome.resolved
    spec = resolved.spec
    describe = score_describe(resolved)
    objectives = [s.objective() for s in resolved.scores]
    simulated, seconds = _sessions(manifest)
    record = {"example": example.as_posix(), "example_sha256": manifest["file_sha256"],
              "settings": settings(spec), "model": model_fingerprint(), "code": manifest.get("code"),
              "git_commit": manifest.get("git_commit"),
              "versions": manifest.get("versions"), "simulated_runs": simulated, "seconds": round(seconds, 1),
              "cpu_seconds_per_run": round(cpu, 3)}

    def image(name: str, alt: str) -> list[str]:
        if name not in images:
            return []
        return [f"![{alt}]({images[name].relative_to(doc.parent).as_posix()})", ""]

    finals = {seed: r.convergence.iloc[-1] for seed, r in outcome.results.items()}
    u = spec.uncertainty
    weeks = spec.weeks or resolved.base.simulation.horizon_weeks
    lines = [
        "# Robust budget allocation and scenario discovery",
        "",
        "<!-- Generated by `python -m sim.explore.docs` from experiments/optimize_aging_estate.yaml; do not edit. -->",
        f"<!-- recorded inputs\n{json.dumps(record, indent=1, sort_keys=True)}\n-->",
        "",
        "`cogov optimize EXP.yaml` searches policy levers under a hard budget for mixes whose outcomes hold up "
        "across what is not known about the model's parameters, re-scores the mixes it finds on fresh draws, "
        "measures their regret against doing nothing, and finds the conditions under which they fail. This page "
        "explains the method and states what the model answers for one estate. It is generated by one command, "
        "which runs the bundled example (or resumes it, simulating nothing if it is finished):",
        "",
        "<!-- test: skip (the full example takes minutes; tests/test_explore_optimize.py runs the smoke file end "
        "to end) -->",
        "```bash",
        "python -m sim.explore.docs --workers 2      # runs results/optimize_aging_estate/, writes this page",
        "cogov optimize experiments/optimize_aging_estate.yaml --workers 2     # the optimisation alone",
        "cogov optimize experiments/optimize_aging_estate_smoke.yaml           # a check of the machinery in seconds",
        "```",
        "",
        "## The question for the Huarui estate",
        "",
        " ".join(spec.description.split()),
        "",
        f"The scenario is `{spec.scenario}` (seed case 001: 1,196 residents, 86% aged 60+, two funded posts "
        f"bought from one agency at 80,000 yuan a post-year on one-year contracts), with "
        + ", ".join(f"`{k}` = {v}" for k, v in spec.set.items())
        + f" fixed. The budget is {format_value(spec.budget.yuan_per_year, 'yuan/year')}, what the office spends "
        "now. The levers and their ranges:",
        "",
        _table(("lever", "path", "range"), [_lever_row(lever, resolved) for lever in resolved.levers]),
        "",
        "Uncertain parameters (each drawn uniformly over a plausible range by Latin hypercube, in the manner "
        "of deep uncertainty):" if u.ranges else
        (f"Uncertain parameters: the calibrated ones, each draw a particle resampled by weight from the "
         f"posterior `{u.posterior}` (docs/calibration.md), so the draws keep the parameters' correlations."
         if u.posterior else "No uncertain parameters: every draw is the scenario's own values."),
        "",
    ]
    if u.ranges:
        lines += [_table(("parameter", "path", "range"), [
            (adapter.describe(path)[0], f"`{path}`", f"{plain(lo)} to {plain(hi)} {adapter.describe(path)[1]}")
            for path, (lo, hi) in u.ranges.items()]), ""]
    lines += [
        "Objectives: " + "; ".join(f"{describe(o.name)[0].lower()} ({o.direction}, normalised over "
                                   f"{plain(o.lower)} to {plain(o.upper)})" for o in objectives) + ".",
        f"Search: {len(spec.search.seeds)} runs of NSGA-II (seeds {', '.join(map(str, spec.search.seeds))}), "
        f"{spec.search.population} candidates a generation for {spec.search.generations} generations; every "
        f"candidate is run on the same {u.draws} draws, {u.replications} run{'s' if u.replications != 1 else ''} "
        f"a draw, each run {weeks} weeks; the final set is re-run on "
        f"{u.holdout_draws} fresh hold-out draws.",
        "",
        "## What the model answers",
        "",
        *_answer(outcome, objectives, describe),
        "",
        "The final set and the status quo on the hold-out draws (a mix's search score is what the search saw on "
        f"its {u.draws} draws; regret is how much worse a mix does than the status quo in the same draw, positive "
        "is worse, as its mean and the value exceeded in only one draw in ten):",
        "",
        _holdout_table(outcome, objectives, describe),
        "",
        "Their levers:",
        "",
        *_levers_of_winners(outcome),
        "",
        *image("holdout", "The final set on the search and the hold-out draws"),
        "Read the gap between the search and the hold-out scores before anything else: with "
        f"{u.draws} draws and {u.replications} run a draw, a two-post estate's turnover is one or two resignations, "
        "and the search keeps the candidates that were lucky on its draws (the winner's curse). The hold-out "
        "scores, on draws the search never saw, are the ones to believe; a mix that stays ahead of the status quo "
        "there is ahead for a reason the model can name.",
        "",
        "## What makes the final set fail",
        "",
        *_discovery(outcome),
        "",
        *image("box", "PRIM box"),
        "## Trade-offs and convergence",
        "",
        *image("pareto", "Trade-offs"),
        _table(("seed", "generations", "candidates evaluated", "hypervolume", "epsilon-progress"), [
            (seed, int(row["generation"]) + 1, int(row["evaluations"]), plain(row["hypervolume"]),
             int(row["epsilon_progress"])) for seed, row in sorted(finals.items())]),
        "",
        *image("convergence", "Convergence"),
        f"The optimisation simulated {simulated:,} runs in {seconds / 60:.1f} minutes on "
        f"{manifest['sessions'][0].get('workers') or 'all'} workers sharing their cores with other work; at "
        f"{cpu:.2f} CPU seconds a run they take {simulated * cpu / 120:.1f} minutes on two cores of their own (see "
        "the \"Robust optimisation\" section of [performance](performance.md)).",
        "",
        "## The optimisation file",
        "",
        "An `optimize` file (`sim/explore/spec.py` documents every field) names a scenario and fixed changes "
        "(`set`), the levers (schema paths, each with a type and a range inside the schema's bounds; a lever read "
        "only at setup is refused), the budget, the uncertainty (a calibration's posterior, or ranges; `draws` "
        "x `replications`, and `holdout_draws`), the objectives (a KPI of the output registry, a direction, a "
        "robustness metric, and the range its hypervolume is normalised by), the search (population, "
        "generations, seeds) and, optionally, a failure rule to `discover`. Bad input (an unknown or setup-only "
        "lever, bounds outside the schema's, a budget no lever mix can meet, an objective not in the registry, a "
        "posterior whose columns are not the scenario's parameters or are levers) is refused in one line naming "
        "the file and field, with exit code 2, before any simulation.",
        "",
        "Time shares must sum to one, so a lever on one share names a `balance`: the share that moves the other "
        "way (coordination hours come out of case work, as in the teaching demo).",
        "",
        "## The budget is a hard constraint",
        "",
        "A lever mix is priced by the model's own rule, `sim.submodels.funding.budget_per_year`: every agency's "
        "contract value (posts bought per resident times the value of a post, times the budget multiplier), "
        "averaged over the contract term with its indexation, in the yuan of the first contract year. Every "
        "candidate is repaired to fit the budget before anyone sees it (the repair is given to the initial sample "
        "and to the mating alike), so no candidate over budget is ever simulated; every stored candidate carries "
        "its cost and its slack (budget minus cost).",
        "",
        "The costs that depend on how a run goes (hiring after quits, training, overhead, bonuses) are paid by the "
        "agencies out of the contract value; when the money runs short an agency fills fewer posts or lays off, "
        "and money it cannot use is returned to the funder. The street office pays the contract instalments and "
        "nothing else, so its spending is exactly the priced budget (less any money returned), whatever happens "
        "in the run, and no chance constraint is needed (a test checks the office's payments against the price "
        "in runs with and without quits). Later contracts grow with `funding.budget_growth_per_year`, as the "
        "office's budget line does.",
        "",
        "## Robustness, hold-out and regret",
        "",
        "Common random numbers: every candidate is run on the same draws of the uncertain parameters, and "
        "replication `r` of draw `d` always has the seed `run_seed(master, r, d)`, so two candidates differ only "
        "by their levers. Replications are averaged within a draw (they only estimate the model's stochastic mean "
        "there); the robustness metric then acts across draws. The metrics, after Kwakkel, Eker & Pruyt (2016), "
        "who review them:",
        "",
        "- `mean`: the expected outcome over the draws, blind to spread;",
        "- `percentile` (`q`): the value met in all but `q`% of draws, a softer worst case (McPhail et al. 2018);",
        "- `worst`: the worst draw (Wald's maximin; McPhail et al. 2018);",
        "- `satisficing` (`threshold`): the share of draws meeting a threshold, the domain criterion used by "
        "Lempert et al. (2006) and Herman et al. (2015);",
        "- `mean_and_spread`: the mean and the standard deviation as two objectives.",
        "",
        "A run whose KPI is undefined (a median wait never reached, a turnover with nobody in post) counts as the "
        "worst end of the objective's range.",
        "",
        "The search chooses among candidates on its own draws, so its best scores are biased upwards. The final "
        "set (the candidates no other candidate of any seed dominates) and the status quo are therefore run again "
        "on a larger set of hold-out draws and scored there with the same metrics. Regret is how much worse a mix "
        "does than a benchmark in the same draw (Savage's regret as used by Lempert et al. 2006): against the "
        "status quo, and against the best mix of the final set in that draw, the \"deviation from baseline\" and "
        "\"deviation from best\" of Herman et al. (2015).",
        "",
        "Convergence, per seed and generation: the hypervolume (computed exactly by moocore) of the "
        "non-dominated set on objectives normalised by the fixed ranges of the file (0 best, 1 worst, reference "
        "point 1.1), and epsilon-progress (Hadka & Reed 2013), the count of new epsilon-boxes entered. Seeds that "
        "agree and flat curves suggest the search has converged.",
        "",
        "Scenario discovery: `cogov discover` runs PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010) and CART "
        "on an optimisation's folder (its hold-out runs, with the levers and the drawn parameters as inputs) or on "
        "any of its tables, e.g. `cogov discover results/optimize_aging_estate --outcome sw_turnover_rate --fail "
        "'> 0.3'`.",
        "",
        "## Store, resume and reproducibility",
        "",
        "Each run is written the moment it returns, one Parquet row per (candidate, draw, replication), beside a "
        "manifest holding the optimisation file's hash, the resolved scenario's hash, the code's source hash and "
        "the library versions (`results/<name>/`, laid out as `sim/explore/store.py` describes). Each "
        "generation's batch of all seeds runs through the shared runner, on a process pool or a Dask cluster "
        "alike, and every run's result depends on its seed alone, so both give the same tables. `--resume` "
        "replays every search from its seed and is served every stored run: a run killed at any point and resumed "
        "gives bit-identical tables and simulates nothing twice. A changed file, scenario, code or library "
        "version is refused in one line.",
        "",
        "## References",
        "",
        "- Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a participatory, computer-assisted "
        "approach to scenario discovery. *Technological Forecasting and Social Change* 77(1), 34-49.",
        "- Deb, K., Pratap, A., Agarwal, S. & Meyarivan, T. (2002). A fast and elitist multiobjective genetic "
        "algorithm: NSGA-II. *IEEE Transactions on Evolutionary Computation* 6(2), 182-197.",
        "- Deb, K. & Jain, H. (2014). An evolutionary many-objective optimization algorithm using "
        "reference-point-based nondominated sorting approach (NSGA-III). *IEEE Transactions on Evolutionary "
        "Computation* 18(4), 577-601.",
        "- Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data. *Statistics and "
        "Computing* 9(2), 123-143.",
        "- Hadka, D. & Reed, P. (2013). Borg: an auto-adaptive many-objective evolutionary computing framework. "
        "*Evolutionary Computation* 21(2), 231-259.",
        "- Herman, J. D., Reed, P. M., Zeff, H. B. & Characklis, G. W. (2015). How should robustness be defined "
        "for water systems planning under change? *Journal of Water Resources Planning and Management* 141(10).",
        "- Kwakkel, J. H., Eker, S. & Pruyt, E. (2016). How robust is a robust policy? Comparing alternative "
        "robustness metrics for robust decision-making. In Doumpos, Zopounidis & Grigoroudis (eds.), *Robustness "
        "Analysis in Decision Aiding, Optimization, and Analytics*, Springer, 221-237.",
        "- Lempert, R. J., Groves, D. G., Popper, S. W. & Bankes, S. C. (2006). A general, analytic method for "
        "generating robust strategies and narrative scenarios. *Management Science* 52(4), 514-528.",
        "- McPhail, C., Maier, H. R., Kwakkel, J. H., Giuliani, M., Castelletti, A. & Westra, S. (2018). "
        "Robustness metrics: how are they calculated, when should they be used and why do they give different "
        "results? *Earth's Future* 6(2), 169-191.",
        "",
    ]
    return "\n".join(lines)


def performance_section(outcome: Outcome, manifest: dict[str, Any], example: Path, cpu: float) -> str:
    """The "Robust optimisation" section of docs/performance.md: runtime and hypervolume against evaluations."""
    spec = outcome.resolved.spec
    simulated, seconds = _sessions(manifest)
    runs_per_candidate = spec.uncertainty.draws * spec.uncertainty.replications
    versions = manifest.get("versions") or {}
    loads = [s["load_average"] for s in manifest.get("sessions", []) if s.get("simulated") and s.get("load_average")]
    load = (f", with a five-minute load average of {max(loads):.1f} on its two cores at the end" if loads
            else " on cores shared with other work")
    dedicated = simulated * cpu / 2
    lines = [
        PERFORMANCE_HEADING,
        "",
        f"<!-- Generated by `python -m sim.explore.docs` with docs/optimization.md; example sha256 "
        f"{manifest['file_sha256'][:16]}. -->",
        "",
        f"The bundled example (`{example.as_posix()}`: {len(spec.search.seeds)} seeds x {spec.search.population} "
        f"candidates x {spec.search.generations} generations, {runs_per_candidate} runs a candidate, then the final "
        f"set on {spec.uncertainty.holdout_draws} hold-out draws) simulated {simulated:,} runs of "
        f"{spec.weeks or outcome.resolved.base.simulation.horizon_weeks} "
        f"weeks in {seconds / 60:.1f} minutes on {manifest['sessions'][0].get('workers') or 'all'} workers "
        f"(Python {versions.get('python')}, Mesa {versions.get('mesa')}, NumPy {versions.get('numpy')}): "
        f"**{simulated / max(seconds, 1e-9) * 60:.0f} runs a minute**, "
        f"{simulated / max(seconds, 1e-9) * 60 / runs_per_candidate:.0f} candidates a minute{load}. A run needs "
        f"{cpu:.2f} CPU seconds (measured in one process), so the {simulated:,} runs take "
        f"{dedicated / 60:.1f} minutes on two cores of their own ({2 * 60 / cpu:.0f} runs a minute). Pricing and "
        "repairing candidates (thousands of budget evaluations a generation, on a copy of the validated scenario) "
        "and writing one Parquet file per run add a few percent.",
        "",
        "Hypervolume (normalised objectives, reference point 1.1 on each) against candidates evaluated, per seed:",
        "",
    ]
    seeds = sorted(outcome.results)
    tables = {seed: outcome.results[seed].convergence for seed in seeds}
    header = ["generation", "candidates evaluated", *(f"seed {seed}" for seed in seeds)]
    rows = []
    for g in range(max(len(t) for t in tables.values())):
        first = tables[seeds[0]]
        rows.append([g + 1, int(first["evaluations"].iloc[g]) if g < len(first) else "",
                     *(plain(t["hypervolume"].iloc[g]) if g < len(t) else "" for t in tables.values())])
    lines += [_table(header, rows), ""]
    return "\n".join(lines)


def write_performance(path: Path, section: str) -> None:
    """Replace (or add) the generated section at the end of docs/performance.md."""
    text = path.read_text(encoding="utf-8")
    head = text.split(f"\n{PERFORMANCE_HEADING}\n")[0].rstrip("\n")
    adapter.write_text(path, f"{head}\n\n{section}")


def outcome_from(folder: Path, resolved: Any) -> Outcome:
    """A finished optimisation read back from its folder's tables (what the page is rendered from)."""
    from .discover import load_discovery
    from .optimize import Holdout
    from .search import SearchResult, _archive

    tables = folder / "tables"
    candidates = pd.read_parquet(tables / "candidates.parquet")
    convergence = pd.read_parquet(tables / "convergence.parquet")
    objectives = [s.objective() for s in resolved.scores]
    results = {}
    for seed in resolved.spec.search.seeds:
        mine = candidates[candidates["seed"] == seed].drop(columns="seed").reset_index(drop=True)
        steps = convergence[convergence["seed"] == seed].drop(columns="seed").reset_index(drop=True)
        results[seed] = SearchResult(mine, _archive(mine, objectives), steps)
    holdout = None
    if (tables / "holdout_scores.parquet").is_file():
        holdout = Holdout(pd.read_parquet(tables / "holdout.parquet"),
                          pd.read_parquet(tables / "holdout_scores.parquet"))
    found = load_discovery(folder / "discovery") if (folder / "discovery").is_dir() else None
    archive = pd.read_parquet(tables / "archive.parquet")
    return Outcome(out=folder, resolved=resolved, results=results, archive=archive, holdout=holdout,
                   discovery=found, notes=[], simulated=0, served=0, seconds=0.0, report=None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.explore.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path("results") / "optimize_aging_estate"),
                        help="the optimisation's folder (resumed when it exists)")
    parser.add_argument("--workers", type=int, help="parallel simulations (default: all cores)")
    parser.add_argument("--executor", choices=("process", "dask"), default="process")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--from-results", action="store_true",
                        help="write the page from the finished optimisation in --out without running or resuming it "
                             "(the page still records the code and versions the results were made with)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        if args.from_results:
            from . import problem

            if not (out / "tables" / "archive.parquet").is_file():
                raise adapter.UserError("holds no finished optimisation", source=f"--out {out}")
            made_from = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["file_sha256"]
            if made_from != file_hash((ROOT / EXAMPLE).read_bytes()):
                raise adapter.UserError(f"was made from another version of {EXAMPLE}; run it again without "
                                        "--from-results", source=f"--out {out}")
            outcome = outcome_from(out, problem.load(ROOT / EXAMPLE))
        else:
            outcome = optimize(ROOT / EXAMPLE, out, workers=args.workers, executor=args.executor,
                               resume=(out / MANIFEST).is_file(), progress=None if args.no_progress else print_line,
                               command="python -m sim.explore.docs")
    except adapter.UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    write_docs(outcome, manifest)
    print(f"wrote {DOC}, {IMAGES}/ and the last section of {PERFORMANCE}")
    return 0


def write_docs(outcome: Outcome, manifest: dict[str, Any]) -> None:
    """The page, its figures and the performance section, from a finished optimisation of the example."""
    images = _figures(outcome, ROOT / IMAGES, score_describe(outcome.resolved))
    cpu = cpu_seconds_per_run(outcome.resolved)
    doc = ROOT / DOC
    adapter.write_text(doc, render(outcome, manifest, EXAMPLE, images, doc, cpu))
    write_performance(ROOT / PERFORMANCE, performance_section(outcome, manifest, EXAMPLE, cpu))


if __name__ == "__main__":
    raise SystemExit(main())

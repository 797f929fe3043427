"""``cogov compare``, ``sweep``, ``sensitivity`` and ``report``.

Everything that can be checked is checked before the first run starts: the
experiment file, every override, the output folder and the executor options.
Exit codes: 0 done, 1 some runs failed (the rest are saved), 2 bad input,
130 interrupted (what finished is saved; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from ..errors import MeasurementWarning, UserError

REPLICATIONS_FOR_COMPARISON = 10
"""Fewest replications per scenario for a comparison whose differences are not mostly noise."""
SET_EXAMPLE = ("e.g. workforce.salary_ratio=0.8; a street of about fifty social workers takes four: "
               "population.residents=50000, population.communities=10, funding.ngos=10, "
               "simulation.resident_agents=false")


def _run_options(p: argparse.ArgumentParser, reps_default: int | None) -> None:
    p.add_argument("--out", help="results folder (default results/<experiment name>/)")
    p.add_argument("--workers", type=int, help="parallel runs (default: all cores)")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="local process pool, or a Dask cluster (needs the dask extra)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("--resume", action="store_true", help="continue a results folder, skipping saved runs")
    p.add_argument("--reps", type=int, default=reps_default,
                   help="replications per point" + (" (default: the experiment's)"
                                                     if reps_default is None else ""))
    p.add_argument("--weeks", type=int, help="horizon in weeks (warm-up is cut to fit)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help=f"override a parameter in every run (repeatable), {SET_EXAMPLE}")
    p.add_argument("--posterior", metavar="FILE",
                   help="posterior of a calibration (posterior.parquet or its folder): each replication draws "
                        "its calibrated parameters from it, so intervals cover parameter uncertainty too")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def register(subparsers) -> None:
    p = subparsers.add_parser("compare", help="compare scenarios with common random numbers")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="bundled name or YAML file")
    _run_options(p, 20)
    p.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    p.set_defaults(func=cmd_compare)

    for name, text, func in (("sweep", "run an experiment's design points and replications", cmd_sweep),
                             ("sensitivity", "Morris or Sobol indices of an experiment",
                              cmd_sensitivity)):
        p = subparsers.add_parser(name, help=text)
        p.add_argument("experiment", help="experiment YAML file or shipped experiment name")
        _run_options(p, None)
        p.add_argument("--samples", type=int,
                       help="LHS/Sobol samples or Morris trajectories (default: the experiment's)")
        p.set_defaults(func=func)

    p = subparsers.add_parser("report", help="rebuild the tables, figures and report of a results folder")
    p.add_argument("folder", metavar="FOLDER", help="results folder of a finished comparison or sweep")
    p.set_defaults(func=cmd_report)


def _overrides(args: argparse.Namespace) -> dict:
    from ..params import parse_assignments

    return parse_assignments(args.set or [])


def cmd_compare(args: argparse.Namespace) -> int:
    from .spec import load_experiment

    names = [Path(s).stem if s.endswith((".yaml", ".yml")) else s for s in args.scenarios]
    data = {"name": "compare-" + "-".join(names)[:80],
            "description": "Scenarios compared with common random numbers.",
            "design": {"kind": "scenarios", "scenarios": list(args.scenarios)},
            "replications": args.reps, "seed": args.seed, "save_series": True}
    exp = load_experiment(data, overrides=_overrides(args), weeks=args.weeks, folder=Path("."),
                          posterior=args.posterior)
    if args.reps < REPLICATIONS_FOR_COMPARISON and len(exp.points) > 1:
        warnings.warn(MeasurementWarning(
            f"{args.reps} replication{'s' if args.reps != 1 else ''} per scenario: the intervals are wide and "
            f"only large differences show; use --reps {REPLICATIONS_FOR_COMPARISON} or more to compare "
            "policies", "few_replications"), stacklevel=2)
    return _execute(args, exp)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .spec import load_experiment

    exp = load_experiment(args.experiment, replications=args.reps, overrides=_overrides(args),
                          weeks=args.weeks, samples=args.samples, posterior=args.posterior)
    return _execute(args, exp)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from .spec import load_experiment

    exp = load_experiment(args.experiment, replications=args.reps, overrides=_overrides(args),
                          weeks=args.weeks, samples=args.samples, posterior=args.posterior)
    if exp.kind not in ("morris", "sobol"):
        raise UserError(f"sensitivity needs a morris or sobol design, this one is '{exp.kind}'; "
                        "use cogov sweep", source=exp.source, field="design.kind")
    return _execute(args, exp)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import build_report

    path = build_report(args.folder)
    print(f"Report: {path}")
    return 0


def _execute(args: argparse.Namespace, exp) -> int:
    from .report import build_report
    from .runner import check_executor, execute, open_executor
    from .store import Store, load_results

    out = Path(args.out) if args.out else Path("results") / exp.spec.name
    Store.check(out, exp, resume=args.resume)
    check_executor(args.executor, args.workers, args.scheduler)
    with open_executor(args.executor, args.workers, args.scheduler) as (executor, slots):
        store = Store.open(out, exp, resume=args.resume, command=" ".join(["cogov", *sys.argv[1:]]))
        print(f"{exp.spec.name}: {len(exp.points)} points x {exp.spec.replications} replications = "
              f"{exp.n_runs} runs on {slots} worker{'s' if slots > 1 else ''} -> {out}/",
              file=sys.stderr)
        outcome = execute(exp, store, executor, slots, progress=not args.no_progress)
    if outcome.interrupted:
        print(f"interrupted: {outcome.saved} of {outcome.total} runs saved in {out}/; "
              "continue with the same command and --resume", file=sys.stderr)
        return 130
    if outcome.saved:
        report = build_report(out)
        runs = load_results(out)
        if exp.kind == "scenarios":
            _print_comparison(out, exp)
        elif exp.kind in ("morris", "sobol"):
            _print_sensitivity(out, exp)
        else:
            _print_sweep(out, exp)
        print(f"\n{outcome.completed} runs in {outcome.seconds:.1f} s; report: {report}")
        _warn_from_runs(runs, out)
    if outcome.broken:
        print(f"error: {outcome.broken}; {outcome.saved} of {outcome.total} runs saved; "
              "continue with --resume", file=sys.stderr)
        return 1
    if outcome.failures:
        first = outcome.failures[0]
        params = ", ".join(f"{k}={first[k]}" for k in exp.parameters if k in first)
        print(f"error: {len(outcome.failures)} of {outcome.total} runs failed; first: point "
              f"{first['point_id']} ({params or first['label']}), replication {first['replication']}, "
              f"seed {first['seed']}: {first['error'].splitlines()[0]}; details in {out}/failures/",
              file=sys.stderr)
        return 1
    return 0


SHOWN_WARNINGS = 3
"""Distinct model warnings repeated on the terminal after a sweep (the report lists them all)."""


def _warn_from_runs(runs, out: Path) -> None:
    """Each distinct warning of the runs once, with how many runs gave it."""
    from .report import warning_counts

    counts = warning_counts(runs)
    for text, n in counts[:SHOWN_WARNINGS]:
        warnings.warn(f"{n} of {len(runs)} runs: {text}", UserWarning, stacklevel=2)
    if len(counts) > SHOWN_WARNINGS:
        warnings.warn(f"{len(counts) - SHOWN_WARNINGS} more kinds of warning in {out}/report.md", UserWarning,
                      stacklevel=2)


def _summary_rows(summary, point_id: int, names: list[str]) -> dict[str, str]:
    from .formatting import format_ci

    s = summary[summary["point_id"] == point_id].set_index("outcome")
    return {o: format_ci(o, s.at[o, "mean"], s.at[o, "ci_low"], s.at[o, "ci_high"]) for o in names
            if o in s.index}


def _print_comparison(out: Path, exp) -> None:
    import pandas as pd

    from .formatting import format_difference, row_label
    from .report import headline_outcomes, text_table

    summary = pd.read_csv(out / "tables" / "summary.csv")
    diffs_path = out / "tables" / "differences.csv"
    diffs = pd.read_csv(diffs_path) if diffs_path.exists() else pd.DataFrame()
    names = headline_outcomes(exp.outcomes) or exp.outcomes
    reference = exp.points[0].label
    print(f"Mean [95% CI] over {exp.spec.replications} replications; differences to {reference} paired by "
          "seed (pp: percentage points; * the interval excludes zero):")
    for point in exp.points:
        cells = _summary_rows(summary, point.id, names)
        rows = []
        for o in names:
            if o not in cells:
                continue
            row = [f"  {row_label(o)}", cells[o]]
            d = diffs[(diffs["point_id"] == point.id) & (diffs["outcome"] == o)] if len(diffs) else diffs
            if len(d):
                lo, hi = d["ci_low"].iat[0], d["ci_high"].iat[0]
                mark = " *" if lo == lo and (lo > 0 or hi < 0) else ""
                row.append(format_difference(o, d["difference"].iat[0], lo, hi) + mark)
            elif point.id != exp.points[0].id:
                row.append("–")
            rows.append(row)
        if not rows:
            continue
        header = [point.label, "mean [95% CI]"] + ([f"vs {reference}"] if len(rows[0]) > 2 else [])
        print("\n" + text_table(header, [r + [""] * (len(header) - len(r)) for r in rows]))


def _print_sweep(out: Path, exp) -> None:
    import pandas as pd

    from .formatting import param_label, param_value, short_label
    from .report import PRINTED_OUTCOMES, headline_outcomes, text_table

    summary = pd.read_csv(out / "tables" / "summary.csv")
    shown = (headline_outcomes(exp.outcomes) or exp.outcomes)[:PRINTED_OUTCOMES]
    print(f"Mean [95% CI] over {exp.spec.replications} replications, by design point "
          f"(all {len(exp.outcomes)} KPIs in {out}/report.md):")
    header = [*[param_label(p, with_unit=False) for p in exp.parameters], *[short_label(o) for o in shown]]
    rows = []
    for point in exp.points[:50]:
        cells = _summary_rows(summary, point.id, shown)
        rows.append([*[param_value(p, point.params[p]) for p in exp.parameters],
                     *[cells.get(o, "–") for o in shown]])
    table = text_table(["", *header], [["", *r] for r in rows])
    print("\n".join(line[2:] for line in table.splitlines()))
    if len(exp.points) > 50:
        print(f"  ... {len(exp.points) - 50} more points in {out}/tables/summary.csv")


def _print_sensitivity(out: Path, exp) -> None:
    import pandas as pd

    from ..outputs import label
    from .formatting import fmt, param_label

    path = out / "tables" / "sensitivity.csv"
    if not path.exists():
        return
    table = pd.read_csv(path)
    key = "mu_star" if exp.kind == "morris" else "ST"
    print(f"Most influential parameters by {'μ*' if key == 'mu_star' else 'total Sobol index ST'} "
          f"(table: {path}):")
    for outcome, t in table.groupby("outcome", sort=False):
        top = t.sort_values(key, ascending=False).head(3)
        print(f"  {label(outcome)}: " + ", ".join(f"{param_label(p, with_unit=False)} ({fmt(v)})"
                                                  for p, v in zip(top["parameter"], top[key], strict=True)))

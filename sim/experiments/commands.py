"""``cogov compare``, ``sweep``, ``sensitivity`` and ``report``.

Everything that can be checked is checked before the first run starts: the
experiment file, every override, the output folder and the executor options.
Exit codes: 0 done, 1 some runs failed (the rest are saved), 2 bad input,
130 interrupted (what finished is saved; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UserError

HEADLINE = ("sw_turnover_rate", "sw_vacancy_rate", "sw_burnout_mean", "resolution_rate",
            "mean_wait_weeks", "coverage_vulnerable", "trust_mean", "volunteer_rate",
            "cost_per_resolved_need")
"""KPIs printed after a comparison (the report holds them all)."""


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
                   help="override a parameter in every run, e.g. population.residents=500")
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
    exp = load_experiment(data, overrides=_overrides(args), weeks=args.weeks, folder=Path("."))
    return _execute(args, exp)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .spec import load_experiment

    exp = load_experiment(args.experiment, replications=args.reps, overrides=_overrides(args),
                          weeks=args.weeks, samples=args.samples)
    return _execute(args, exp)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from .spec import load_experiment

    exp = load_experiment(args.experiment, replications=args.reps, overrides=_overrides(args),
                          weeks=args.weeks, samples=args.samples)
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
    from .store import Store

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
        if exp.kind == "scenarios":
            _print_comparison(out, exp)
        elif exp.kind in ("morris", "sobol"):
            _print_sensitivity(out, exp)
        else:
            _print_sweep(out, exp)
        print(f"\n{outcome.completed} runs in {outcome.seconds:.1f} s; report: {report}")
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


def _print_comparison(out: Path, exp) -> None:
    import pandas as pd

    from .report import fmt_ci

    summary = pd.read_csv(out / "tables" / "summary.csv")
    diffs_path = out / "tables" / "differences.csv"
    diffs = pd.read_csv(diffs_path) if diffs_path.exists() else pd.DataFrame()
    labels = [p.label for p in exp.points]
    width = max(len(k) for k in HEADLINE)
    print(f"Mean [95% CI] over {exp.spec.replications} replications "
          f"(differences to {labels[0]} paired by seed):")
    for point in exp.points:
        print(f"\n{point.label}")
        for k in HEADLINE:
            s = summary[(summary["point_id"] == point.id) & (summary["outcome"] == k)]
            if not len(s):
                continue
            line = f"  {k:<{width}}  {fmt_ci(s['mean'].iat[0], s['ci_low'].iat[0], s['ci_high'].iat[0])}"
            d = diffs[(diffs["point_id"] == point.id) & (diffs["outcome"] == k)] if len(diffs) else diffs
            if len(d):
                line += (f"   diff {fmt_ci(d['difference'].iat[0], d['ci_low'].iat[0], d['ci_high'].iat[0])}")
            print(line)


def _print_sweep(out: Path, exp) -> None:
    import pandas as pd

    from .report import fmt_ci

    summary = pd.read_csv(out / "tables" / "summary.csv")
    shown = [o for o in exp.outcomes if o in HEADLINE] or exp.outcomes[:4]
    print(f"Mean [95% CI] over {exp.spec.replications} replications, by design point:")
    for point in exp.points[:50]:
        s = summary[summary["point_id"] == point.id].set_index("outcome")
        cells = "; ".join(f"{o} {fmt_ci(s.at[o, 'mean'], s.at[o, 'ci_low'], s.at[o, 'ci_high'])}"
                          for o in shown[:4] if o in s.index)
        print(f"  {point.label}: {cells}")
    if len(exp.points) > 50:
        print(f"  ... {len(exp.points) - 50} more points in {out}/tables/summary.csv")


def _print_sensitivity(out: Path, exp) -> None:
    import pandas as pd

    path = out / "tables" / "sensitivity.csv"
    if not path.exists():
        return
    table = pd.read_csv(path)
    key = "mu_star" if exp.kind == "morris" else "ST"
    print(f"Most influential parameters by {key} (table: {path}):")
    for outcome, t in table.groupby("outcome", sort=False):
        top = t.sort_values(key, ascending=False).head(3)
        print(f"  {outcome}: " + ", ".join(f"{p} ({v:.3g})" for p, v in zip(top["parameter"], top[key],
                                                                            strict=True)))

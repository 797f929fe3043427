"""``cogov optimize``: robust lever search under a hard budget; ``cogov discover``: the input conditions under
which an outcome fails (PRIM and CART).

Exit codes: 0 done, 1 a model run failed or a worker died (finished runs are kept; ``--resume``
continues), 2 bad input (a one-line message naming the file and field, or the option), 130
interrupted (finished runs are kept). Everything that can be checked is checked before the first
simulation or analysis starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0, got {text!r}")
    return value


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "optimize", help="search policy levers under a hard budget for mixes robust to uncertain parameters",
        description="Search policy levers under a hard budget (NSGA-II, or NSGA-III beyond three objectives) for "
                    "mixes whose outcomes hold up across draws of the uncertain parameters; re-score the final set "
                    "on fresh hold-out draws with regret against the status quo; find what makes it fail; write "
                    "tables and an offline report.")
    p.add_argument("spec", metavar="EXP.yaml", help="optimisation file (see docs/optimization.md)")
    p.add_argument("--out", metavar="DIR", help="output folder (default results/<name>/)")
    p.add_argument("--workers", type=int, help="parallel simulations (default: all cores)")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="local process pool, or a Dask cluster (needs the dask extra)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("--resume", action="store_true",
                   help="continue the optimisation in --out: stored runs are served, only the rest simulated")
    p.add_argument("--no-progress", action="store_true", help="no line per generation")
    p.add_argument("--no-report", action="store_true", help="write the tables but not the HTML report")
    p.set_defaults(func=cmd_optimize)

    p = subparsers.add_parser(
        "discover", help="find the input conditions under which an outcome fails (scenario discovery: PRIM, CART)")
    p.add_argument("results", metavar="RESULTS",
                   help="results folder of a sweep, or a .parquet or .csv table with one row per run")
    p.add_argument("--outcome", required=True, metavar="KPI", help="the outcome column to explain")
    p.add_argument("--fail", required=True, metavar="EXPR",
                   help="when a run counts as failing: a comparison and a number, e.g. '> 0.20'")
    p.add_argument("--inputs", metavar="A,B,...",
                   help="columns that may explain the failures (default: the parameters the sweep varied)")
    p.add_argument("--out", metavar="DIR", help="output folder (default RESULTS/discovery-KPI/)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the resampling and the trees (default 0)")
    choice = p.add_mutually_exclusive_group()
    choice.add_argument("--min-density", type=_share, metavar="SHARE",
                        help="report the widest box at least this dense (default: the last, densest box)")
    choice.add_argument("--box", type=int, metavar="I", help="report box I of the trajectory (see trajectory.csv)")
    p.add_argument("--per-point", action="store_true",
                   help="average each design point's replications before applying --fail")
    p.set_defaults(func=cmd_discover)


def cmd_optimize(args: argparse.Namespace) -> int:
    import sys
    from concurrent.futures.process import BrokenProcessPool

    from .optimize import RunFailed, optimize, print_line

    options = [f"--{name.replace('_', '-')} {value}" for name in ("out", "workers", "executor", "scheduler")
               if (value := getattr(args, name)) is not None]
    command = " ".join(["cogov optimize", args.spec, *options, *(["--resume"] if args.resume else [])])
    try:
        outcome = optimize(args.spec, args.out, workers=args.workers, executor=args.executor, scheduler=args.scheduler,
                           resume=args.resume, progress=None if args.no_progress else print_line,
                           report=not args.no_report, command=command)
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; continue with the same command and --resume", file=sys.stderr)
        return 130
    except RunFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenProcessPool as exc:
        print(f"error: a worker process died ({exc}); finished runs are kept; continue with --resume",
              file=sys.stderr)
        return 1
    print(summary_text(outcome))
    return 0


def summary_text(outcome) -> str:
    """What an optimisation found, in a few lines: the final set on the hold-out draws, and where to look."""
    from .optimize import score_describe
    from .units import format_value, plain

    resolved = outcome.resolved
    describe = score_describe(resolved)
    lines = [f"{resolved.spec.name}: {len(outcome.archive):,} non-dominated mixes from {len(outcome.results)} "
             f"search{'es' if len(outcome.results) != 1 else ''}; {outcome.simulated:,} runs simulated, "
             f"{outcome.served:,} served from the store, {outcome.seconds:.0f} s."]
    if outcome.holdout is not None:
        scores = outcome.holdout.scores
        lines.append("On the hold-out draws (cost; " + "; ".join(describe(s.name)[0] for s in resolved.scores) + "):")
        for row in scores.to_dict("records"):
            values = ", ".join(plain(row[f"holdout_{s.name}"]) for s in resolved.scores)
            lines.append(f"  {row['mix']:>10}  {format_value(row['cost'], 'yuan/year')}; {values}")
    lines += [f"Note: {note}" for note in outcome.notes]
    lines.append(f"Results in {outcome.out}/" + (f"; report {outcome.report}" if outcome.report else ""))
    return "\n".join(lines)


def cmd_discover(args: argparse.Namespace) -> int:
    from .adapter import describe
    from .discover import (
        MARKER,
        default_out,
        discover,
        parse_fail,
        parse_inputs,
        read_runs,
        restriction_text,
        write_discovery,
    )
    from .folders import check_out

    fail = parse_fail(args.fail)
    inputs = parse_inputs(args.inputs)
    out = Path(args.out) if args.out else default_out(args.results, args.outcome)
    check_out(out, MARKER)
    runs = read_runs(args.results)
    found = discover(runs, args.outcome, fail, inputs, seed=args.seed, min_density=args.min_density, box=args.box,
                     per_point=args.per_point)
    write_discovery(found, out)
    box = found.trajectory.loc[found.chosen]
    print(f"{found.outcome} {found.rule} in {found.cases:,} of {found.rows:,} runs. PRIM box #{found.chosen}: "
          f"coverage {box['coverage']:.0%}, density {box['density']:.0%}.")
    for name, rows in found.box.groupby("input", sort=False):
        print(f"  {name} {restriction_text(rows, describe(name)[1])}")
    print(f"Results in {out}/")
    return 0

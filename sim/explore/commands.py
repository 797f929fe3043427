"""``cogov discover``: the input conditions under which a sweep's outcome fails (PRIM and CART).

Exit codes: 0 done, 2 bad input (a one-line message: the ``--fail`` expression, an unknown
outcome or input, an output folder that must not be replaced). Everything that can be checked is
checked before the analysis starts.
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

"""``cogov calibrate``: Bayesian calibration of the model to target KPIs by ABC-SMC.

Everything that can be checked is checked before the first simulation: the
calibration file, every parameter path and prior, every KPI, the output
folder and the executor options. Exit codes: 0 done, 1 stopped before a
first generation or a worker died, 2 bad input, 130 interrupted (completed
generations are kept; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("calibrate", help="fit parameters to target KPIs by ABC-SMC (likelihood-free Bayes)")
    p.add_argument("spec", metavar="SPEC.yaml", help="calibration file")
    p.add_argument("--out", help="output folder (default results/<calibration name>/)")
    p.add_argument("--workers", type=int, help="parallel simulations (default: all cores)")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="local process pool, or a Dask cluster (needs the dask extra)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("--resume", action="store_true",
                   help="continue the calibration in --out from its last completed generation")
    p.add_argument("--no-progress", action="store_true", help="no line per generation")
    p.set_defaults(func=cmd_calibrate)

    p = subparsers.add_parser("publish-calibration", help="put a finished calibration into the documentation",
                              description="Copy a finished calibration's summary, figures and posterior into "
                                          "a document's <!-- posterior:NAME --> block, stamped with the model "
                                          "and calibration fingerprints.")
    p.add_argument("folder", metavar="FOLDER", help="output folder of a finished cogov calibrate")
    p.add_argument("--doc", default="docs/calibration.md", help="document to update (default docs/calibration.md)")
    p.add_argument("--spec", help="calibration file it must match (default experiments/calibration/NAME.yaml)")
    p.set_defaults(func=cmd_publish)


def cmd_calibrate(args: argparse.Namespace) -> int:
    try:
        import pyabc  # noqa: F401
    except ImportError:
        from ..errors import UserError

        raise UserError("calibration needs pyabc: pip install 'cogov-sim[calibration]'", source="cogov calibrate") \
            from None
    from .posterior import read_posterior, summarize
    from .spec import load_calibration
    from .workflow import calibrate, default_out

    resolved = load_calibration(args.spec)
    out = Path(args.out) if args.out else default_out(resolved)
    problem = resolved.problem
    print(f"{problem.name}: {len(problem.priors)} parameters, {len(problem.targets)} targets, "
          f"{problem.schedule.population} particles per generation -> {out}/", file=sys.stderr)
    try:
        outcome = calibrate(resolved, out, workers=args.workers, executor=args.executor,
                            scheduler=args.scheduler, resume=args.resume,
                            report=(lambda line: None) if args.no_progress else None)
    except KeyboardInterrupt:
        print(f"interrupted: completed generations are saved in {out}/; continue with the same command "
              "and --resume", file=sys.stderr)
        return 130
    except BrokenProcessPool as exc:
        print(f"error: a worker process died ({exc}); completed generations are saved in {out}/; continue "
              "with --resume", file=sys.stderr)
        return 1
    print(f"Stopped: {outcome.stopped}; {outcome.evaluated:,} particles evaluated in {outcome.seconds:.0f} s "
          "this session.")
    if not outcome.generations:
        return 1
    stats = summarize(read_posterior(out))
    width = max(len(n) for n in stats["parameter"])
    print("Posterior mean, sd [90% credible interval]:")
    for row in stats.itertuples():
        print(f"  {row.parameter:<{width}}  {row.mean:.4g}, sd {row.sd:.3g} [{row.ci_low:.4g}, {row.ci_high:.4g}]")
    print(f"Summary: {out / 'summary.md'}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from .publish import publish

    posterior = publish(args.folder, args.doc, args.spec)
    print(f"updated {args.doc}; posterior: {posterior}")
    return 0

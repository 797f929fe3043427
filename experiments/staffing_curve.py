"""Marginal returns to funded social-worker posts, from the staffing_returns sweep.

Runs the sweep (or reuses a results folder) through the Python API, then draws
resolved needs per year and the extra needs resolved by each added half post
per 1,000 residents, with 95% intervals.

    python experiments/staffing_curve.py --out results/staffing_curve
    python experiments/staffing_curve.py --results results/staffing_returns
    python experiments/staffing_curve.py --tiny --out /tmp/curve   # seconds, for checks
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.experiments import (  # noqa: E402
    differences,
    load_experiment,
    load_results,
    run_experiment,
    summarize,
)

PARAM = "workforce.posts_per_1000_residents"
OUTCOME = "needs_resolved_per_year"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/staffing_curve", help="folder for results and figure")
    ap.add_argument("--results", help="reuse this finished staffing_returns results folder")
    ap.add_argument("--workers", type=int, help="parallel runs (default: all cores)")
    ap.add_argument("--tiny", action="store_true", help="tiny model, two replications (for checks)")
    args = ap.parse_args()
    out = Path(args.out)
    folder = Path(args.results) if args.results else out / "runs"
    if not args.results:
        tiny = dict(replications=2, weeks=30, overrides={"population.residents": 400,
                                                         "simulation.resident_agents": False})
        exp = load_experiment("staffing_returns", **(tiny if args.tiny else {}))
        run_experiment(exp, folder, workers=args.workers, resume=True, progress=not args.tiny)

    runs = load_results(folder)
    levels = runs.groupby("point_id")[PARAM].first()
    level = summarize(runs, [OUTCOME]).assign(x=lambda d: d["point_id"].map(levels))
    # Each level against the one below it, paired by seed (common random numbers).
    steps = []
    for lower, upper in zip(levels.index[:-1], levels.index[1:], strict=True):
        pair = runs[runs["point_id"].isin([lower, upper])].replace({"point_id": {lower: 0, upper: 1}})
        steps.append(differences(pair, [OUTCOME]).iloc[0].to_dict() | {"x": levels[upper]})

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.errorbar(level["x"], level["mean"], yerr=[level["mean"] - level["ci_low"],
                                                 level["ci_high"] - level["mean"]], marker="o", capsize=3)
    a.set(xlabel="funded posts per 1,000 residents", ylabel="needs resolved per year",
          title="Service output")
    d = [s["difference"] for s in steps]
    err = [[s["difference"] - s["ci_low"] for s in steps], [s["ci_high"] - s["difference"] for s in steps]]
    b.bar([s["x"] for s in steps], d, width=0.3, yerr=err, capsize=3)
    b.axhline(0, color="grey", lw=0.8)
    b.set(xlabel="funded posts per 1,000 residents", ylabel="extra needs resolved per year",
          title="Gain from the last step up (paired 95% CI)")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "staffing_curve.png", dpi=110)
    print(f"Figure: {out / 'staffing_curve.png'}")


if __name__ == "__main__":
    main()

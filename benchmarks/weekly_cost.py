"""The model's cost per simulated week, at small sizes where the fixed per-week work dominates.

Builds the baseline at each size (outside the timing), then times its weeks:
the best of ``--repeat`` runs, in milliseconds per week and nanoseconds per
resident-week. The fixed cost is the intercept of a straight line through the
sizes (what a week costs before any resident is simulated).

    python benchmarks/weekly_cost.py                 # 1,000 2,000 5,000 10,000 residents, 260 weeks
    python benchmarks/weekly_cost.py --sizes 5000 --weeks 520 --repeat 7
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np


def weekly_ms(residents: int, weeks: int, repeat: int) -> float:
    from sim import CommunityModel

    best = float("inf")
    for seed in range(repeat):
        model = CommunityModel({"population": {"residents": residents},
                                "simulation": {"horizon_weeks": weeks, "resident_agents": False}}, rng=seed)
        start = time.perf_counter()
        model.run(weeks)
        best = min(best, time.perf_counter() - start)
    return best / weeks * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,2000,5000,10000", help="residents, comma-separated")
    ap.add_argument("--weeks", type=int, default=260, help="weeks per run (default 260)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per size; the fastest counts (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    sizes = [int(s) for s in args.sizes.split(",")]
    ms = [weekly_ms(n, args.weeks, args.repeat) for n in sizes]
    slope, fixed = np.polyfit(sizes, ms, 1) if len(sizes) > 1 else (ms[0] / sizes[0], float("nan"))
    result = {"weeks": args.weeks, "sizes": sizes, "ms_per_week": [round(x, 4) for x in ms],
              "ns_per_resident_week": [round(x * 1e6 / n, 1) for x, n in zip(ms, sizes, strict=True)],
              "fixed_ms_per_week": round(float(fixed), 4), "ns_per_resident_week_marginal": round(slope * 1e6, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        for n, x in zip(sizes, ms, strict=True):
            print(f"{n:>8,} residents  {x:7.3f} ms/week  {x * 1e6 / n:7.1f} ns/resident-week")
        print(f"fixed cost {result['fixed_ms_per_week']:.3f} ms/week; marginal "
              f"{result['ns_per_resident_week_marginal']:.1f} ns/resident-week")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

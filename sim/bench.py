"""``cogov bench``: how fast and how big, measured on this machine.

Three measurements (see docs/performance.md for the targets):

1. single runs of the baseline scaled to each size, with full data collection,
   each size in a fresh process so that peak memory (RSS) is per size;
2. in the same process, the "plain Mesa" anchor: trivial Mesa agents stepped
   with ``shuffle_do("step")``, each reading its 8 neighbours' trust;
3. sweep throughput: runs of the 10,000-resident baseline on 1 and 2 workers.

Timings are wall clock (what a user waits for), with CPU time and the load
average alongside, since a shared machine can slow the wall clock without the
code getting slower.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gc
import json
import math
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

TARGETS = {
    "seconds_10k": 1.0,
    "anchor_ratio_10k": 20.0,
    "seconds_1m": 120.0,
    "peak_gb_1m": 4.0,
    "growth_per_10x": 12.0,
    "parallel_efficiency": 0.90,
    "overhead_share": 0.05,
}
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
RESIDENTS_PER_COMMUNITY = 5000
COMMUNITIES_PER_NGO = 4


def scaled_scenario(residents: int, weeks: int, resident_agents: bool = True) -> dict[str, Any]:
    """The baseline at ``residents``: one community per 5,000 residents, one agency per four
    communities; posts and partners follow (they are set per 1,000 residents and per community)."""
    from .scenario import load_scenario

    communities = math.ceil(residents / RESIDENTS_PER_COMMUNITY)
    overrides = {
        "population.residents": residents,
        "population.communities": communities,
        "funding.ngos": max(1, round(communities / COMMUNITIES_PER_NGO)),
        "simulation.resident_agents": resident_agents,
    }
    return load_scenario("baseline", overrides, weeks=weeks).model_dump(mode="json")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def plain_mesa_anchor(residents: int, weeks: int, seed: int = 1) -> dict[str, float]:
    """Per-agent-week cost of trivial Mesa agents each reading 8 neighbours' trust."""
    import mesa

    class Trivial(mesa.Agent):
        def __init__(self, model: mesa.Model):
            super().__init__(model)
            self.trust = 0.5
            self.neighbours: tuple = ()
            self.seen = 0.0

        def step(self) -> None:
            t = 0.0
            for nb in self.neighbours:
                t += nb.trust
            self.seen = t / 8.0

    class Plain(mesa.Model):
        def __init__(self, n: int):
            super().__init__(rng=seed)
            agents = [Trivial(self) for _ in range(n)]
            for a, row in zip(agents, self.rng.integers(0, n, size=(n, 8)), strict=True):
                a.neighbours = tuple(agents[j] for j in row)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    model = Plain(residents)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(weeks):
        model.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"weeks": weeks, "wall_s": wall, "cpu_s": cpu,
            "ns_per_agent_week": wall / (residents * weeks) * 1e9,
            "cpu_ns_per_agent_week": cpu / (residents * weeks) * 1e9}


def measure_size(residents: int, weeks: int, resident_agents: bool,
                 anchor_weeks: int) -> dict[str, Any]:
    """One size, in this (fresh) process: build, run, collect; then the anchor."""
    import mesa

    from .model import CommunityModel

    data = scaled_scenario(residents, weeks, resident_agents)
    gc.collect()
    load_before = os.getloadavg()[0]
    base_rss = _current_rss_bytes()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    model = CommunityModel(data)
    built = time.perf_counter()
    model.run()
    model.datacollector.get_model_vars_dataframe()
    model.summary()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    peak = _peak_rss_bytes()
    row: dict[str, Any] = {
        "residents": residents,
        "resident_agents": resident_agents,
        "weeks": weeks,
        "communities": data["population"]["communities"],
        "ngos": data["funding"]["ngos"],
        "workers_end": len(model.workers),
        "build_s": built - wall0,
        "wall_s": wall,
        "cpu_s": cpu,
        "ns_per_resident_week": wall / (residents * weeks) * 1e9,
        "peak_rss_mb": peak / 2**20,
        "base_rss_mb": base_rss / 2**20,
        "bytes_per_resident": (peak - base_rss) / residents,
        "mesa": mesa.__version__,
        "python": platform.python_version(),
        "load_average": [load_before, os.getloadavg()[0]],
    }
    del model
    gc.collect()
    if anchor_weeks > 0:
        anchor = plain_mesa_anchor(residents, anchor_weeks)
        anchor["extrapolated"] = anchor_weeks < weeks
        row["anchor"] = anchor
        row["anchor_ratio"] = anchor["ns_per_agent_week"] / row["ns_per_resident_week"]
        row["anchor_ratio_cpu"] = anchor["cpu_ns_per_agent_week"] / (
            cpu / (residents * weeks) * 1e9)
    return row


def _in_fresh_process(fn, *args):
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def _sweep_task(data: dict[str, Any], seed: int, out_dir: str) -> dict[str, Any]:
    """One sweep run as a worker does it: run, write a small result file, return the summary."""
    from .run import run_scenario

    result = run_scenario(data, seed=seed)
    path = Path(out_dir) / f"run-{seed}.json"
    path.write_text(json.dumps({"seed": seed, "summary": result.summary}))
    return {"seed": seed, "seconds": result.seconds, "summary": result.summary}


def sweep(runs: int, residents: int, weeks: int, workers: int, method: str) -> dict[str, Any]:
    """``runs`` seeds of the scaled baseline on a pool of ``workers`` processes.

    Importing Mesa sets the start method to "spawn", where each worker imports
    NumPy, SciPy, pandas and Mesa again (about a second); "fork" inherits them.
    """
    from . import run  # noqa: F401  (imported once here, inherited by forked workers)

    data = scaled_scenario(residents, weeks, resident_agents=True)
    ctx = multiprocessing.get_context(method)
    with tempfile.TemporaryDirectory(prefix="cogov-bench-") as tmp:
        start = time.perf_counter()
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(_sweep_task, [data] * runs, range(runs), [tmp] * runs))
        wall = time.perf_counter() - start
    compute = sum(r["seconds"] for r in results)
    return {"workers": workers, "runs": runs, "residents": residents, "weeks": weeks,
            "load_average_end": os.getloadavg()[0],
            "wall_s": wall, "runs_per_minute": runs / wall * 60.0,
            "mean_run_s": compute / runs,
            "overhead_per_run_s": (wall * workers - compute) / runs}


def process_start_seconds(method: str) -> float:
    """Start one worker process, have it import the model, and hear back."""
    start = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method)) as pool:
        pool.submit(_import_model).result()
    return time.perf_counter() - start


def _import_model() -> int:
    from . import run  # noqa: F401

    return os.getpid()


def anchor_weeks_for(residents: int, weeks: int, budget: float) -> int:
    """Anchor weeks within ``budget`` agent-weeks (all weeks for small sizes)."""
    return max(1, min(weeks, round(budget / residents)))


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    agents = {"both": (True, False), "on": (True,), "off": (False,)}[args.agents]
    sizes: list[dict[str, Any]] = []
    for n in args.sizes:
        for with_agents in agents:
            aw = anchor_weeks_for(n, args.weeks, args.anchor_budget) if with_agents else 0
            row = _in_fresh_process(measure_size, n, args.weeks, with_agents, aw)
            sizes.append(row)
            print(_size_line(row), flush=True)
    out: dict[str, Any] = {
        "created": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "mesa": _mesa_version()},
        "settings": {"sizes": args.sizes, "weeks": args.weeks, "agents": args.agents,
                     "anchor_budget": args.anchor_budget, "sweep_runs": args.sweep_runs,
                     "sweep_residents": args.sweep_residents,
                     "start_method": args.start_method},
        "sizes": sizes,
        "growth": growth(sizes),
    }
    if args.sweep_runs > 0:
        method = args.start_method
        one = sweep(args.sweep_runs, args.sweep_residents, args.weeks, 1, method)
        print(_sweep_line(one), flush=True)
        two = sweep(args.sweep_runs, args.sweep_residents, args.weeks, 2, method)
        print(_sweep_line(two), flush=True)
        out["sweep"] = {
            "one_worker": one,
            "two_workers": two,
            "parallel_efficiency": one["wall_s"] / two["wall_s"] / 2.0,
            "start_method": method,
            "process_start_s": {m: process_start_seconds(m) for m in ("fork", "spawn")
                                if m in multiprocessing.get_all_start_methods()},
            "overhead_share": one["overhead_per_run_s"] / one["mean_run_s"],
        }
    out["targets"] = targets(out)
    return out


def _mesa_version() -> str:
    import mesa

    return mesa.__version__


def growth(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Time ratio between consecutive sizes (with Resident agents, and without)."""
    out = []
    for flag in (True, False):
        rows = sorted((r for r in sizes if r["resident_agents"] is flag), key=lambda r: r["residents"])
        for a, b in zip(rows, rows[1:], strict=False):
            out.append({"resident_agents": flag, "from": a["residents"], "to": b["residents"],
                        "size_ratio": b["residents"] / a["residents"],
                        "time_ratio": b["wall_s"] / a["wall_s"],
                        "cpu_ratio": b["cpu_s"] / a["cpu_s"]})
    return out


def _row(sizes: list[dict[str, Any]], n: int, agents: bool = True) -> dict[str, Any] | None:
    return next((r for r in sizes if r["residents"] == n and r["resident_agents"] is agents
                 and r["weeks"] == 260), None)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with what was measured (None when this run did not measure it)."""
    sizes = result["sizes"]
    r10k, r1m = _row(sizes, 10_000), _row(sizes, 1_000_000)
    tenfold = [g for g in result["growth"]
               if g["resident_agents"] and g["from"] >= 10_000 and g["size_ratio"] == 10]
    lin = [g["time_ratio"] for g in tenfold]
    lin_cpu = [g["cpu_ratio"] for g in tenfold]
    sw = result.get("sweep")

    def t(name: str, limit: float, measured: float | None, above: bool = False,
          cpu: float | None = None) -> dict[str, Any]:
        met = None if measured is None else (measured >= limit if above else measured <= limit)
        return {"target": name, "limit": limit, "measured": measured, "met": met, "cpu": cpu}

    return [
        t("10,000 x 260 weeks, seconds", TARGETS["seconds_10k"], r10k and r10k["wall_s"],
          cpu=r10k and r10k["cpu_s"]),
        t("10,000: plain-Mesa cost / our cost per resident-week", TARGETS["anchor_ratio_10k"],
          r10k and r10k.get("anchor_ratio"), above=True, cpu=r10k and r10k.get("anchor_ratio_cpu")),
        t("1,000,000 x 260 weeks, seconds", TARGETS["seconds_1m"], r1m and r1m["wall_s"],
          cpu=r1m and r1m["cpu_s"]),
        t("1,000,000: peak memory, GB", TARGETS["peak_gb_1m"], r1m and r1m["peak_rss_mb"] / 1024),
        t("time for 10x residents (from 10,000), worst", TARGETS["growth_per_10x"],
          max(lin) if lin else None, cpu=max(lin_cpu) if lin_cpu else None),
        t("sweep parallel efficiency, 2 workers", TARGETS["parallel_efficiency"],
          sw and sw["parallel_efficiency"], above=True),
        t("per-run overhead / 10,000-resident run", TARGETS["overhead_share"],
          sw and sw["overhead_share"]),
    ]


def _size_line(r: dict[str, Any]) -> str:
    anchor = ""
    if "anchor" in r:
        a = r["anchor"]
        note = f", anchor on {a['weeks']} weeks" if a["extrapolated"] else ""
        anchor = (f"  anchor {a['ns_per_agent_week']:7.0f} ns  ratio {r['anchor_ratio']:5.1f}x"
                  f"{note}")
    return (f"{r['residents']:>10,} {'agents' if r['resident_agents'] else 'arrays':>6} "
            f"{r['weeks']:>4} wk  build {r['build_s']:7.2f} s  total {r['wall_s']:8.2f} s "
            f"(cpu {r['cpu_s']:8.2f})  {r['ns_per_resident_week']:6.0f} ns/resident-week  "
            f"peak {r['peak_rss_mb']:7.0f} MB  {r['bytes_per_resident']:6.0f} B/resident{anchor}  "
            f"load {r['load_average'][1]:.1f}")


def _sweep_line(s: dict[str, Any]) -> str:
    return (f"sweep {s['runs']} x {s['residents']:,} on {s['workers']} worker(s): "
            f"{s['wall_s']:6.1f} s, {s['runs_per_minute']:6.1f} runs/min, "
            f"mean run {s['mean_run_s']:.2f} s, overhead {s['overhead_per_run_s'] * 1e3:.0f} ms/run")


def format_targets(result: dict[str, Any]) -> str:
    lines = [f"{'target':<55} {'limit':>8} {'measured':>10}  met  {'(cpu)':>8}"]
    for t in result["targets"]:
        m = "-" if t["measured"] is None else f"{t['measured']:.3g}"
        met = {True: "yes", False: "NO", None: "-"}[t["met"]]
        cpu = "" if t["cpu"] is None else f"{t['cpu']:.3g}"
        lines.append(f"{t['target']:<55} {t['limit']:>8g} {m:>10}  {met:<3}  {cpu:>8}")
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be integers separated by commas: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES),
                   help="residents per single run, comma-separated (default 1000,10000,100000,1000000)")
    p.add_argument("--weeks", type=int, default=260, help="weeks per run (default 260)")
    p.add_argument("--agents", choices=("both", "on", "off"), default="both",
                   help="Resident agents: measure with, without, or both (default both)")
    p.add_argument("--anchor-budget", type=float, default=2.6e6,
                   help="agent-weeks for the plain-Mesa anchor; fewer weeks at big sizes (default 2.6e6)")
    p.add_argument("--sweep-runs", type=int, default=40, help="runs per sweep, 0 to skip (default 40)")
    p.add_argument("--sweep-residents", type=int, default=10_000,
                   help="residents per sweep run (default 10000)")
    p.add_argument("--start-method", choices=multiprocessing.get_all_start_methods(),
                   default="fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn",
                   help="how sweep workers start (default fork where available)")
    p.add_argument("--name", help="result file name (default: a timestamp)")
    p.add_argument("--out-dir", default="benchmarks/results", help="folder for the JSON result")


def cmd_bench(args: argparse.Namespace) -> int:
    if args.weeks < 1:
        raise _user_error("must be at least 1", "--weeks")
    if args.sweep_runs < 0:
        raise _user_error("must be 0 or more", "--sweep-runs")
    result = run_benchmark(args)
    print(format_targets(result))
    name = args.name or datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out_dir) / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"Results in {out}")
    return 0


def _user_error(message: str, field: str) -> Exception:
    from .errors import UserError

    return UserError(message, field=field)


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="benchmark speed, memory and sweep throughput")
    add_arguments(p)
    p.set_defaults(func=cmd_bench)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return cmd_bench(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""ABC-SMC with pyabc, one generation at a time, resumable from its history.

The output folder holds pyabc's History (``history.db``, SQLite) and a
manifest. Every generation is run as pyabc's own continuation of the history
(``ABCSMC.load``), whether or not the calibration was interrupted before it:
the distance scales, epsilon and transition kernel of a generation are always
refitted from the last stored population, so a resumed calibration takes the
very steps an uninterrupted one would.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.weighted_statistics import effective_sample_size

from . import priors, seeding
from .adapter import UserError, library_versions, open_executor
from .distance import RangeDistance
from .problem import Problem
from .sampler import ExecutorSampler
from .transition import PriorMixtureTransition

HISTORY = "history.db"
MANIFEST = "manifest.json"
POSTERIOR = "posterior.parquet"
FORMAT = 1
"""Version of the output folder layout."""


@dataclass(frozen=True)
class ParticleModel:
    """The pyabc model of one particle: mean target KPIs over its replications.

    Averaging several runs before comparing with the targets takes some of the
    model's own noise out of the distance.
    """

    simulator: Callable[[Mapping[str, float], int], Mapping[str, float]]
    targets: tuple[str, ...]
    replications: int

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, float]:
        values = {k: float(v) for k, v in parameter.items()}
        runs = [self.simulator(values, seeding.replication_seed(r)) for r in range(self.replications)]
        return {k: float(np.mean([float(run[k]) for run in runs])) for k in self.targets}


@dataclass(frozen=True)
class Generation:
    """One completed generation, as the history records it."""

    t: int
    epsilon: float
    accepted: int
    evaluated: int
    ess: float
    simulations: int
    """Model runs up to and including this generation (the prior calibration sample too)."""
    seconds: float

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.evaluated if self.evaluated else 0.0


@dataclass
class Outcome:
    """How a calibration went."""

    out: Path
    generations: list[Generation]
    stopped: str
    seconds: float = 0.0
    evaluated: int = 0
    """Particles evaluated in this session (including those past a generation's cut)."""
    interrupted: bool = False


def _db(out: Path) -> str:
    return f"sqlite:///{(out / HISTORY).resolve()}"


def read_generations(history: pyabc.History, replications: int, first: int = 0) -> list[Generation]:
    """Statistics of the generations from ``first`` on (none before the first one completes)."""
    if history.max_t is None or history.max_t < first:
        return []
    pops = history.get_all_populations().sort_values("t")
    counts = dict(zip(pops["t"].astype(int), pops["samples"].fillna(0).astype(int), strict=True))
    gens = []
    for row in pops[pops["t"] >= first].itertuples():
        t = int(row.t)
        w = history.get_weighted_distances(t)["w"].to_numpy(dtype=float)
        runs = sum(n for u, n in counts.items() if u <= t) * replications
        gens.append(Generation(t=t, epsilon=float(row.epsilon), accepted=len(w), evaluated=counts[t],
                               ess=float(effective_sample_size(w / w.sum())), simulations=runs,
                               seconds=float(row.wall_time or 0.0)))
    return gens


def stop_reason(gens: list[Generation], problem: Problem) -> str:
    """Why the calibration is finished, or "" while it is not."""
    s = problem.schedule
    if s.generations is not None and len(gens) >= s.generations:
        return f"reached {s.generations} generation{'s' if s.generations > 1 else ''}"
    if s.final_epsilon is not None and gens and gens[-1].epsilon <= s.final_epsilon:
        return f"epsilon {gens[-1].epsilon:.4g} reached the final epsilon {s.final_epsilon:g}"
    return ""


def posterior_frame(history: pyabc.History, names: list[str]) -> pd.DataFrame:
    """Every generation's particles: parameter columns, weight (summing to 1 per generation), generation."""
    frames = []
    for t in range(history.max_t + 1):
        pars, w = history.get_distribution(0, t)
        frame = pars[names].reset_index(drop=True).astype(float)
        frame["weight"] = np.asarray(w, dtype=float)
        frame["generation"] = np.int64(t)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _abc(problem: Problem, sampler: ExecutorSampler) -> pyabc.ABCSMC:
    model = ParticleModel(problem.simulator, tuple(problem.targets), problem.schedule.replications)
    prior = priors.distribution(problem.priors)
    return pyabc.ABCSMC(
        models=pyabc.FunctionModel(model, name=problem.name),
        parameter_priors=prior,
        distance_function=RangeDistance({k: (t.low, t.high) for k, t in problem.targets.items()}),
        population_size=problem.schedule.population,
        transitions=PriorMixtureTransition(prior, problem.schedule.prior_share),
        eps=pyabc.QuantileEpsilon(alpha=problem.schedule.epsilon_quantile),
        sampler=sampler,
    )


@contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every step at INFO; the calibration prints its own line per generation."""
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(out: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("holds no calibration (no manifest.json)", source=str(out)) from None
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read manifest.json ({exc})", source=str(out)) from None


def check_folder(out: Path, problem: Problem, resume: bool) -> dict[str, Any] | None:
    """Fail before any work if ``out`` cannot take this calibration; the manifest to continue, if any."""
    if out.exists() and not out.is_dir():
        raise UserError("is a file, not a folder", source=str(out), field="--out")
    if (out / MANIFEST).exists():
        old = read_manifest(out)
        if not resume:
            raise UserError("already holds a calibration; add --resume to continue it, or choose another "
                            "--out", source=str(out), field="--out")
        if old.get("fingerprint") != problem.fingerprint():
            raise UserError(f"holds a calibration with a different spec (fingerprint {old.get('fingerprint')}, "
                            f"now {problem.fingerprint()}); only generations, final_epsilon and "
                            "min_acceptance_rate may change on --resume; choose another --out",
                            source=str(out), field="--out")
        return old
    if out.exists() and any(p for p in out.iterdir() if not p.name.startswith(".")):
        raise UserError("is not empty and holds no calibration; choose another --out", source=str(out),
                        field="--out")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError("folder is not writable", source=str(out), field="--out")
    return None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def progress_line(g: Generation, problem: Problem, elapsed: float, last: float) -> str:
    """One line per generation: epsilon, acceptance, ESS, simulations, time, and an ETA where one can be given.

    ``last`` is the wall time of this generation, which the ETA assumes for each one left.
    """
    total = problem.schedule.generations
    line = (f"generation {g.t + 1}{f'/{total}' if total else ''}: epsilon {g.epsilon:.4g}, "
            f"accepted {g.accepted}/{g.evaluated} ({g.acceptance_rate:.1%}), ESS {g.ess:.1f}, "
            f"{g.simulations:,} simulations, {_duration(elapsed)} elapsed")
    if total and g.t + 1 < total:
        line += f", ETA {_duration(last * (total - g.t - 1))} if later generations cost as much"
    return line


def run_abc(problem: Problem, out: str | Path, *, executor: Executor | None = None, slots: int = 1,
            resume: bool = False, report: Callable[[str], None] | None = None,
            spec: dict[str, Any] | None = None) -> Outcome:
    """Run (or continue) ABC-SMC for ``problem`` into the folder ``out`` and write the posterior.

    ``executor`` is any ``concurrent.futures.Executor`` with ``slots``
    workers (by default particles run in this process). ``report`` gets one
    line per generation (default: standard error). ``spec`` is recorded in the
    manifest.
    """
    out = Path(out)
    if executor is None:
        with open_executor("process", 1) as (serial, n):
            return run_abc(problem, out, executor=serial, slots=n, resume=resume, report=report, spec=spec)
    if report is None:
        def report(line: str) -> None:
            print(line, file=sys.stderr, flush=True)
    old = check_folder(out, problem, resume)
    out.mkdir(parents=True, exist_ok=True)
    manifest = old or {"format": FORMAT, "name": problem.name, "fingerprint": problem.fingerprint(),
                       "created": _now(), "spec": spec, "parameters": problem.parameters,
                       "targets": list(problem.targets), "held_out": list(problem.held_out)}
    versions = library_versions()
    if old and old.get("versions") not in (None, versions):
        changed = sorted(k for k in versions if old["versions"].get(k) != versions[k])
        warnings.warn(f"resuming with other versions of {', '.join(changed)} than the last session; the "
                      "posterior mixes generations from both", UserWarning, stacklevel=2)
    manifest.update(status="running", versions=versions, schedule=problem.schedule.model_dump())
    _write_json(out / MANIFEST, manifest)
    sampler = ExecutorSampler(executor, slots, problem.schedule.seed)
    x_0 = {k: t.centre for k, t in problem.targets.items()}
    db = _db(out)
    reps = problem.schedule.replications
    start = time.perf_counter()
    outcome = Outcome(out=out, generations=[], stopped="")
    try:
        with _quiet_pyabc():
            history = pyabc.History(db) if (out / HISTORY).exists() else None
            gens = outcome.generations = read_generations(history, reps) if history else []
            while True:
                outcome.stopped = stop_reason(gens, problem)
                if outcome.stopped:
                    break
                abc = _abc(problem, sampler)
                if history is None:
                    abc.new(db, x_0)
                else:
                    abc.load(db, history.id, observed_sum_stat=x_0)
                began = time.perf_counter()
                history = abc.run(max_nr_populations=1, min_acceptance_rate=problem.schedule.min_acceptance_rate)
                new = read_generations(history, reps, first=len(gens))
                if not new:
                    outcome.stopped = (f"generation {len(gens) + 1} would accept fewer than "
                                       f"{problem.schedule.min_acceptance_rate:.2%} of its particles")
                    break
                gens.extend(new)
                now = time.perf_counter()
                report(progress_line(gens[-1], problem, now - start, now - began))
                _write_json(out / MANIFEST, {**manifest, **_progress(gens), "updated": _now()})
    except KeyboardInterrupt:
        outcome.interrupted = True
        raise
    finally:
        outcome.seconds = time.perf_counter() - start
        outcome.evaluated = sampler.evaluated
        status = "interrupted" if outcome.interrupted else ("complete" if outcome.stopped else "failed")
        manifest.update(_progress(outcome.generations), status=status, stopped=outcome.stopped, updated=_now(),
                        last_session_seconds=round(outcome.seconds, 3))
        _write_json(out / MANIFEST, manifest)
    if outcome.generations:
        tmp = out / f".{POSTERIOR}.{os.getpid()}.tmp"
        posterior_frame(pyabc.History(db), problem.parameters).to_parquet(tmp, index=False)
        os.replace(tmp, out / POSTERIOR)
    return outcome


def _progress(gens: list[Generation]) -> dict[str, Any]:
    return {"generations_done": len(gens), "simulations": gens[-1].simulations if gens else 0,
            "generations": [{**asdict(g), "acceptance_rate": g.acceptance_rate} for g in gens]}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

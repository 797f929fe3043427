"""An optimisation from its file to its report: search, hold-out, regret, discovery.

``optimize`` runs one search per seed of ``search.seeds``, side by side: each generation, every
search is asked for its candidates, all of them are run as one batch on the shared runner (a
process pool or a Dask cluster; each run's result depends on its seed alone, so both give the
same results), and each search is told its scores. Each run is stored the moment it returns, so a
killed optimisation resumed with ``resume=True`` replays every search from its seed, is served
every stored run, and simulates only what is missing: its tables come out bit-identical.

After the last generation the non-dominated candidates of all searches (the final set) and the
status quo (the scenario's own levers) are run on the hold-out draws. Each is scored there with
the same robustness metrics, and its regret is measured against the status quo and against the
best of the final set in each draw (Lempert et al. 2006; Herman et al. 2015). When the file asks,
PRIM and CART then look for the conditions (levers and drawn parameters) under which the final
set fails on the hold-out runs (``cogov discover`` on ``tables/holdout.parquet`` does the same).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import adapter, problem, robust
from .adapter import UserError
from .problem import Draw, Run
from .search import Budget, LeverSearch, SearchResult
from .space import candidate_key
from .spec import ResolvedOptimize, Score
from .store import OptimizationStore, fingerprint

STATUS_QUO = "status quo"
REGRET_Q = 10
"""Regret is summarised by its mean and by the regret exceeded in only this percent of draws."""


class RunFailed(Exception):
    """A model run raised: the optimisation cannot score its candidate. The stored runs are kept."""


def default_out(resolved: ResolvedOptimize) -> Path:
    return Path("results") / resolved.spec.name


class Evaluator:
    """Runs candidates on draws through the shared runner, serving every run already in the store."""

    def __init__(self, resolved: ResolvedOptimize, store: OptimizationStore, executor: Executor, slots: int,
                 pricing: Callable[[Mapping[str, object]], float]) -> None:
        self.resolved, self.store, self.executor, self.slots, self.pricing = resolved, store, executor, slots, pricing
        self.rows = store.stored_runs()
        self.scenario = adapter.scenario_data(resolved.base)
        self.simulated = 0
        self.served = 0

    def ensure(self, runs: Sequence[Run]) -> None:
        """Every run stored: the missing ones simulated as one batch, a few per worker in flight."""
        unique = list({run.id: run for run in runs}.values())
        for run in unique:
            self.pricing.check(run.levers)
        missing = [run for run in unique if run.id not in self.rows]
        self.served += len(unique) - len(missing)
        runner = adapter.runner()
        todo = iter(missing)
        pending: dict[Future, Run] = {}
        try:
            while True:
                for run in todo:
                    task = problem.task(self.resolved, self.scenario, run)
                    pending[self.executor.submit(runner.run_task, task)] = run
                    if len(pending) >= 2 * self.slots:
                        break
                if not pending:
                    break
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    self._collect(future.result(), pending.pop(future))
        except BaseException:
            runner.stop_now(self.executor, pending)
            raise

    def _collect(self, result: Mapping[str, Any], run: Run) -> None:
        if not result["ok"]:
            self.store.save_failure(run.id, result)
            raise RunFailed(f"run {run.id} (candidate {run.key}, draw {run.draw.index}, replication "
                            f"{run.replication}) failed: {result['error']}; see {self.store.failures}/{run.id}.json")
        row = problem.row(self.resolved, run, result["record"], self.pricing(run.levers))
        self.store.save_run(run.id, row)
        self.rows[run.id] = row
        self.simulated += 1

    def rows_of(self, levers: Mapping[str, object], draws: Sequence[Draw]) -> list[dict[str, Any]]:
        replications = self.resolved.spec.uncertainty.replications
        return [self.rows[run.id] for run in problem.runs_of(levers, draws, replications)]

    def __call__(self, batch: Sequence[Mapping[str, object]], draws: Sequence[Draw]) -> list[dict[str, float]]:
        """The scores of every candidate of a batch on ``draws``."""
        replications = self.resolved.spec.uncertainty.replications
        self.ensure([run for levers in batch for run in problem.runs_of(levers, draws, replications)])
        return [problem.scores(self.rows_of(levers, draws), self.resolved, draws) for levers in batch]


@dataclass(frozen=True)
class Holdout:
    """The final set and the status quo on the hold-out draws.

    ``runs``: one row per run (``mix``: the final set's number, or the status quo; ``point_id``
    numbers each mix's draws). ``scores``: one row per mix with its levers, cost, slack, search
    scores, hold-out scores (``holdout_<score>``) and, per objective KPI, regret against the
    status quo (``<kpi>_regret_sq_mean``, ``..._p90``) and against the best of the final set in
    each draw (``<kpi>_regret_set_mean``, ``..._p90``).
    """

    runs: pd.DataFrame
    scores: pd.DataFrame


@dataclass
class Outcome:
    """What one call of ``optimize`` did and produced."""

    out: Path
    resolved: ResolvedOptimize
    results: dict[int, SearchResult]
    archive: pd.DataFrame
    holdout: Holdout | None
    discovery: Any
    notes: list[str]
    simulated: int
    served: int
    seconds: float
    report: Path | None


def _source_bytes(source: str | Path) -> bytes:
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the optimisation file ({exc.strerror})", source=str(source)) from None


def _draws_table(draws: Sequence[Draw]) -> pd.DataFrame:
    return pd.DataFrame([{"draw": d.index, "holdout": d.holdout, **d.values} for d in draws])


def _kpis(resolved: ResolvedOptimize) -> list[Score]:
    """The first score of each objective KPI (its range and direction judge that KPI's regret)."""
    seen: dict[str, Score] = {}
    for score in resolved.scores:
        seen.setdefault(score.kpi, score)
    return list(seen.values())


def score_describe(resolved: ResolvedOptimize) -> Callable[[str], tuple[str, str]]:
    """Labels for the report: a score named as its KPI reads 'mean over draws' (or as its metric says)."""
    metrics = {score.name: score for score in resolved.scores}

    def describe(name: str) -> tuple[str, str]:
        label, unit = adapter.describe(name)
        score = metrics.get(name)
        if score is not None and score.name == score.kpi:
            label = f"{label}, mean over draws"
        return label, unit

    return describe


def optimize(source: str | Path, out: str | Path | None = None, *, workers: int | None = None,
             executor: str = "process", scheduler: str | None = None, resume: bool = False,
             progress: Callable[[str], None] | None = None, report: bool = True, command: str = "") -> Outcome:
    """Run the optimisation a file describes into ``out`` (default ``results/<name>/``).

    Everything that can be checked is checked before the first run: the file, the draws, the
    output folder (and, with ``resume``, that it holds this same optimisation made by the same
    code and libraries) and the executor options. ``progress`` gets one line per generation.
    """
    started, stamp = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%S%z")
    resolved = problem.load(source)
    out = Path(out) if out is not None else default_out(resolved)
    draws = problem.draws(resolved)
    inputs = fingerprint(_source_bytes(source), adapter.scenario_hash(resolved.base), resolved.posterior)
    OptimizationStore.check(out, inputs, resume=resume)
    runner = adapter.runner()
    runner.check_executor(executor, workers, scheduler)
    store = OptimizationStore.open(out, inputs, resume=resume, name=resolved.spec.name, source=resolved.source,
                                   spec_text=_source_bytes(source), draws=_draws_table(draws),
                                   levers=[lever.name for lever in resolved.levers], uncertain=resolved.uncertain,
                                   command=command)
    say = progress or (lambda line: None)
    store.update_manifest(status="running")
    status = "stopped by an error"
    evaluator = None
    try:
        with _sigterm_as_interrupt(), runner.open_executor(executor, workers, scheduler) as (pool, slots):
            pricing = problem.Pricing(resolved)
            evaluator = Evaluator(resolved, store, pool, slots, pricing)
            results = _search(resolved, store, evaluator, pricing, [d for d in draws if not d.holdout], say)
            archive = _archive(results, resolved)
            holdout_draws = [d for d in draws if d.holdout]
            holdout = _holdout(resolved, evaluator, pricing, archive, holdout_draws) if holdout_draws else None
        status = "done"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except RunFailed:
        status = "failed run"
        raise
    finally:
        simulated = evaluator.simulated if evaluator is not None else 0
        served = evaluator.served if evaluator is not None else 0
        store.update_manifest(status=status)
        store.add_session({"started": stamp, "simulated": simulated, "served": served,
                           "seconds": round(time.perf_counter() - started, 3), "executor": executor,
                           "workers": workers, "status": status, "load_average": _load()})
    candidates = pd.concat([r.candidates.assign(seed=seed) for seed, r in results.items()], ignore_index=True)
    convergence = pd.concat([r.convergence.assign(seed=seed) for seed, r in results.items()], ignore_index=True)
    rows = pd.DataFrame(list(evaluator.rows.values())).sort_values(["key", "draw", "replication"], kind="stable")
    store.write_table("runs", rows.reset_index(drop=True))
    store.write_table("candidates", candidates)
    store.write_table("archive", archive)
    store.write_table("convergence", convergence)
    notes: list[str] = []
    found = None
    if holdout is not None:
        holdout_path = store.write_table("holdout", holdout.runs)
        store.write_table("holdout_scores", holdout.scores)
        if resolved.fail is not None:
            found = _discover(resolved, holdout.runs, holdout_path, out / "discovery", notes)
    page = None
    if report:
        from .report import build_report

        page = build_report(results, [s.objective() for s in resolved.scores], resolved.levers, out / "report",
                            discovery=found, budget=resolved.budget, title=f"Optimisation: {resolved.spec.name}",
                            describe=score_describe(resolved), holdout=holdout, notes=notes)
    store.update_manifest(tables_written=True)
    return Outcome(out=out, resolved=resolved, results=results, archive=archive, holdout=holdout, discovery=found,
                   notes=notes, simulated=evaluator.simulated, served=evaluator.served,
                   seconds=time.perf_counter() - started, report=page)


def _load() -> float | None:
    """The machine's five-minute load average: wall times mean little without it on shared cores."""
    try:
        return round(os.getloadavg()[1], 2)
    except OSError:
        return None


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A batch scheduler's SIGTERM stops an optimisation as cleanly as Ctrl-C: workers stopped, runs kept."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _search(resolved: ResolvedOptimize, store: OptimizationStore, evaluator: Evaluator, pricing: problem.Pricing,
            draws: Sequence[Draw], say: Callable[[str], None]) -> dict[int, SearchResult]:
    """Every search, a generation at a time, each generation's candidates of all searches run as one batch."""
    spec = resolved.spec.search
    objectives = [score.objective() for score in resolved.scores]
    budget = Budget(pricing, resolved.budget)
    searches = {seed: LeverSearch(resolved.levers, objectives, budget, spec.population, seed) for seed in spec.seeds}
    for generation in range(spec.generations):
        clock = time.perf_counter()
        before = (evaluator.simulated, evaluator.served)
        asked = {seed: search.ask() for seed, search in searches.items()}
        asked = {seed: batch for seed, batch in asked.items() if batch}
        if not asked:
            break
        flat = [levers for batch in asked.values() for levers in batch]
        scored = evaluator(flat, draws)
        start = 0
        for seed, batch in asked.items():
            searches[seed].tell(scored[start:start + len(batch)])
            start += len(batch)
            records = pd.DataFrame(searches[seed].records[-len(batch):])
            store.save_generation(seed, generation, records)
        store.update_manifest(generations_done=generation + 1)
        volumes = ", ".join(f"seed {seed} {float(searches[seed].tracker.rows[-1]['hypervolume']):.3f}"
                            for seed in asked)
        say(f"generation {generation + 1}/{spec.generations}: {len(flat)} candidates, "
            f"{evaluator.simulated - before[0]} runs simulated, {evaluator.served - before[1]} served; "
            f"hypervolume {volumes} ({time.perf_counter() - clock:.0f} s)")
    return {seed: search.result() for seed, search in searches.items()}


def _archive(results: Mapping[int, SearchResult], resolved: ResolvedOptimize) -> pd.DataFrame:
    """The non-dominated candidates of all searches, numbered 1, 2, ... as ``mix``."""
    from .report import pooled

    _, front = pooled(results, [s.objective() for s in resolved.scores])
    return front.assign(mix=np.arange(1, len(front) + 1))


def _holdout(resolved: ResolvedOptimize, evaluator: Evaluator, pricing: problem.Pricing, archive: pd.DataFrame,
             draws: Sequence[Draw]) -> Holdout:
    """The final set and the status quo run on the hold-out draws, scored, with regret."""
    names = [lever.name for lever in resolved.levers]
    mixes: dict[object, dict[str, object]] = {}
    for row in archive.to_dict("records"):
        mixes[int(row["mix"])] = {name: row[name] for name in names}
    status_quo = resolved.status_quo()
    if candidate_key(status_quo) not in {candidate_key(levers) for levers in mixes.values()}:
        mixes[STATUS_QUO] = status_quo
    replications = resolved.spec.uncertainty.replications
    evaluator.ensure([run for levers in mixes.values() for run in problem.runs_of(levers, draws, replications)])
    runs, per_kpi, records = [], {score.kpi: {} for score in _kpis(resolved)}, []
    search_scores = archive.set_index("mix")
    for point, (mix, levers) in enumerate(mixes.items()):
        rows = evaluator.rows_of(levers, draws)
        runs += [{"mix": str(mix), "point_id": point * len(draws) + i // replications, **row}
                 for i, row in enumerate(rows)]
        for score in _kpis(resolved):
            per_kpi[score.kpi][str(mix)] = problem.per_draw(
                problem.kpi_matrix(rows, score.kpi, draws, replications), score)
        cost = pricing(levers)
        record = {"mix": str(mix), "key": candidate_key(levers), **levers, "cost": cost,
                  "slack": resolved.budget - cost}
        for score in resolved.scores:
            record[score.name] = float(search_scores.loc[mix, score.name]) if mix in search_scores.index else np.nan
        record.update({f"holdout_{k}": v for k, v in problem.scores(rows, resolved, draws).items()})
        records.append(record)
    scores = pd.DataFrame(records)
    in_set = [str(m) for m in mixes if m != STATUS_QUO]
    for score in _kpis(resolved):
        table = pd.DataFrame(per_kpi[score.kpi]).T
        if STATUS_QUO in table.index:
            regret = robust.regret(table, score.direction, reference=STATUS_QUO)
            _regret_columns(scores, regret, f"{score.kpi}_regret_sq")
        if in_set:
            _regret_columns(scores, robust.regret(table.loc[in_set], score.direction), f"{score.kpi}_regret_set")
    return Holdout(runs=pd.DataFrame(runs), scores=scores)


def _regret_columns(scores: pd.DataFrame, regret: pd.DataFrame, prefix: str) -> None:
    """Mean regret over the draws and the regret exceeded in only ``REGRET_Q`` percent of them, per mix."""
    mean = robust.mean(regret, "minimise").values
    high = robust.percentile(regret, REGRET_Q, "minimise").values
    scores[f"{prefix}_mean"] = scores["mix"].map(mean).astype(float)
    scores[f"{prefix}_p{100 - REGRET_Q}"] = scores["mix"].map(high).astype(float)


def _discover(resolved: ResolvedOptimize, runs: pd.DataFrame, path: Path, out: Path, notes: list[str]) -> Any:
    """PRIM and CART on the hold-out runs: which levers and drawn values make the final set fail."""
    from .discover import Runs, discover, write_discovery

    kpi = resolved.spec.discover.kpi
    try:
        found = discover(Runs(runs, adapter.shown_path(path)), kpi, resolved.fail,
                         per_point=resolved.spec.uncertainty.replications > 1)
    except UserError as exc:
        notes.append(f"Scenario discovery of {kpi} {resolved.fail} was skipped: {exc.message}.")
        return None
    write_discovery(found, out)
    return found


def print_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)

"""Running every (design point x replication) on any ``concurrent.futures.Executor``.

The parent process hands runs to the executor a few at a time, saves each
result as soon as it arrives and forgets it, so memory stays flat however many
runs an experiment has. A run that raises is recorded with its error and the
rest go on; Ctrl-C (or SIGTERM from a cluster scheduler) cancels what has not
started and keeps everything already saved.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError, each_run_warns, renamed
from ..run import run_scenario
from ..seeds import run_seed
from .spec import ResolvedExperiment
from .store import Store


@dataclass(frozen=True)
class Task:
    """Everything a worker needs for one run (plain data, cheap to send)."""

    point_id: int
    replication: int
    seed: int
    label: str
    scenario: dict[str, Any]
    params: dict[str, Any]
    weeks: int | None
    scale: float | None
    outcomes: tuple[str, ...]
    series: bool

    def identity(self) -> dict[str, Any]:
        return {"point_id": self.point_id, "replication": self.replication, "seed": self.seed,
                "label": self.label, **self.params}


def run_task(task: Task) -> dict[str, Any]:
    """Run one task in a worker; an exception in the model becomes a failure record.

    Model warnings are kept with the run. Python's warning filters are
    process-wide, so workers should run one thread each (as the local Dask
    cluster and the documented SLURM set-up do) for every warning to land on
    the right run.
    """
    with warnings.catch_warnings(record=True) as caught, each_run_warns():
        warnings.simplefilter("always")
        try:
            result = run_scenario(task.scenario, seed=task.seed, weeks=task.weeks,
                                  overrides=task.params, scale=task.scale)
        except Exception as exc:
            return {"ok": False, **task.identity(), "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc()}
    notes = sorted({str(w.message) for w in caught})
    record = {**task.identity(), **{k: result.summary[k] for k in task.outcomes},
              "seconds": result.seconds, "warnings": "\n".join(notes)}
    series = None
    if task.series:
        ids = {"point_id": task.point_id, "replication": task.replication, "seed": task.seed}
        series = result.timeseries.assign(**ids)[[*ids, *result.timeseries.columns]]
    return {"ok": True, "record": record, "series": series}


def tasks(exp: ResolvedExperiment) -> Iterator[Task]:
    """All runs, replication by replication, so partial results cover every point."""
    spec = exp.spec
    dumps = {name: s.model_dump(mode="json") for name, s in exp.scenarios.items()}
    for rep in range(spec.replications):
        for p in exp.points:
            shared = None if spec.common_random_numbers else p.id
            seed = run_seed(spec.seed, rep, shared)
            params = p.params if exp.posterior is None else {**exp.posterior.draw(spec.seed, rep, shared), **p.params}
            yield Task(p.id, rep, seed, p.label, dumps[p.scenario], params, spec.weeks, spec.scale,
                       tuple(exp.outcomes), spec.save_series)


class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (one worker, easy to debug)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported the model once, where the platform has one.

    Importing Mesa 3.3 sets the slow 'spawn' start method for the whole process (1-3 s per
    worker); forking this process directly is fast but unsafe once it runs threads. Workers
    forked from a single-threaded server that preloaded the model start in milliseconds.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.model", "sim.run", "sim.experiments.runner"])
    return ctx


def unguarded_script() -> str | None:
    """The script this process runs, if the call being made sits in its top level outside an
    ``if __name__ == "__main__":`` block, else ``None``.

    Worker processes started by 'spawn' or 'forkserver' (this runner's, a local Dask cluster's)
    import the main script again from the top; unguarded, each worker would start the study
    again. Interactive sessions, ``python -c`` and ``python -m`` are not affected.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or getattr(main, "__spec__", None) is not None:
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>"
                                     and frame.f_globals.get("__name__") == "__main__"):
        frame = frame.f_back
    if frame is None:
        return None
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    line = frame.f_lineno
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.lineno <= line <= node.end_lineno:
            return None
    return path


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"``, either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = {ast.dump(test.left), ast.dump(test.comparators[0])}
    return sides == {ast.dump(ast.Name("__name__", ast.Load())), ast.dump(ast.Constant("__main__"))}


def check_main_guard(what: str) -> None:
    """Refuse at once, in one line, to start workers that would run an unguarded script again."""
    script = unguarded_script()
    if script:
        raise UserError(f"{what} starts worker processes, which import {Path(script).name} again from the top; "
                        f"put the script's code under 'if __name__ == \"__main__\":' (or run with one worker)",
                        source=script)


def check_executor(kind: str, workers: int | None, scheduler: str | None) -> None:
    """Executor options, and that Dask is installed when asked for, before any work."""
    if workers is not None and workers < 1:
        raise UserError(f"must be at least 1, got {workers}", field="--workers")
    if kind not in ("process", "dask"):
        raise UserError(f"unknown executor '{kind}'; allowed: process, dask", field="--executor")
    if scheduler and kind != "dask":
        raise UserError("--scheduler needs --executor dask", field="--scheduler")
    if kind == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise UserError("the Dask executor needs the optional dask extra: "
                            "pip install 'cogov-sim[dask]'", field="--executor") from None


@contextmanager
def open_executor(kind: str = "process", workers: int | None = None,
                  scheduler: str | None = None) -> Iterator[tuple[Executor, int]]:
    """An executor and how many runs it works on at once.

    ``process``: a local process pool (one worker runs in this process).
    ``dask``: a Dask ``distributed`` client at ``scheduler``, or a local
    cluster of ``workers`` processes when no address is given.
    """
    check_executor(kind, workers, scheduler)
    if kind == "process":
        n = workers or os.cpu_count() or 1
        if n == 1:
            yield SerialExecutor(), 1
            return
        check_main_guard(f"a pool of {n} workers")
        pool = ProcessPoolExecutor(n, mp_context=worker_context(), initializer=_ignore_sigint)
        try:
            yield pool, n
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise UserError(f"cannot reach the Dask scheduler ({exc})", source=scheduler,
                                field="--scheduler") from None
        else:
            check_main_guard("a local Dask cluster")
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   dashboard_address=None)
            client = Client(cluster)
        try:
            yield client.get_executor(pure=False), max(sum(client.nthreads().values()), 1)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def stop_now(executor: Executor, pending) -> None:
    """Cancel queued runs and stop the runs in progress (they are not saved)."""
    processes = getattr(executor, "_processes", None) or {}
    for future in pending:
        future.cancel()
    executor.shutdown(wait=False)
    for proc in list(processes.values()):
        proc.terminate()


@dataclass
class Outcome:
    """How a sweep went."""

    total: int
    saved_before: int
    completed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    broken: str = ""
    seconds: float = 0.0
    report: Path | None = None

    @property
    def saved(self) -> int:
        return self.saved_before + self.completed

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        if self.broken:
            return "broken"
        return "failed runs" if self.failures else "complete"


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A batch scheduler's SIGTERM stops a sweep as cleanly as Ctrl-C."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


PYTHON_NAMES = {"--out": "out", "--resume": "resume=True", "--workers": "workers", "--executor": "executor",
                "--scheduler": "scheduler"}
"""The arguments of :func:`run_experiment` that the command-line options stand for."""


class WorkersDied(RuntimeError):
    """The process pool broke (a worker was killed or crashed); the saved runs stay and ``resume=True``
    continues them."""


def run_experiment(exp: ResolvedExperiment, out: str | Path, *, executor: Executor | None = None,
                   workers: int | None = None, resume: bool = False, progress: bool = True,
                   command: str = "", report: bool = True) -> Outcome:
    """Run every missing run of ``exp`` into the results folder ``out``, then write its tables,
    figures and ``report.md`` (:func:`~sim.experiments.report.build_report`; ``report=False`` skips them).

    Pass any ``concurrent.futures.Executor`` as ``executor``; by default a
    process pool of ``workers`` (all cores) runs them, which needs the calling
    script's code under ``if __name__ == "__main__":``. Bad input raises
    :class:`~sim.errors.UserError` before anything is written; a pool whose
    worker died raises :class:`WorkersDied`. Runs that raised are recorded
    (``Outcome.failures``, ``failures/``) and the others go on.
    """
    try:
        Store.check(out, exp, resume=resume)
        if executor is None:
            check_executor("process", workers, None)
            if (workers or os.cpu_count() or 1) > 1:
                check_main_guard(f"run_experiment(workers={workers or os.cpu_count()})")
    except UserError as exc:
        raise renamed(exc, PYTHON_NAMES) from None
    if executor is None:
        with open_executor("process", workers) as (pool, n):
            store = Store.open(out, exp, resume=resume, command=command)
            outcome = execute(exp, store, pool, n, progress)
    else:
        store = Store.open(out, exp, resume=resume, command=command)
        outcome = execute(exp, store, executor, workers or os.cpu_count() or 1, progress)
    if report and outcome.saved:
        from .report import build_report

        outcome.report = build_report(out)
    if outcome.broken:
        raise WorkersDied(f"{outcome.broken}; {outcome.saved} of {outcome.total} runs saved in {out}; "
                          "run again with resume=True to continue")
    return outcome


def execute(exp: ResolvedExperiment, store: Store, executor: Executor, slots: int,
            progress: bool = True) -> Outcome:
    """The submit-save loop: at most a few runs per worker in flight at any time."""
    from tqdm import tqdm

    done = store.done()
    todo = (t for t in tasks(exp) if (t.point_id, t.replication) not in done)
    outcome = Outcome(total=exp.n_runs, saved_before=len(done))
    window = 2 * slots
    pending: dict[Future, Task] = {}
    start = time.perf_counter()
    store.update_manifest(status="running")
    bar = tqdm(total=outcome.total, initial=outcome.saved_before, unit="run", disable=not progress,
               dynamic_ncols=True, smoothing=0.1, desc=exp.spec.name)
    try:
        with _sigterm_as_interrupt():
            try:
                while True:
                    for task in todo:
                        pending[executor.submit(run_task, task)] = task
                        if len(pending) >= window:
                            break
                    if not pending:
                        break
                    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                    for future in finished:
                        _collect(future, pending.pop(future), store, outcome)
                        bar.update(1)
            except KeyboardInterrupt:
                outcome.interrupted = True
                stop_now(executor, pending)
            except BrokenProcessPool as exc:
                outcome.broken = f"a worker process died ({exc})"
                stop_now(executor, pending)
    finally:
        bar.close()
        outcome.seconds = time.perf_counter() - start
        store.update_manifest(status=outcome.status, saved=len(store.done()),
                              failed=len(outcome.failures), last_elapsed_seconds=round(outcome.seconds, 3))
    return outcome


def _collect(future: Future, task: Task, store: Store, outcome: Outcome) -> None:
    try:
        result = future.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:
        result = {"ok": False, **task.identity(), "error": f"{type(exc).__name__}: {exc}",
                  "traceback": ""}
    if result["ok"]:
        store.save_run(result["record"], result["series"])
        outcome.completed += 1
    else:
        store.save_failure(result)
        outcome.failures.append(result)

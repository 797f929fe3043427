"""A model calibration from its file to its summary: load, sample, check, report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import adapter
from .abc_smc import Outcome, check_folder, run_abc
from .outputs import write_outputs
from .spec import ResolvedCalibration, load_calibration, to_yaml

SPEC_COPY = "calibration.yaml"


def default_out(resolved: ResolvedCalibration) -> Path:
    return Path("results") / resolved.spec.name


def calibrate(source: str | Path | Mapping[str, Any] | ResolvedCalibration, out: str | Path | None = None, *,
              workers: int | None = None, executor: str = "process", scheduler: str | None = None,
              resume: bool = False, report: Callable[[str], None] | None = None) -> Outcome:
    """Calibrate the model as a calibration file says, into ``out`` (default ``results/<name>/``).

    ``executor`` is ``process`` (a local pool of ``workers``) or ``dask`` (a
    cluster at ``scheduler``, or a local one). With ``resume`` a folder holding
    the same calibration continues from its last completed generation.
    """
    resolved = source if isinstance(source, ResolvedCalibration) else load_calibration(source)
    problem = resolved.problem
    out = Path(out) if out is not None else default_out(resolved)
    check_folder(out, problem, resume)
    adapter.check_executor(executor, workers, scheduler)
    with adapter.open_executor(executor, workers, scheduler) as (pool, slots):
        try:
            outcome = run_abc(problem, out, executor=pool, slots=slots, resume=resume, report=report,
                              spec=resolved.spec.model_dump(mode="json"))
            (out / SPEC_COPY).write_text(to_yaml(resolved.spec), encoding="utf-8")
            if outcome.generations:
                write_outputs(problem, outcome, pool, slots, adapter.library_versions())
        except KeyboardInterrupt:
            adapter.stop_now(pool, [])
            raise
    return outcome

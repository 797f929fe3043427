"""The model as a plain function, for EMA Workbench, SALib and similar tools.

These tools call the model once per parameter set from Python, often in a
loop of hundreds, so errors name the Python argument (not a command-line
option) and a warning that every parameter set would repeat is given once per
process (:func:`~sim.errors.warn_once`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError, renamed, warn_once
from ..inputs import hint
from ..outputs import kpi_names
from ..params import ParamPath
from ..run import run_scenario
from ..schema import Scenario

Base = str | Path | dict | Scenario | None

SCENARIO_RENAMED = ("the base scenario is now given as base=... ('scenario' is EMA Workbench's own column "
                    "of every experiment); e.g. evaluate(base='pay_raise', ...), or an EMA parameter "
                    "named 'base'")


def evaluate(*, seed: int = 0, base: Base = None, weeks: int | None = None, **params: Any) -> dict[str, float]:
    """Run once and return the KPIs (NaN where undefined, e.g. turnover with no workers).

    Parameters are flat names joined by ``__`` (``workforce__salary_ratio=0.8``)
    because workbench tools pass keyword arguments; ``base`` is the scenario to
    start from (default: the schema defaults) and ``weeks`` the horizon (the
    warm-up is cut to fit it; set ``simulation__warmup_weeks`` to measure more).
    """
    if "scenario" in params:
        raise UserError(SCENARIO_RENAMED, source="evaluate", field="scenario")
    return _run(base, seed, weeks, params, "evaluate")


def _run(base: Base, seed: int, weeks: int | None, params: Mapping[str, Any], caller: str) -> dict[str, float]:
    """One run, its errors in Python's names, its warnings said once per process."""
    try:
        for name in params:
            ParamPath.parse(name, caller)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_scenario(base, seed=seed, weeks=weeks, overrides=dict(params))
    except UserError as exc:
        raise renamed(exc, {"--set": caller, "--weeks": "weeks", "--seed": "seed"}) from None
    for w in caught:
        warn_once(str(w.message), w.category,
                  key=(w.category, w.filename, w.lineno, getattr(w.message, "kind", "")))
    return dict(result.summary)


def evaluate_samples(x: np.ndarray, names: Sequence[str], outcomes: Sequence[str], *, seed: int = 0,
                     base: Base = None, weeks: int | None = None, fixed: Mapping[str, Any] | None = None,
                     **unknown: Any) -> np.ndarray:
    """One row of outcomes per sample row, the shape ``SALib.ProblemSpec.evaluate`` expects.

    ``names`` are the sampled parameters (dotted or ``__``-joined); integer
    parameters are rounded, since samplers draw reals. ``fixed`` holds
    parameters set in every run (e.g. ``{"population.residents": 50000}``).
    """
    if "scenario" in unknown:
        raise UserError(SCENARIO_RENAMED, source="evaluate_samples", field="scenario")
    if unknown:
        raise TypeError(f"evaluate_samples() got an unexpected keyword argument '{next(iter(unknown))}'")
    known = kpi_names()
    for name in outcomes:
        if name not in known:
            raise UserError(f"unknown outcome '{name}'{hint(name, known)}", source="evaluate_samples",
                            field="outcomes")
    paths = [ParamPath.parse(n, "evaluate_samples") for n in names]
    constant = {ParamPath.parse(k, "evaluate_samples").dotted: v for k, v in (fixed or {}).items()}
    both = [p.dotted for p in paths if p.dotted in constant]
    if both:
        raise UserError(f"'{both[0]}' is both sampled (names) and fixed", source="evaluate_samples",
                        field="fixed")
    x = np.atleast_2d(x)
    out = np.empty((len(x), len(outcomes)))
    for i, row in enumerate(x):
        sample = {p.dotted: int(round(float(v))) if p.kind is int else float(v)
                  for p, v in zip(paths, row, strict=True)}
        kpis = _run(base, seed, weeks, {**constant, **sample}, "evaluate_samples")
        out[i] = [kpis[o] for o in outcomes]
    return out[:, 0] if len(outcomes) == 1 else out

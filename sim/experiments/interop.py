"""The model as a plain function, for EMA Workbench, SALib and similar tools."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..params import ParamPath
from ..run import run_scenario
from ..schema import Scenario


def evaluate(*, seed: int = 0, scenario: str | Path | dict | Scenario | None = None,
             weeks: int | None = None, **params: Any) -> dict[str, float]:
    """Run once and return the KPIs.

    Parameters are flat names joined by ``__`` (``workforce__salary_ratio=0.8``)
    because workbench tools pass keyword arguments; ``scenario`` is the base
    (default: the schema defaults) and ``weeks`` shortens the horizon.
    """
    return dict(run_scenario(scenario, seed=seed, weeks=weeks, overrides=params).summary)


def evaluate_samples(x: np.ndarray, names: Sequence[str], outcomes: Sequence[str], *, seed: int = 0,
                     scenario: str | Path | dict | Scenario | None = None,
                     weeks: int | None = None) -> np.ndarray:
    """One row of outcomes per sample row, the shape ``SALib.ProblemSpec.evaluate`` expects."""
    x = np.atleast_2d(x)
    out = np.empty((len(x), len(outcomes)))
    for i, row in enumerate(x):
        kpis = evaluate(seed=seed, scenario=scenario, weeks=weeks,
                        **{ParamPath.parse(n).flat: float(v) for n, v in zip(names, row, strict=True)})
        out[i] = [kpis[o] for o in outcomes]
    return out[:, 0] if len(outcomes) == 1 else out

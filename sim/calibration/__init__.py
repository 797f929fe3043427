"""Bayesian calibration of the model to target KPIs by ABC-SMC (pyabc).

Python use::

    from sim.calibration import calibrate, posterior_draws
    outcome = calibrate("calibration.yaml", "results/street", workers=4)
    draws = posterior_draws("results/street/posterior.parquet", k=20, seed=1)

A calibration file resolves to a :class:`Problem` (priors, targets, a
simulator, a schedule); :func:`run_abc` runs any such problem on any
``concurrent.futures.Executor``, reproducibly and resumably. Names are
imported on first use, so the command line starts without loading pyabc.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Outcome": "abc_smc", "run_abc": "abc_smc",
    "posterior_draws": "posterior", "read_posterior": "posterior", "summarize": "posterior",
    "LogNormalPrior": "problem", "NormalPrior": "problem", "Problem": "problem", "Schedule": "problem",
    "Target": "problem", "UniformPrior": "problem",
    "CalibrationSpec": "spec", "load_calibration": "spec",
    "write_outputs": "outputs",
    "calibrate": "workflow",
    "register": "commands",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim.calibration' has no attribute '{name}'")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)

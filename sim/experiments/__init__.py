"""Experiments: scenario comparisons, parameter sweeps and sensitivity analysis.

Python use::

    from sim.experiments import load_experiment, run_experiment, load_results
    exp = load_experiment("experiments/staffing_returns.yaml", replications=5)
    run_experiment(exp, "results/staffing_returns", workers=4)
    runs = load_results("results/staffing_returns")

Names are imported on first use, so the command line starts without loading
plotting or statistics libraries it may not need.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "evaluate": "interop", "evaluate_samples": "interop",
    "build_report": "report",
    "open_executor": "runner", "run_experiment": "runner",
    "run_seed": "..seeds",
    "Experiment": "spec", "load_experiment": "spec",
    "differences": "..stats", "mean_ci": "..stats", "summarize": "..stats",
    "load_failures": "store", "load_results": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim.experiments' has no attribute '{name}'")
    module = _EXPORTS[name]
    return getattr(importlib.import_module(module if module.startswith("..") else f".{module}", __name__), name)

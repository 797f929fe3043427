"""Experiments: scenario comparisons, parameter sweeps and sensitivity analysis.

Python use::

    from sim.experiments import load_experiment, run_experiment, load_results
    exp = load_experiment("experiments/staffing_returns.yaml", replications=5)
    run_experiment(exp, "results/staffing_returns", workers=4)
    runs = load_results("results/staffing_returns")
"""

from __future__ import annotations

from .interop import evaluate, evaluate_samples
from .report import build_report
from .runner import open_executor, run_experiment
from .seeds import run_seed
from .spec import Experiment, load_experiment
from .stats import differences, mean_ci, summarize
from .store import load_failures, load_results

__all__ = ["Experiment", "build_report", "differences", "evaluate", "evaluate_samples",
           "load_experiment", "load_failures", "load_results", "mean_ci", "open_executor",
           "run_experiment", "run_seed", "summarize"]

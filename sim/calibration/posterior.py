"""A calibration's posterior: weighted summaries and parameter sets drawn from it.

The file itself (``posterior.parquet``: one row per particle of every generation,
the calibrated parameters as dotted schema paths, ``weight`` and ``generation``)
is read by :func:`sim.experiments.posterior.read_posterior`, which every study that
takes a posterior uses; it is re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from ..experiments.posterior import parameter_columns, read_posterior

__all__ = ["parameter_columns", "posterior_draws", "read_posterior", "summarize", "weighted_quantile"]


def posterior_draws(path: str | Path, k: int, seed: int,
                    generation: int | None = None) -> list[dict[str, float]]:
    """``k`` parameter sets resampled by weight from a posterior file, the same for the same seed.

    Each replication of a later experiment can take one, so its spread carries
    the posterior's uncertainty.
    """
    if k < 1:
        raise UserError(f"must be at least 1, got {k}", field="k")
    frame = read_posterior(path, generation)
    names = parameter_columns(frame)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(frame), size=k, replace=True, p=frame["weight"].to_numpy(dtype=float))
    values = frame[names].to_numpy(dtype=float)
    return [{name: float(values[i, j]) for j, name in enumerate(names)} for i in rows]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Quantile of a weighted sample, interpolated between the weight midpoints of sorted values."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    w = w / w.sum()
    midpoints = np.cumsum(w) - w / 2
    return float(np.interp(q, midpoints, v))


def summarize(frame: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Posterior mean, sd and central credible interval of each parameter."""
    w = frame["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    tail = (1 - level) / 2
    rows = []
    for name in parameter_columns(frame):
        x = frame[name].to_numpy(dtype=float)
        mean = float(np.sum(w * x))
        rows.append({"parameter": name, "mean": mean, "sd": float(np.sqrt(np.sum(w * (x - mean) ** 2))),
                     "ci_low": weighted_quantile(x, w, tail), "ci_high": weighted_quantile(x, w, 1 - tail)})
    return pd.DataFrame(rows)

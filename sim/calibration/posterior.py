"""Reading a posterior: weighted summaries and parameter sets drawn from it.

``posterior.parquet`` has one row per particle of every generation: the
calibrated parameters (dotted schema paths), ``weight`` (summing to 1 within
a generation) and ``generation``. The posterior is the last generation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError

META_COLUMNS = ("weight", "generation")


def read_posterior(path: str | Path, generation: int | None = None) -> pd.DataFrame:
    """One generation's particles (the last by default), weights normalised to 1."""
    path = Path(path)
    if path.is_dir():
        path = path / "posterior.parquet"
    try:
        frame = pd.read_parquet(path)
    except FileNotFoundError:
        raise UserError("posterior file not found", source=str(path)) from None
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the posterior ({exc})", source=str(path)) from None
    missing = [c for c in META_COLUMNS if c not in frame.columns]
    if missing or len(frame.columns) <= len(META_COLUMNS):
        raise UserError("is not a posterior: needs parameter columns, 'weight' and 'generation'",
                        source=str(path))
    last = int(frame["generation"].max())
    chosen = last if generation is None else generation
    part = frame[frame["generation"] == chosen].reset_index(drop=True)
    if part.empty:
        raise UserError(f"has no generation {chosen}; generations run from 0 to {last}", source=str(path))
    part["weight"] = part["weight"] / part["weight"].sum()
    return part


def parameter_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in META_COLUMNS]


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

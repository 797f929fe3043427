"""Intervals over replications: means, paired differences, pooled ratios.

The project's one statistics module (experiments, validation, the seed cases
and calibration diagnostics use it).

Replications of a stochastic model are independent draws, so a KPI's mean over
n replications has a t interval with n - 1 degrees of freedom. Under common
random numbers replication r of every scenario shares one seed, so differences
are taken pair by pair (a paired t interval), which is usually much narrower
than the difference of two independent means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LEVEL = 0.95


def t_critical(n: int, level: float = LEVEL) -> float:
    """Two-sided Student-t critical value for a mean over ``n`` replications (NaN below two)."""
    if n < 2:
        return float("nan")
    from scipy import stats  # here, not at import: a model run needs no scipy.stats

    return float(stats.t.ppf(0.5 + level / 2, n - 1))


def mean_ci(values: Sequence[float] | np.ndarray, level: float = LEVEL,
            bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """Mean and the two ends of its t interval (NaN ends with fewer than two values), the ends clipped
    to ``bounds`` where the quantity has them (a share's interval stays in [0, 1])."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if n < 2:
        return m, np.nan, np.nan
    half = float(t_critical(n, level) * x.std(ddof=1) / np.sqrt(n))
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return m, lo, hi


def bootstrap_ratio(num: Sequence[float] | np.ndarray, den: Sequence[float] | np.ndarray,
                    rng: np.random.Generator, n: int = 2000,
                    level: float = LEVEL) -> tuple[float, float, float]:
    """Ratio of pooled sums (e.g. quits / worker-years over replications) with a percentile
    bootstrap over replications."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    est = float(num.sum() / den.sum()) if den.sum() > 0 else np.nan
    idx = rng.integers(0, len(num), size=(n, len(num)))
    d = den[idx].sum(axis=1)
    boots = np.divide(num[idx].sum(axis=1), d, out=np.full(n, np.nan), where=d > 0)
    lo, hi = np.nanpercentile(boots, [50 * (1 - level), 50 * (1 + level)])
    return est, float(lo), float(hi)


def summarize(runs: pd.DataFrame, outcomes: Sequence[str], by: Sequence[str] = ("point_id",),
              level: float = LEVEL) -> pd.DataFrame:
    """One row per group and outcome: n, mean, sd, ci_low, ci_high."""
    rows = []
    for key, group in runs.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for name in outcomes:
            x = group[name].to_numpy(dtype=float)
            m, lo, hi = mean_ci(x, level)
            finite = x[np.isfinite(x)]
            rows.append({**dict(zip(by, key, strict=True)), "outcome": name, "n": len(finite),
                         "mean": m, "sd": float(finite.std(ddof=1)) if len(finite) > 1 else np.nan,
                         "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def difference_ci(a: np.ndarray, b: np.ndarray, paired: bool,
                  level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of a - b with its interval: paired t, or Welch's t for independent samples."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if paired:
        return mean_ci(a - b, level)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    d = float(a.mean() - b.mean()) if len(a) and len(b) else np.nan
    if len(a) < 2 or len(b) < 2:
        return d, np.nan, np.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, dof) * se)
    return d, d - half, d + half


def differences(runs: pd.DataFrame, outcomes: Sequence[str], reference: int = 0,
                level: float = LEVEL) -> pd.DataFrame:
    """Each point minus the reference point, per outcome.

    Runs are paired on their seed where both points have it (common random
    numbers); with no shared seeds the interval is Welch's.
    """
    ref = runs[runs["point_id"] == reference].set_index("seed")
    rows = []
    for point, group in runs.groupby("point_id", sort=True):
        if point == reference:
            continue
        g = group.set_index("seed")
        common = g.index.intersection(ref.index)
        paired = len(common) >= 2
        for name in outcomes:
            if paired:
                d, lo, hi = difference_ci(g.loc[common, name].to_numpy(), ref.loc[common, name].to_numpy(),
                                          True, level)
                n = len(common)
            else:
                d, lo, hi = difference_ci(g[name].to_numpy(), ref[name].to_numpy(), False, level)
                n = min(len(g), len(ref))
            rows.append({"point_id": point, "outcome": name, "n": n,
                         "method": "paired" if paired else "welch", "difference": d,
                         "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def km_median(durations: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median of a duration with right-censoring (``events`` 1 where the end was observed,
    0 where it was censored): the first duration at which the survival estimate falls to one half, NaN
    when it never does."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if not len(d):
        return float("nan")
    times = np.unique(d)
    order = np.argsort(d, kind="stable")
    d, e = d[order], e[order]
    at_risk = len(d) - np.searchsorted(d, times, side="left")
    ended = np.bincount(np.searchsorted(times, d[e]), minlength=len(times))
    survival = np.cumprod(1.0 - ended / at_risk)
    below = np.flatnonzero(survival <= 0.5)
    return float(times[below[0]]) if len(below) else float("nan")

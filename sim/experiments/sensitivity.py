"""Morris and Sobol indices from a finished sensitivity experiment (SALib).

Each design point's outcome is its mean over replications, so the indices
describe the parameters' effect on the expected KPI rather than on one noisy
run. Morris gives mu* (mean absolute elementary effect, with a bootstrap
interval) and sigma (spread: interactions or non-linearity); Sobol gives the
first-order (S1) and total (ST) shares of variance with their intervals.
Intervals stay in the indices' range: mu* is at least 0, S1 and ST lie in
[0, 1] (a symmetric interval around a noisy estimate would leave it).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import UserError
from ..seeds import design_seed
from ..stats import LEVEL
from .design import MorrisDesign, SobolDesign, problem
from .spec import Experiment

RESAMPLES = 1000


def point_means(runs: pd.DataFrame, design: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Mean outcome of every design point, in design order; every point must have a run."""
    means = runs.groupby("point_id")[outcomes].mean()
    missing = design.loc[~design["point_id"].isin(means.index), "point_id"]
    if len(missing):
        raise UserError(f"{len(missing)} of {len(design)} design points have no finished run "
                        f"(first: point {int(missing.iloc[0])}); Morris and Sobol indices need "
                        "every point; resume the sweep to finish them")
    return means.loc[design["point_id"]]


def indices(spec: Experiment, design: pd.DataFrame, runs: pd.DataFrame,
            outcomes: list[str]) -> pd.DataFrame:
    """One row per outcome and parameter with the method's indices and intervals."""
    d = spec.design
    if not isinstance(d, MorrisDesign | SobolDesign):
        raise UserError(f"sensitivity indices need a morris or sobol design, not {d.kind}",
                        field="design.kind")
    prob = problem(d)
    names = prob["names"]
    means = point_means(runs, design, outcomes)
    seed = design_seed(spec.seed)
    rows = []
    for name in outcomes:
        y = means[name].to_numpy(dtype=float)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if isinstance(d, MorrisDesign):
                from SALib.analyze import morris

                x = design[[f"sample:{n}" for n in names]].to_numpy(dtype=float)
                r = morris.analyze(prob, x, y, conf_level=LEVEL, num_resamples=RESAMPLES,
                                   num_levels=d.levels, seed=seed)
                for i, p in enumerate(names):
                    rows.append({"outcome": name, "parameter": p, "mu_star": r["mu_star"][i],
                                 "mu_star_ci_low": max(r["mu_star"][i] - r["mu_star_conf"][i], 0.0),
                                 "mu_star_ci_high": r["mu_star"][i] + r["mu_star_conf"][i],
                                 "mu": r["mu"][i], "sigma": r["sigma"][i]})
            else:
                from SALib.analyze import sobol

                r = sobol.analyze(prob, y, calc_second_order=d.second_order, conf_level=LEVEL,
                                  num_resamples=RESAMPLES, seed=seed)
                for i, p in enumerate(names):
                    row = {"outcome": name, "parameter": p}
                    for key in ("S1", "ST"):
                        est, half = r[key][i], r[f"{key}_conf"][i]
                        row |= {key: est, f"{key}_ci_low": min(max(est - half, 0.0), 1.0),
                                f"{key}_ci_high": min(max(est + half, 0.0), 1.0)}
                    rows.append(row)
    table = pd.DataFrame(rows)
    numbers = [c for c in table if c not in ("outcome", "parameter")]
    table[numbers] = table[numbers].map(_number)
    return table


def _number(value) -> float:
    """A plain float: SALib masks indices it cannot compute (e.g. a KPI undefined at every point)."""
    try:
        return float(np.ma.filled(value, np.nan))
    except (TypeError, ValueError):
        return float("nan")

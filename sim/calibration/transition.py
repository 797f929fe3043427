"""The proposal of each ABC-SMC generation: a kernel around the last particles, mixed with the prior.

ABC-SMC weighs a proposed particle by prior density over proposal density.
With pyabc's multivariate normal kernel alone, a particle proposed where the
last population was thin (a corner of the prior box, the end of a ridge) gets
a weight many times the others'; in a few dimensions and with a hundred
particles, a few such particles can carry most of the posterior (the street
calibration's effective sample size fell to 4 of 60 that way). Mixing the
prior into the proposal with share ``a`` (defensive importance sampling,
Hesterberg 1995, Technometrics 37:185-194) bounds every weight at ``1 / a``
times the prior's, at the cost of spending a share ``a`` of the proposals
where the prior puts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
from pyabc import Parameter
from pyabc.transition import MultivariateNormalTransition, Transition


class PriorMixtureTransition(Transition):
    """``a * prior + (1 - a) * MultivariateNormalTransition`` fitted to the last population."""

    def __init__(self, prior: pyabc.Distribution, prior_share: float):
        if not 0.0 <= prior_share < 1.0:
            raise ValueError(f"prior_share must be in [0, 1), got {prior_share}")
        self.prior = prior
        self.prior_share = float(prior_share)
        self.kernel = MultivariateNormalTransition()

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        self.kernel.fit(X, w)

    def rvs_single(self) -> Parameter:
        # Both branches draw from NumPy's global generator, which the sampler seeds per particle.
        if self.prior_share > 0 and np.random.uniform() < self.prior_share:
            draw = self.prior.rvs()
            return Parameter({key: float(draw[key]) for key in self.X.columns})
        return self.kernel.rvs_single()

    def _prior_pdf(self, x: Parameter | pd.Series | pd.DataFrame) -> float | np.ndarray:
        if isinstance(x, pd.DataFrame):
            return np.array([self.prior.pdf({k: float(row[k]) for k in self.X.columns})
                             for _, row in x.iterrows()])
        return float(self.prior.pdf({k: float(x[k]) for k in self.X.columns}))

    def pdf(self, x: Parameter | pd.Series | pd.DataFrame) -> float | np.ndarray:
        kernel = self.kernel.pdf(x)
        if self.prior_share == 0:
            return kernel
        return self.prior_share * self._prior_pdf(x) + (1.0 - self.prior_share) * kernel

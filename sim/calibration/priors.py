"""Priors as pyabc random variables.

Every draw goes through NumPy's global generator, which the sampler seeds from
each particle's key just before the proposal; scipy's frozen distributions and
pyabc's ``RV`` use that generator when they are given no random state.
"""

from __future__ import annotations

import math

import numpy as np
import pyabc
from pyabc.random_variables import RVBase
from scipy import stats

from .problem import LogNormalPrior, NormalPrior, UniformPrior

AnyPrior = UniformPrior | NormalPrior | LogNormalPrior


def support(prior: AnyPrior) -> tuple[float, float]:
    """The interval a prior can draw from (its truncation bounds)."""
    if isinstance(prior, LogNormalPrior):
        low = 0.0 if prior.low is None else max(prior.low, 0.0)
        return low, math.inf if prior.high is None else prior.high
    low = -math.inf if prior.low is None else prior.low
    return low, math.inf if prior.high is None else prior.high


def _standard_bounds(prior: NormalPrior | LogNormalPrior) -> tuple[float, float]:
    """Truncation bounds in standard-normal units (of log(x) for a log-normal prior)."""
    low, high = support(prior)
    if isinstance(prior, NormalPrior):
        return (low - prior.mean) / prior.sd, (high - prior.mean) / prior.sd
    mu = math.log(prior.median)
    a = (math.log(low) - mu) / prior.sigma if low > 0 else -math.inf
    b = (math.log(high) - mu) / prior.sigma if math.isfinite(high) else math.inf
    return a, b


def mass_inside(prior: AnyPrior) -> float:
    """Share of the untruncated prior inside its bounds (a tiny share means a mistyped prior)."""
    if isinstance(prior, UniformPrior):
        return 1.0
    a, b = _standard_bounds(prior)
    return float(stats.norm.cdf(b) - stats.norm.cdf(a))


class TruncatedLogNormal(RVBase):
    """A log-normal random variable cut to [low, high]; pyabc ships no such one."""

    def __init__(self, median: float, sigma: float, a: float, b: float):
        self.median, self.sigma, self.a, self.b = median, sigma, a, b
        self.mu = math.log(median)

    def copy(self) -> TruncatedLogNormal:
        return TruncatedLogNormal(self.median, self.sigma, self.a, self.b)

    def rvs(self, *args, **kwargs) -> float:
        return float(np.exp(stats.truncnorm.rvs(self.a, self.b, loc=self.mu, scale=self.sigma)))

    def pdf(self, x: float, *args, **kwargs) -> float:
        if x <= 0:
            return 0.0
        return float(stats.truncnorm.pdf(math.log(x), self.a, self.b, loc=self.mu, scale=self.sigma) / x)

    def pmf(self, x: float, *args, **kwargs) -> float:
        """A continuous variable has no point masses."""
        return 0.0

    def cdf(self, x: float, *args, **kwargs) -> float:
        if x <= 0:
            return 0.0
        return float(stats.truncnorm.cdf(math.log(x), self.a, self.b, loc=self.mu, scale=self.sigma))


def to_rv(prior: AnyPrior) -> RVBase:
    if isinstance(prior, UniformPrior):
        return pyabc.RV("uniform", prior.low, prior.high - prior.low)
    a, b = _standard_bounds(prior)
    if isinstance(prior, NormalPrior):
        return pyabc.RV("truncnorm", a, b, loc=prior.mean, scale=prior.sd)
    return TruncatedLogNormal(prior.median, prior.sigma, a, b)


def distribution(priors: dict[str, AnyPrior]) -> pyabc.Distribution:
    """The joint prior of independent parameters, in the spec's order."""
    return pyabc.Distribution(**{name: to_rv(p) for name, p in priors.items()})


def describe(prior: AnyPrior) -> str:
    """A prior in one short phrase, e.g. 'normal(0.04, 0.02) on [0, 0.2]'."""
    low, high = support(prior)
    if isinstance(prior, UniformPrior):
        return f"uniform({prior.low:g}, {prior.high:g})"
    head = (f"normal({prior.mean:g}, {prior.sd:g})" if isinstance(prior, NormalPrior)
            else f"lognormal(median {prior.median:g}, sigma {prior.sigma:g})")
    return f"{head} on [{low:g}, {high:g}]"

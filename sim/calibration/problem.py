"""What one calibration is: priors, targets, a simulator and a schedule.

A :class:`Problem` is everything ABC-SMC needs and nothing about where it came
from: a calibration file resolves to one (see :mod:`.spec`), and so can a toy
model with a known posterior.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class UniformPrior(Section):
    """Every value in [low, high] equally likely."""

    prior: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> UniformPrior:
        if not self.low < self.high:
            raise ValueError(f"a uniform prior needs low < high, got low {self.low:g}, high {self.high:g}")
        return self


class NormalPrior(Section):
    """A normal belief, cut to [low, high] (by default the schema's bounds)."""

    prior: Literal["normal"] = "normal"
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None


class LogNormalPrior(Section):
    """A belief on the log scale, for positive rates and ratios: log(x) ~ normal(log(median), sigma)."""

    prior: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    sigma: float = Field(gt=0, description="Standard deviation of log(x).")
    low: float | None = None
    high: float | None = None


Prior = Annotated[UniformPrior | NormalPrior | LogNormalPrior, Field(discriminator="prior")]
PRIOR_KINDS = ("uniform", "normal", "lognormal")


class Target(Section):
    """A value the model should reproduce: one number, or a range [low, high], and its evidence."""

    value: float | None = None
    range: tuple[float, float] | None = None
    source: str = Field(min_length=1, description="Where the figure comes from.")

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if (self.value is None) == (self.range is None):
            raise ValueError("give either 'value' or 'range: [low, high]'")
        if self.range is not None and not self.range[0] <= self.range[1]:
            raise ValueError(f"range must be [low, high] with low <= high, got {list(self.range)}")
        return self

    @property
    def low(self) -> float:
        return self.value if self.range is None else self.range[0]

    @property
    def high(self) -> float:
        return self.value if self.range is None else self.range[1]

    @property
    def centre(self) -> float:
        return (self.low + self.high) / 2

    def describe(self) -> str:
        return f"{self.value:g}" if self.range is None else f"{self.low:g} to {self.high:g}"


STOPPING_RULE = ("generations", "final_epsilon", "min_acceptance_rate")
"""Settings a resumed calibration may change: they say when to stop, not what is sampled."""


class Schedule(Section):
    """How ABC-SMC runs: population, stopping rule, replications and the master seed."""

    population: int = Field(100, ge=2, le=1_000_000, description="Accepted particles per generation.")
    generations: int | None = Field(None, ge=1, le=10_000, description="Stop after this many generations.")
    final_epsilon: float | None = Field(None, ge=0, description="Stop once epsilon is at most this.")
    min_acceptance_rate: float = Field(0.0, ge=0, lt=1,
                                       description="Stop when a generation would accept fewer than this.")
    epsilon_quantile: float = Field(0.5, gt=0, lt=1,
                                    description="Each epsilon is this weighted quantile of the last distances.")
    prior_share: float = Field(0.2, ge=0, lt=1,
                               description="Share of each generation's proposals drawn from the prior, which "
                                           "bounds every importance weight (sim.calibration.transition).")
    replications: int = Field(1, ge=1, le=10_000,
                              description="Model runs per particle; their KPI means are compared.")
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Master seed of every draw and model run.")
    predictive_draws: int = Field(50, ge=1, le=1_000_000,
                                  description="Posterior particles re-simulated for the predictive check.")

    @model_validator(mode="after")
    def _stops(self) -> Schedule:
        if self.generations is None and self.final_epsilon is None:
            raise ValueError("give 'generations', 'final_epsilon' or both, so the calibration knows when to stop")
        return self


Simulator = Callable[[Mapping[str, float], int], Mapping[str, float]]
"""(parameter values by name, model seed) -> KPIs by name."""


@dataclass(frozen=True)
class Problem:
    """A calibration ready to run.

    ``priors`` hold explicit bounds (a spec's missing ones filled from the
    schema); ``identity`` is what else fixes the simulations (for a model
    calibration, the resolved scenario), so a resumed run can tell whether it
    is still the same calibration.
    """

    name: str
    priors: dict[str, UniformPrior | NormalPrior | LogNormalPrior]
    targets: dict[str, Target]
    simulator: Simulator
    schedule: Schedule
    held_out: dict[str, Target] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        return list(self.priors)

    def fingerprint(self) -> str:
        """Hash of everything that fixes the particles (all but the stopping rule)."""
        blob = json.dumps({
            "priors": {k: p.model_dump(mode="json") for k, p in self.priors.items()},
            "targets": {k: t.model_dump(mode="json") for k, t in self.targets.items()},
            "held_out": {k: t.model_dump(mode="json") for k, t in self.held_out.items()},
            "schedule": self.schedule.model_dump(mode="json", exclude=set(STOPPING_RULE)),
            "identity": self.identity,
        }, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

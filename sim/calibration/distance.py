"""Distance to targets that may be ranges.

A statistic inside its target range is at distance 0; outside, it is as far as
its nearest end. A point target is a range of width 0, so this is pyabc's
adaptive Euclidean distance (each statistic scaled by its median absolute
deviation, refitted every generation) with the difference to the observation
replaced by the excess over the range.

Scales are fitted on the accepted particles of the last generation, which the
history stores, so a resumed calibration weighs statistics exactly as an
uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pyabc.distance import AdaptivePNormDistance


class RangeDistance(AdaptivePNormDistance):
    def __init__(self, ranges: Mapping[str, tuple[float, float]]):
        super().__init__(p=2, all_particles_for_scale=False)
        self.ranges = dict(ranges)
        self._low: np.ndarray | None = None
        self._high: np.ndarray | None = None

    def initialize(self, t, get_sample, x_0, total_sims) -> None:
        super().initialize(t=t, get_sample=get_sample, x_0=x_0, total_sims=total_sims)
        ids = self.sumstat.get_ids()
        self._low = np.array([self.ranges[k][0] for k in ids], dtype=float)
        self._high = np.array([self.ranges[k][1] for k in ids], dtype=float)

    def excess(self, x: Mapping[str, float]) -> np.ndarray:
        """How far each statistic lies outside its range (0 inside)."""
        s = self.sumstat(x).flatten()
        return np.maximum(0.0, np.maximum(self._low - s, s - self._high))

    def __call__(self, x, x_0, t=None, par=None) -> float:
        d = self.get_weights(t=t) * self.excess(x)
        return float(np.sqrt((d**2).sum()))

    def get_config(self) -> dict:
        return {**super().get_config(), "ranges": {k: list(v) for k, v in self.ranges.items()}}

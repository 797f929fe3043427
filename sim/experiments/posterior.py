"""Parameter uncertainty in experiments: each run takes one parameter set from a posterior.

A posterior is the ``posterior.parquet`` that ``cogov calibrate`` writes (or
its folder). With one, the intervals of a comparison or sweep cover two kinds
of uncertainty at once: the model's random noise (different seeds) and what
the calibration left unknown about the parameters (different draws).

The draw of a run is fixed by the master seed and the run's identity, like
its seed (:mod:`.seeds`): under common random numbers every design point of
replication ``r`` gets the same seed *and* the same parameter set, so paired
differences between points stay paired; without them each (point,
replication) draws its own. Adding replications or resuming never changes
an earlier run's draw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from ..params import ParamPath
from ..schema import Scenario

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


DRAW_STREAM = 2**32 - 2
"""Spawn-key tag of the draw streams, apart from the run seeds and the design seed."""


@dataclass(frozen=True)
class Posterior:
    """The last generation of a calibration's particles, ready to draw from."""

    path: str
    names: tuple[str, ...]
    values: np.ndarray
    """(particles, parameters)"""
    cumulative: np.ndarray
    """Cumulative normalised weights, for inverse-CDF draws."""
    digest: str
    """Hash of the particles and weights, so a changed file cannot be resumed into."""

    @classmethod
    def read(cls, source: str | Path) -> Posterior:
        frame = read_posterior(source)
        names = tuple(parameter_columns(frame))
        for name in names:
            ParamPath.parse(name, str(source))
        values = frame[list(names)].to_numpy(dtype=float)
        weights = frame["weight"].to_numpy(dtype=float)
        if not (np.isfinite(values).all() and np.isfinite(weights).all() and (weights >= 0).all()):
            raise UserError("has parameter values or weights that are not finite non-negative numbers",
                            source=str(source))
        digest = hashlib.sha256(np.ascontiguousarray(values).tobytes() + weights.tobytes()
                                + "\0".join(names).encode()).hexdigest()[:16]
        cumulative = np.cumsum(weights / weights.sum())
        cumulative[-1] = 1.0
        return cls(str(source), names, values, cumulative, digest)

    def __len__(self) -> int:
        return len(self.values)

    def draw(self, master: int, replication: int, point: int | None = None) -> dict[str, float]:
        """The parameter set of one run; ``point=None`` gives every design point the same one."""
        key = (DRAW_STREAM, replication) if point is None else (DRAW_STREAM, point, replication)
        u = np.random.default_rng(np.random.SeedSequence(master, spawn_key=key)).random()
        row = int(np.searchsorted(self.cumulative, u, side="right"))
        row = min(row, len(self.values) - 1)
        return {name: float(self.values[row, j]) for j, name in enumerate(self.names)}


def check_no_overlap(posterior: Posterior, fixed: set[str], varied: set[str], source: str) -> None:
    """A parameter comes from one place: the design, the fixed settings or the posterior."""
    for name in posterior.names:
        dotted = ParamPath.parse(name).dotted
        if dotted in varied:
            raise UserError(f"'{name}' is both varied by the design and drawn from the posterior "
                            f"{posterior.path}; vary another parameter or calibrate without it", source=source)
        if dotted in fixed:
            raise UserError(f"'{name}' is both fixed by 'set' and drawn from the posterior {posterior.path}; "
                            "drop one of them", source=source)


def check_scenarios_leave_drawn(posterior: Posterior, scenarios: Mapping[str, Scenario], source: str) -> None:
    """A scenario that sets a calibrated parameter itself would have its setting silently replaced."""
    default = Scenario()
    for name in posterior.names:
        path = ParamPath.parse(name)
        for label, scenario in scenarios.items():
            if path.get(scenario) != path.get(default):
                raise UserError(f"scenario '{label}' sets '{name}' ({path.get(scenario)}), which the posterior "
                                f"{posterior.path} draws; a run cannot have both", source=source)

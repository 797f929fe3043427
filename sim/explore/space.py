"""Policy levers, objectives and candidate identity: what the search proposes and how it is judged.

A candidate is a plain dictionary ``{lever name: value}`` of Python values (float, int, str, bool),
in the order the levers were declared; ``candidate_key`` turns it into a string that identifies it
exactly, so a results store or cache can recognise a candidate proposed again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Direction = Literal["maximise", "minimise"]


@dataclass(frozen=True)
class Lever:
    """One policy lever: a real or integer range, a choice among options, or a yes/no switch.

    ``floor`` is the value that costs least (by default the lower bound, the first option, or
    ``False``); the budget repair falls back towards it.
    """

    name: str
    kind: Literal["real", "integer", "choice", "bool"]
    lower: float | None = None
    upper: float | None = None
    options: tuple[object, ...] = ()
    floor: object = None

    def __post_init__(self) -> None:
        if self.kind in ("real", "integer") and not (self.lower is not None and self.upper is not None
                                                     and self.lower < self.upper):
            raise ValueError(f"lever {self.name!r}: needs a lower bound below its upper bound")
        if self.kind == "choice" and (len(self.options) < 2 or len(set(self.options)) != len(self.options)):
            raise ValueError(f"lever {self.name!r}: a choice needs at least two distinct options")
        if self.kind == "bool":
            object.__setattr__(self, "options", (False, True))
        default = self.lower if self.kind in ("real", "integer") else self.options[0]
        object.__setattr__(self, "floor", self.clean(default if self.floor is None else self.floor))

    @classmethod
    def real(cls, name: str, lower: float, upper: float, floor: float | None = None) -> Lever:
        return cls(name, "real", float(lower), float(upper), floor=floor)

    @classmethod
    def integer(cls, name: str, lower: int, upper: int, floor: int | None = None) -> Lever:
        return cls(name, "integer", int(lower), int(upper), floor=floor)

    @classmethod
    def choice(cls, name: str, options: Sequence[object], floor: object = None) -> Lever:
        return cls(name, "choice", options=tuple(options), floor=floor)

    @classmethod
    def boolean(cls, name: str, floor: bool = False) -> Lever:
        return cls(name, "bool", floor=floor)

    def clean(self, value: object) -> object:
        """The value as a plain Python value inside the lever's range (integers rounded)."""
        if self.kind == "real":
            return min(max(float(value), self.lower), self.upper)
        if self.kind == "integer":
            return min(max(round(float(value)), self.lower), self.upper)
        if self.kind == "bool":
            return bool(value)
        if value not in self.options:
            raise ValueError(f"lever {self.name!r}: {value!r} is not one of {self.options}")
        return self.options[self.options.index(value)]


@dataclass(frozen=True)
class Objective:
    """One outcome to optimise, with the fixed range used to put objectives on one scale.

    The bounds are the range the outcome is expected to take (not limits on it): convergence
    measures are computed on ``normalise``, so they can be compared across runs only if the bounds
    stay fixed.
    """

    name: str
    direction: Direction
    lower: float
    upper: float

    def __post_init__(self) -> None:
        if self.direction not in ("maximise", "minimise"):
            raise ValueError(f"objective {self.name!r}: direction must be 'maximise' or 'minimise'")
        if not self.lower < self.upper:
            raise ValueError(f"objective {self.name!r}: lower bound must be below upper bound")

    def normalise(self, values: np.ndarray) -> np.ndarray:
        """Values on a to-minimise scale where the bounds map to 0 (best) and 1 (worst)."""
        scaled = (np.asarray(values, dtype=float) - self.lower) / (self.upper - self.lower)
        return scaled if self.direction == "minimise" else 1.0 - scaled

    def to_minimise(self, values: np.ndarray) -> np.ndarray:
        """Values in their own units, negated if the objective is to maximise."""
        values = np.asarray(values, dtype=float)
        return values if self.direction == "minimise" else -values


def candidate_key(levers: Mapping[str, object]) -> str:
    """A string that identifies a candidate exactly: sorted JSON, floats written to round-trip."""
    return json.dumps(dict(levers), sort_keys=True, separators=(",", ":"), allow_nan=False)

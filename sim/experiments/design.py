"""Experiment designs: full factorial grids, scenario lists and sampled designs.

Sampled designs (Latin hypercube, Morris, Sobol) come from SALib with a seed
derived from the master seed, so the same file always gives the same points.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..params import ParamPath
from ..seeds import design_seed


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


Bounds = tuple[float, float]


def _check_bounds(parameters: dict[str, Bounds]) -> dict[str, Bounds]:
    for name, (low, high) in parameters.items():
        if not low < high:
            raise ValueError(f"range of '{name}' must be [low, high] with low < high, "
                             f"got [{low:g}, {high:g}]")
    return parameters


class GridDesign(Section):
    """Full factorial over listed values."""

    kind: Literal["grid"]
    parameters: dict[str, list[Any]] = Field(min_length=1, description="Path -> values to try.")

    @field_validator("parameters")
    @classmethod
    def _values(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in v.items():
            if not values:
                raise ValueError(f"'{name}' needs at least one value")
            if len({json.dumps(x, sort_keys=True) for x in values}) < len(values):
                raise ValueError(f"'{name}' lists a value twice")
        return v


class ScenarioEntry(Section):
    """One scenario of a comparison: a bundled name or a file, plus overrides."""

    scenario: str
    label: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _plain_name(cls, v: Any) -> Any:
        return {"scenario": v} if isinstance(v, str) else v

    @property
    def name(self) -> str:
        return self.label or Path(self.scenario).stem


class ScenariosDesign(Section):
    """Scenarios side by side, every one run with the same seeds."""

    kind: Literal["scenarios"]
    scenarios: list[ScenarioEntry] = Field(min_length=1)

    @field_validator("scenarios")
    @classmethod
    def _unique(cls, v: list[ScenarioEntry]) -> list[ScenarioEntry]:
        names = [e.name for e in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"scenario labels must be unique, '{dup[0]}' appears twice; "
                             "give the entries distinct 'label's")
        return v


class LHSDesign(Section):
    """Latin hypercube over ranges (a space-filling sweep)."""

    kind: Literal["lhs"]
    parameters: dict[str, Bounds] = Field(min_length=1, description="Path -> [low, high].")
    samples: int = Field(20, ge=2, le=1_000_000)

    _bounds = field_validator("parameters")(_check_bounds)


class MorrisDesign(Section):
    """Morris elementary effects: a cheap screening of many parameters."""

    kind: Literal["morris"]
    parameters: dict[str, Bounds] = Field(min_length=2)
    trajectories: int = Field(10, ge=2, le=100_000)
    levels: int = Field(4, ge=2, le=100)

    _bounds = field_validator("parameters")(_check_bounds)

    @field_validator("levels")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError(f"levels must be even, got {v}")
        return v


class SobolDesign(Section):
    """Saltelli sampling for Sobol first-order and total indices."""

    kind: Literal["sobol"]
    parameters: dict[str, Bounds] = Field(min_length=2)
    samples: int = Field(64, ge=2, le=2**20, description="Base sample size N (a power of two).")
    second_order: bool = False

    _bounds = field_validator("parameters")(_check_bounds)

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if v & (v - 1):
            raise ValueError(f"samples must be a power of two, got {v}; "
                             f"try {2 ** round(math.log2(v))}")
        return v


DESIGNS = {"grid": GridDesign, "scenarios": ScenariosDesign, "lhs": LHSDesign,
           "morris": MorrisDesign, "sobol": SobolDesign}
Design = Annotated[GridDesign | ScenariosDesign | LHSDesign | MorrisDesign | SobolDesign,
                   Field(discriminator="kind")]


@dataclass(frozen=True)
class Point:
    """One design point: which scenario, with which parameter values."""

    id: int
    label: str
    scenario: str
    params: dict[str, Any] = field(default_factory=dict)


def short_name(path: str) -> str:
    return ParamPath.parse(path).name


def _plain(v: Any) -> str:
    """A value as a reader writes it: 60000 or 0.85, never 6e+04 (four significant digits)."""
    if not isinstance(v, float):
        return str(v)
    text = f"{float(f'{v:.4g}'):f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def point_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{short_name(k)}={_plain(v)}" for k, v in params.items())


def problem(design: LHSDesign | MorrisDesign | SobolDesign) -> dict[str, Any]:
    """The SALib problem dict of a sampled design."""
    names = list(design.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(design.parameters[n]) for n in names]}


def sample_matrix(design: LHSDesign | MorrisDesign | SobolDesign, master_seed: int) -> np.ndarray:
    seed = design_seed(master_seed)
    prob = problem(design)
    if isinstance(design, LHSDesign):
        from SALib.sample import latin

        return latin.sample(prob, design.samples, seed=seed)
    if isinstance(design, MorrisDesign):
        from SALib.sample import morris

        return morris.sample(prob, design.trajectories, num_levels=design.levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(prob, design.samples, calc_second_order=design.second_order, seed=seed)


def make_points(design: Design, master_seed: int, base: str) -> tuple[list[Point], np.ndarray | None]:
    """Every design point (on the scenario named ``base``), numbered in a fixed order, and the raw
    sample matrix if any."""
    if isinstance(design, ScenariosDesign):
        return [Point(i, e.name, e.name) for i, e in enumerate(design.scenarios)], None
    paths = {n: ParamPath.parse(n) for n in design.parameters}
    if isinstance(design, GridDesign):
        combos = itertools.product(*(design.parameters[n] for n in paths))
        rows = [{n: paths[n].coerce(v) for n, v in zip(paths, combo, strict=True)} for combo in combos]
        return [Point(i, point_label(r), base, r) for i, r in enumerate(rows)], None
    matrix = sample_matrix(design, master_seed)
    points = []
    for i, row in enumerate(matrix):
        params = {n: int(round(x)) if paths[n].kind is int else float(x)
                  for n, x in zip(paths, row, strict=True)}
        points.append(Point(i, point_label(params), base, params))
    return points, matrix

"""Design points: full factorial grids, scenario lists and sampled designs.

Sampled designs (Latin hypercube, Morris, Sobol) come from SALib with a seed
derived from the master seed, so the same file always gives the same points.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..schema import Scenario
from .seeds import design_seed
from .spec import Experiment, GridDesign, LHSDesign, MorrisDesign, Point, ScenariosDesign, SobolDesign


def param_type(path: str) -> type:
    """The Python type of a scenario parameter (int parameters get rounded samples)."""
    model: Any = Scenario
    parts = path.replace("__", ".").split(".")
    for part in parts[:-1]:
        model = model.model_fields[part].annotation
    ann = model.model_fields[parts[-1]].annotation
    return ann if ann in (int, float, bool, str) else object


def coerce(path: str, value: Any) -> Any:
    """One type per parameter column, whatever the YAML spelling (1 vs 1.0)."""
    kind = param_type(path)
    if kind in (int, float) and isinstance(value, str):
        value = float(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def short_name(path: str) -> str:
    return path.replace("__", ".").split(".")[-1]


def point_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{short_name(k)}={v:.4g}" if isinstance(v, float) else f"{short_name(k)}={v}"
                     for k, v in params.items())


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


def make_points(spec: Experiment, scenarios: dict[str, Scenario]) -> tuple[list[Point], np.ndarray | None]:
    """Every design point, numbered in a fixed order, and the raw sample matrix if any."""
    design = spec.design
    if isinstance(design, ScenariosDesign):
        return [Point(i, e.name, e.name) for i, e in enumerate(design.scenarios)], None
    base = next(iter(scenarios))
    if isinstance(design, GridDesign):
        names = list(design.parameters)
        combos = itertools.product(*(design.parameters[n] for n in names))
        rows = [{n: coerce(n, v) for n, v in zip(names, combo, strict=True)} for combo in combos]
        return [Point(i, point_label(r), base, r) for i, r in enumerate(rows)], None
    matrix = sample_matrix(design, spec.seed)
    names = list(design.parameters)
    points = []
    for i, row in enumerate(matrix):
        params = {n: int(round(x)) if param_type(n) is int else float(x)
                  for n, x in zip(names, row, strict=True)}
        points.append(Point(i, point_label(params), base, params))
    return points, matrix

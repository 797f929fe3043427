"""Patient rule induction (PRIM) for scenario discovery.

PRIM (Friedman & Fisher 1999) looks for a box in the space of inputs inside which the case of
interest (say, a policy failing) is much more common than outside. It starts from the box that holds
all the data and *peels*: each step removes a slice of at most ``alpha`` of the points in the box,
along the one input and side that most raises the share of cases of interest per point removed
(the "lenient" objective of EMA Workbench, which does not favour categorical inputs). Peeling
stops when no slice raises that share or the next box would hold less than ``mass_min`` of the
data. *Pasting* then widens the box again wherever that still raises the share. Every box on the way
is kept: the peeling trajectory is the trade-off between coverage (the share of all cases of interest
that fall in the box) and density (the share of the box that is of interest), from which an analyst
picks one (Bryant & Lempert 2010).

Real inputs are peeled at quantiles, integer inputs by whole values, categorical inputs (strings,
booleans, pandas categories) by dropping one category. The quantile rule, the objective and the
quasi-p values follow EMA Workbench (Kwakkel 2017), so the two give the same boxes on the same data.

Typical use::

    result = prim(inputs, failed)
    i = select_box(result, min_density=0.8)
    box_table(result, i)                 # limits and quasi-p values of the restricted inputs
    resample_stability(result, i, rng=np.random.default_rng(3))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from .inputs import Kind, case_of_interest, input_kinds

Limit = tuple[float, float] | tuple[int, int] | frozenset
"""Inclusive (lower, upper) for a real or integer input; the allowed values for a categorical one."""


@dataclass(frozen=True)
class _Data:
    """Inputs as arrays: floats for numeric columns, category codes for categorical ones."""

    kinds: dict[str, Kind]
    values: dict[str, np.ndarray]
    categories: dict[str, list[object]]

    @classmethod
    def from_frame(cls, x: pd.DataFrame) -> _Data:
        kinds = input_kinds(x)
        values: dict[str, np.ndarray] = {}
        categories: dict[str, list[object]] = {}
        for name, kind in kinds.items():
            if kind == "categorical":
                codes, uniques = pd.factorize(x[name], sort=True)
                if (codes < 0).any():
                    raise ValueError(f"input {name!r} has missing values")
                values[name] = codes
                categories[name] = [_plain(v) for v in uniques]
            else:
                column = x[name].to_numpy(dtype=float)
                if np.isnan(column).any():
                    raise ValueError(f"input {name!r} has missing values")
                values[name] = column
        return cls(kinds, values, categories)

    def initial_limits(self) -> dict[str, Limit]:
        limits: dict[str, Limit] = {}
        for name, kind in self.kinds.items():
            if kind == "categorical":
                limits[name] = frozenset(self.categories[name])
            else:
                number = int if kind == "integer" else float
                limits[name] = (number(self.values[name].min()), number(self.values[name].max()))
        return limits

    def inside(self, limits: dict[str, Limit], initial: dict[str, Limit], skip: str | None = None) -> np.ndarray:
        """Which points lie in the box; ``skip`` leaves one input unrestricted."""
        n = next(iter(self.values.values())).shape[0]
        mask = np.ones(n, dtype=bool)
        for name, limit in limits.items():
            if name == skip or limit == initial[name]:
                continue
            mask &= self.within(name, limit)
        return mask

    def within(self, name: str, limit: Limit) -> np.ndarray:
        if self.kinds[name] == "categorical":
            codes = [self.categories[name].index(v) for v in limit]
            return np.isin(self.values[name], codes)
        lower, upper = limit
        column = self.values[name]
        return (column >= lower) & (column <= upper)


def _plain(value: object) -> object:
    """NumPy scalars as Python ones, so limits print and compare plainly."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Box:
    """The limits of one box on the trajectory, for every input (restricted or not)."""

    limits: dict[str, Limit]


@dataclass(frozen=True, eq=False)
class PrimResult:
    """One PRIM run: the boxes of the peeling and pasting trajectory and the data they were found on.

    ``trajectory`` has one row per box with ``coverage``, ``density``, ``mass`` (share of all points
    in the box), ``res_dim`` (number of restricted inputs), ``n`` and ``k`` (points and cases of
    interest in the box) and ``step`` ("start", "peel" or "paste").
    """

    trajectory: pd.DataFrame
    boxes: tuple[Box, ...]
    initial: Box
    x: pd.DataFrame
    y: np.ndarray
    alpha: float
    paste_alpha: float
    mass_min: float
    _data: _Data = field(repr=False)


def prim(
    x: pd.DataFrame,
    y: object,
    alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> PrimResult:
    """Peel and paste one box for the cases of interest ``y`` (booleans or 0/1, one per row of ``x``)."""
    if not 0 < alpha < 0.5 or not 0 < paste_alpha < 0.5:
        raise ValueError("alpha and paste_alpha must lie strictly between 0 and 0.5")
    x = x.reset_index(drop=True)
    outcome = case_of_interest(y, len(x))
    data = _Data.from_frame(x)
    initial = data.initial_limits()
    limits = dict(initial)
    inside = np.ones(len(x), dtype=bool)
    steps: list[tuple[str, dict[str, Limit], np.ndarray]] = [("start", limits, inside)]

    while (best := _best(outcome, initial, inside, _peels(data, limits, inside, alpha))) is not None:
        if best[1].sum() < mass_min * len(x):
            break
        limits, inside = best
        steps.append(("peel", limits, inside))
    while (best := _best(outcome, initial, inside, _pastes(data, limits, initial, paste_alpha))) is not None:
        limits, inside = best
        steps.append(("paste", limits, inside))

    total = max(int(outcome.sum()), 1)
    rows = []
    for step, step_limits, mask in steps:
        n, k = int(mask.sum()), int(outcome[mask].sum())
        rows.append({"coverage": k / total, "density": k / n, "mass": n / len(x),
                     "res_dim": len(_restricted(step_limits, initial)), "n": n, "k": k, "step": step})
    return PrimResult(
        trajectory=pd.DataFrame(rows), boxes=tuple(Box(b) for _, b, _ in steps), initial=Box(initial), x=x,
        y=outcome, alpha=alpha, paste_alpha=paste_alpha, mass_min=mass_min, _data=data,
    )


def _quantile(values: np.ndarray, q: float) -> float:
    """The sdtoolkit quantile used by EMA Workbench: halfway to the next distinct value, away from the median."""
    data = np.sort(values)
    position = (len(data) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    if q > 0.5:
        while data[low] == data[high] and low > 0:
            low -= 1
    else:
        while data[low] == data[high] and high < len(data) - 1:
            high += 1
    return float((data[low] + data[high]) / 2)


def _peels(data: _Data, limits: dict[str, Limit], inside: np.ndarray, alpha: float):
    """Every candidate slice to remove: lower and upper for numeric inputs, one category for categorical ones."""
    for name, kind in data.kinds.items():
        column = data.values[name]
        in_box = column[inside]
        if kind == "categorical":
            allowed = limits[name]
            if len(allowed) > 1:
                for code, value in enumerate(data.categories[name]):
                    if value in allowed:
                        yield {**limits, name: allowed - {value}}, inside & (column != code)
            continue
        lower, upper = limits[name]
        new_lower, new_upper = _quantile(in_box, alpha), _quantile(in_box, 1 - alpha)
        if kind == "integer":
            distinct = np.unique(in_box)
            if len(distinct) < 2:
                continue
            new_lower = int(distinct[distinct >= new_lower].min())
            new_upper = int(distinct[distinct <= new_upper].max())
            if new_lower == distinct[0]:
                new_lower = int(distinct[1])
            if new_upper == distinct[-1]:
                new_upper = int(distinct[-2])
        yield {**limits, name: (new_lower, upper)}, inside & (column >= new_lower)
        yield {**limits, name: (lower, new_upper)}, inside & (column <= new_upper)


def _pastes(data: _Data, limits: dict[str, Limit], initial: dict[str, Limit], paste_alpha: float):
    """Every candidate widening of a restricted input by about ``paste_alpha`` of the points just outside it."""
    for name in _restricted(limits, initial):
        others = data.inside(limits, initial, skip=name)
        column = data.values[name]
        if data.kinds[name] == "categorical":
            for value in data.categories[name]:
                if value not in limits[name]:
                    widened = limits[name] | {value}
                    yield {**limits, name: widened}, others & data.within(name, widened)
            continue
        lower, upper = limits[name]
        below, above = others & (column < lower), others & (column > upper)
        if below.any():
            new_lower = _quantile(column[below], 1 - paste_alpha)
            if data.kinds[name] == "integer":
                new_lower = int(column[below][column[below] >= new_lower].min())
            yield {**limits, name: (new_lower, upper)}, others & (column >= new_lower) & (column <= upper)
        if above.any():
            new_upper = _quantile(column[above], paste_alpha)
            if data.kinds[name] == "integer":
                new_upper = int(column[above][column[above] <= new_upper].max())
            yield {**limits, name: (lower, new_upper)}, others & (column >= lower) & (column <= new_upper)


def _best(outcome: np.ndarray, initial: dict[str, Limit], inside: np.ndarray, candidates):
    """The candidate box with the largest gain in density per point moved, if it gains at all.

    Ties go to the box with fewer restricted inputs, then to the first one found.
    """
    n_old, mean_old = inside.sum(), outcome[inside].mean()
    best, best_score = None, None
    for limits, mask in candidates:
        n_new = mask.sum()
        if n_new == n_old:
            continue
        mean_new = outcome[mask].mean() if n_new > 0 else 0.0
        gain = (mean_new - mean_old) / abs(int(n_new) - int(n_old))
        score = (gain, -len(_restricted(limits, initial)))
        if gain > 0 and (best_score is None or score > best_score):
            best, best_score = (limits, mask), score
    return best


def _restricted(limits: dict[str, Limit], initial: dict[str, Limit]) -> list[str]:
    return [name for name, limit in limits.items() if limit != initial[name]]


def restricted_dimensions(result: PrimResult, i: int) -> list[str]:
    """The inputs that box ``i`` restricts, in column order."""
    return _restricted(result.boxes[i].limits, result.initial.limits)


def box_limits(result: PrimResult, i: int) -> dict[str, Limit]:
    """The limits of box ``i`` on the inputs it restricts."""
    return {name: result.boxes[i].limits[name] for name in restricted_dimensions(result, i)}


def select_box(result: PrimResult, min_density: float | None = None) -> int:
    """The box to report: by default the end of the trajectory, else the widest box dense enough.

    With ``min_density``, the box of largest coverage among those with at least that density;
    ties go to fewer restricted inputs, then to the earlier box. If no box is dense enough, the
    densest one.
    """
    trajectory = result.trajectory
    if min_density is None:
        return len(trajectory) - 1
    dense = trajectory[trajectory["density"] >= min_density]
    if dense.empty:
        return int(trajectory["density"].idxmax())
    return int(dense.sort_values(["coverage", "res_dim"], ascending=[False, True], kind="stable").index[0])


def quasi_p_values(result: PrimResult, i: int) -> dict[tuple[str, str], float]:
    """One-sided binomial quasi-p value of each restriction of box ``i`` (Bryant & Lempert 2010).

    For each restricted side (``"lower"``, ``"upper"`` or ``"categories"``), the chance of seeing
    at least the box's cases of interest among its points if the density were that of the box
    without that restriction. Small values mean the restriction matters; large ones that it is
    probably noise. Keys are (input, side).
    """
    data, initial = result._data, result.initial.limits
    limits = result.boxes[i].limits
    n = int(result.trajectory.loc[i, "n"])
    k = int(result.trajectory.loc[i, "k"])
    values: dict[tuple[str, str], float] = {}
    for name in restricted_dimensions(result, i):
        if data.kinds[name] == "categorical":
            sides = {"categories": initial[name]}
        else:
            (lower, upper), (lower0, upper0) = limits[name], initial[name]
            sides = {side: widened for side, widened, restricted in
                     (("lower", (lower0, upper), lower != lower0), ("upper", (lower, upper0), upper != upper0))
                     if restricted}
        for side, widened in sides.items():
            mask = data.inside({**limits, name: widened}, initial)
            density = result.y[mask].mean()
            values[(name, side)] = float(binomtest(k, n, density, alternative="greater").pvalue)
    return values


def box_table(result: PrimResult, i: int) -> pd.DataFrame:
    """One row per restriction of box ``i``: input, kind, side, limit and quasi-p value."""
    kinds, limits = result._data.kinds, box_limits(result, i)
    rows = []
    for (name, side), p in quasi_p_values(result, i).items():
        limit = limits[name]
        if side == "categories":
            value: object = tuple(sorted(limit, key=str))
        else:
            value = limit[0] if side == "lower" else limit[1]
        rows.append({"input": name, "kind": kinds[name], "side": side, "limit": value, "quasi_p": p})
    return pd.DataFrame(rows, columns=["input", "kind", "side", "limit", "quasi_p"])


def resample_stability(
    result: PrimResult,
    i: int,
    rng: np.random.Generator,
    iterations: int = 10,
    fraction: float = 0.5,
    replace: bool = False,
) -> pd.DataFrame:
    """How often PRIM on resampled data restricts each input, near the coverage and density of box ``i``.

    Each iteration runs PRIM on a subsample of ``fraction`` of the rows (``replace=True`` with
    ``fraction=1`` is the bootstrap) and takes from its trajectory the box closest in coverage and
    the box closest in density to box ``i``. The columns ``reproduce_coverage`` and
    ``reproduce_density`` give the share of iterations whose box restricts the input. An input
    restricted in nearly every resample is a stable part of the explanation (as in EMA Workbench).
    """
    target = result.trajectory.loc[i]
    counts = pd.DataFrame(0, index=result.x.columns, columns=["reproduce_coverage", "reproduce_density"])
    size = int(round(len(result.x) * fraction))
    for _ in range(iterations):
        rows = rng.choice(len(result.x), size=size, replace=replace)
        again = prim(result.x.iloc[rows], result.y[rows], result.alpha, result.paste_alpha, result.mass_min)
        for column, statistic in (("reproduce_coverage", "coverage"), ("reproduce_density", "density")):
            closest = int((again.trajectory[statistic] - target[statistic]).abs().idxmin())
            for name in restricted_dimensions(again, closest):
                counts.loc[name, column] += 1
    shares = counts / iterations
    return shares.sort_values(["reproduce_coverage", "reproduce_density"], ascending=False, kind="stable")

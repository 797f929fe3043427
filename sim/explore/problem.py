"""The optimisation problem on the model: prices, draws, runs and robust scores.

A candidate (lever values) is priced by the street office's own rule (``adapter.price``: every
agency's contract value, averaged over the contract term with indexation). That price is all the
street office pays: an agency pays hiring, training and every other cost that depends on how a
run goes (quits, vacancies, layoffs) out of its contract value, and money it cannot use is
returned, not topped up. So a candidate within budget never costs the office more than the
budget in any run, and the budget is a plain hard constraint (no chance constraint is needed).

Common random numbers: every candidate is run on the same draws of the uncertain parameters and,
in draw ``d``, replication ``r``, with the same seed ``run_seed(master, r, d)``. Hold-out draws are
numbered after the search draws, so their seeds differ. A score is computed from one candidate's
runs alone, replications averaged within a draw first and the robustness metric applied across
draws, so it never depends on which other candidates were evaluated with it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import adapter, robust
from .adapter import UserError
from .space import candidate_key
from .spec import (
    MeanAndSpreadRobustness,
    PercentileRobustness,
    ResolvedOptimize,
    SatisficingRobustness,
    Score,
    WorstRobustness,
    load_optimize,
)

HOLDOUT_STREAM, SEARCH_STREAM = 2, 1
"""Which seed stream draws the hold-out and the search draws (apart from every run seed)."""


def load(source: str | Path | Mapping[str, Any]) -> ResolvedOptimize:
    """An optimisation file checked against the model: KPIs of the output registry, the street office's prices."""
    return load_optimize(source, known_kpis=adapter.kpi_bounds(), cost=adapter.price)


class Pricing:
    """The yearly cost of a candidate, remembered per candidate (the budget repair asks often).

    Calling it prices a candidate quickly, on a copy of the validated scenario; ``check`` loads
    a candidate the search keeps through the scenario's one validation, so a lever mix the
    scenario refuses is reported before any of its runs, and confirms the quick price.
    """

    def __init__(self, resolved: ResolvedOptimize) -> None:
        self.resolved = resolved
        self.known: dict[str, float] = {}
        self.checked: set[str] = set()

    def __call__(self, levers: Mapping[str, object]) -> float:
        key = candidate_key(levers)
        if key not in self.known:
            self.known[key] = adapter.quick_price(self.resolved.base, self.resolved.overrides(levers))
        return self.known[key]

    def check(self, levers: Mapping[str, object]) -> float:
        key = candidate_key(levers)
        if key not in self.checked:
            try:
                full = adapter.price(self.resolved.base, self.resolved.overrides(levers))
            except UserError as exc:
                raise UserError(f"the scenario refuses the lever mix {key}: {exc.message}",
                                source=self.resolved.source, field="levers") from None
            if full != self(levers):
                raise RuntimeError(f"the quick price of {key} ({self(levers)}) differs from the validated one ({full})")
            self.checked.add(key)
        return self.known[key]


@dataclass(frozen=True)
class Draw:
    """One draw of the uncertain parameters: ``index`` numbers search draws first, then hold-out draws."""

    index: int
    holdout: bool
    values: dict[str, float]


def stream_seed(master: int, stream: int) -> int:
    """A seed for drawing parameters, apart from every run seed (whose spawn keys are (draw, replication))."""
    state = np.random.SeedSequence(master, spawn_key=(2**32 - 2, stream)).generate_state(1, np.uint32)
    return int(state[0])


def _sample(resolved: ResolvedOptimize, k: int, stream: int) -> list[dict[str, float]]:
    spec = resolved.spec.uncertainty
    seed = stream_seed(resolved.spec.seed, stream)
    if resolved.posterior is not None:
        return adapter.posterior_draws(resolved.posterior, k, seed)
    if spec.ranges:
        from scipy.stats import qmc

        names = list(resolved.uncertain)
        unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(k)
        lows = np.array([spec.ranges[name][0] for name in _spelled(spec.ranges, names)])
        highs = np.array([spec.ranges[name][1] for name in _spelled(spec.ranges, names)])
        values = lows + unit * (highs - lows)
        return [{name: float(values[i, j]) for j, name in enumerate(names)} for i in range(k)]
    return [{} for _ in range(k)]


def _spelled(ranges: Mapping[str, Any], dotted: Sequence[str]) -> list[str]:
    """The keys of ``ranges`` in the order of their dotted spellings."""
    by_dotted = {key.replace("__", "."): key for key in ranges}
    return [by_dotted[name] for name in dotted]


def draws(resolved: ResolvedOptimize) -> list[Draw]:
    """The search draws and the hold-out draws, each checked against the scenario before any run."""
    spec = resolved.spec.uncertainty
    search = _sample(resolved, spec.draws, SEARCH_STREAM)
    holdout = _sample(resolved, spec.holdout_draws, HOLDOUT_STREAM) if spec.holdout_draws else []
    out = [Draw(i, False, values) for i, values in enumerate(search)]
    out += [Draw(len(search) + i, True, values) for i, values in enumerate(holdout)]
    for draw in out:
        if draw.values:
            try:
                adapter.load_scenario(resolved.base, draw.values)
            except UserError as exc:
                kind = "hold-out draw" if draw.holdout else "draw"
                raise UserError(f"{kind} {draw.index} is refused by the scenario: {exc.message}",
                                source=resolved.source, field="uncertainty") from None
    return out


def candidate_id(key: str) -> str:
    """A short name for a candidate (its key's hash), used in file names and tables."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def run_id(key: str, draw: int, replication: int) -> str:
    from .store import run_name

    return run_name(candidate_id(key), draw, replication)


@dataclass(frozen=True)
class Run:
    """One model run to do: a candidate on one draw, one replication."""

    key: str
    levers: dict[str, object]
    draw: Draw
    replication: int

    @property
    def id(self) -> str:
        return run_id(self.key, self.draw.index, self.replication)


def runs_of(levers: Mapping[str, object], draws_: Sequence[Draw], replications: int) -> list[Run]:
    key = candidate_key(levers)
    return [Run(key, dict(levers), draw, r) for draw in draws_ for r in range(replications)]


def task(resolved: ResolvedOptimize, scenario: dict[str, Any], run: Run) -> Any:
    """The shared runner's task for one run: the base scenario, the candidate's changes and the draw's values."""
    spec = resolved.spec
    seed = adapter.run_seed(spec.seed, run.replication, run.draw.index)
    params = {**resolved.overrides(run.levers), **run.draw.values}
    return adapter.runner().Task(point_id=run.draw.index, replication=run.replication, seed=seed,
                                 label=candidate_id(run.key), scenario=scenario, params=params, weeks=spec.weeks,
                                 scale=None, outcomes=tuple(adapter.kpi_names()), series=False)


def row(resolved: ResolvedOptimize, run: Run, record: Mapping[str, Any], cost: float) -> dict[str, Any]:
    """One stored run: who, which draw, the levers, the drawn values, cost and slack, and every KPI as a float."""
    kpis = {}
    for name in adapter.kpi_names():
        value = record.get(name)
        kpis[name] = math.nan if value is None else float(value)
    return {"candidate": candidate_id(run.key), "key": run.key, "draw": run.draw.index, "holdout": run.draw.holdout,
            "replication": run.replication, "seed": int(record["seed"]), **run.levers, **run.draw.values,
            "cost": cost, "slack": resolved.budget - cost, **kpis, "warnings": str(record.get("warnings", ""))}


def per_draw(values: np.ndarray, score: Score) -> np.ndarray:
    """Replications (columns) averaged within each draw (rows); a run whose KPI is undefined counts as the
    worst end of the objective's range (a wait never reached, a turnover with nobody in post)."""
    worst = score.upper if score.direction == "minimise" else score.lower
    filled = np.where(np.isnan(values), worst, values)
    return filled.mean(axis=1)


def robust_score(draw_values: np.ndarray, score: Score) -> float:
    """A score's robustness metric over one candidate's per-draw values."""
    table = pd.DataFrame([draw_values])
    r = score.robustness
    if isinstance(r, PercentileRobustness):
        return float(robust.percentile(table, r.q, score.direction).values.iloc[0])
    if isinstance(r, WorstRobustness):
        return float(robust.worst_case(table, score.direction).values.iloc[0])
    if isinstance(r, SatisficingRobustness):
        return float(robust.satisficing(table, r.threshold, score.direction).values.iloc[0])
    if isinstance(r, MeanAndSpreadRobustness):
        mean, sd = robust.mean_and_spread(table, score.direction)
        return float((sd if score.spread else mean).values.iloc[0])
    return float(robust.mean(table, score.direction).values.iloc[0])


def kpi_matrix(rows: Sequence[Mapping[str, Any]], kpi: str, draws_: Sequence[Draw], replications: int) -> np.ndarray:
    """One candidate's values of a KPI as (draw, replication), in draw order."""
    index = {(row["draw"], row["replication"]): row[kpi] for row in rows}
    return np.array([[index[(d.index, r)] for r in range(replications)] for d in draws_], dtype=float)


def scores(rows: Sequence[Mapping[str, Any]], resolved: ResolvedOptimize, draws_: Sequence[Draw]) -> dict[str, float]:
    """Every objective's score of one candidate from its runs on ``draws_``."""
    replications = resolved.spec.uncertainty.replications
    out: dict[str, float] = {}
    for score in resolved.scores:
        values = per_draw(kpi_matrix(rows, score.kpi, draws_, replications), score)
        out[score.name] = robust_score(values, score)
    return out

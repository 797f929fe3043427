"""Multi-objective search over policy levers under a hard budget, evaluated outside the algorithm.

``search`` runs NSGA-II (Deb et al. 2002), or NSGA-III (Deb & Jain 2014) for more than three
objectives, through pymoo's ask/tell interface. Each generation the algorithm is *asked* for a batch
of candidates, the caller's ``evaluate(batch)`` scores the whole batch at once (so it can run it on
a process pool or Dask), and the scores are *told* back. Nothing inside the algorithm evaluates.

The budget is hard: every candidate is repaired (``fit_to_budget``) before anyone sees it, so no
candidate over budget is ever evaluated and every record carries its cost and its slack. In pymoo
the repair given to the algorithm reaches only the initial sample; a mating passed in explicitly
needs its own copy, or offspring escape it. Here both get the same repair.

How mixed levers are handled, and why. pymoo 0.6 offers ``MixedVariableGA``, which is a
single-objective GA (its survival is by fitness), and the pieces it is built from:
``MixedVariableSampling``, ``MixedVariableMating`` and ``MixedVariableDuplicateElimination``.
``MixedVariableMating`` recombines each kind of variable with its own operators: SBX and polynomial
mutation for reals, the same with rounding for integers, uniform crossover with random reset for
choices, uniform crossover with bit flips for booleans. The alternative, coding every lever as a
real and rounding in the repair, would have SBX interpolate between the indices of unordered
options. So the search is pymoo's NSGA-II (or NSGA-III) algorithm (non-dominated sorting with
crowding or reference directions for survival) with the mixed-variable sampling, mating and
duplicate elimination plugged in. One correction is needed: ``MixedVariableMating`` picks parents
at random by default, while NSGA-II picks them by binary tournament on rank and crowding, so the
mating is given NSGA-II's tournament (NSGA-III keeps its own random-among-feasible tournament, which
is what NSGA-III prescribes). Every random draw comes from the generator pymoo seeds from ``seed``.

Replaying instead of checkpointing. The sequence of candidates depends only on the seed and on the
scores told back. A run that was killed is therefore resumed by running it again from the same
seed with an evaluator that serves the scores already stored (``CachingEvaluator``): the replayed
generations cost no evaluation, the archive comes out bit-identical, and nothing is evaluated twice.
That needs scores stored exactly (float64) and a model whose result for a candidate does not depend
on when it is run (seeds derived from the candidate, not from a shared stream).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass

import moocore
import numpy as np
import pandas as pd
from pymoo.algorithms.moo.nsga2 import NSGA2, binary_tournament
from pymoo.algorithms.moo.nsga3 import NSGA3, comp_by_cv_then_random
from pymoo.core.evaluator import Evaluator
from pymoo.core.mixed import MixedVariableDuplicateElimination, MixedVariableMating, MixedVariableSampling
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair
from pymoo.core.termination import NoTermination
from pymoo.core.variable import Binary, Choice, Integer, Real
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.problems.static import StaticProblem
from pymoo.util.ref_dirs import get_reference_directions

from .convergence import ConvergenceTracker
from .space import Lever, Objective, candidate_key

Candidate = dict[str, object]
Evaluate = Callable[[list[Candidate]], list[Mapping[str, float]]]


@dataclass(frozen=True)
class Budget:
    """A hard budget: ``cost(levers)`` must not exceed ``limit``.

    The cost should not fall when a lever moves away from its floor, so that shrinking levers
    towards their floors saves money; the repair stays within budget even if it does not, but may
    then shrink more than needed.
    """

    cost: Callable[[Mapping[str, object]], float]
    limit: float

    def slack(self, levers: Mapping[str, object]) -> float:
        return self.limit - float(self.cost(levers))


_BISECTIONS = 53
"""Halvings of the step towards the candidate: enough to exhaust a float64 fraction."""


def fit_to_budget(levers: Mapping[str, object], space: Sequence[Lever], budget: Budget) -> Candidate:
    """The candidate made admissible: levers cleaned (in range, integers rounded) and within budget.

    A candidate over budget keeps its options (choices, switches) and is moved towards a cheaper
    candidate on the numeric levers that cost money, as far as the budget allows (found by
    bisection). A lever costs money if moving it to its floor lowers the cost; levers such as a
    share of funds that cost nothing are left alone. Integer levers are truncated towards the
    cheaper side and the money this frees goes back to the real levers. If the options that cost
    money break the budget on their own, they fall back to their floors first, and failing that
    every lever does. Deterministic, so a replayed run repairs identically.
    """
    candidate = {lever.name: lever.clean(levers[lever.name]) for lever in space}
    cost = float(budget.cost(candidate))
    if cost <= budget.limit:
        return candidate
    costly = [lever for lever in space if budget.cost({**candidate, lever.name: lever.floor}) < cost]
    spending = [lever for lever in costly if lever.kind in ("real", "integer")]
    options = [lever for lever in costly if lever.kind in ("choice", "bool")]
    cheaper = {**candidate, **{lever.name: lever.floor for lever in spending}}
    if budget.slack(cheaper) >= 0:
        return _shrink(cheaper, candidate, spending, budget)
    target = {**candidate, **{lever.name: lever.floor for lever in options}}
    if budget.slack(target) >= 0:
        return target
    cheaper = {**target, **{lever.name: lever.floor for lever in spending}}
    if budget.slack(cheaper) >= 0:
        return _shrink(cheaper, target, spending, budget)
    floors = {lever.name: lever.floor for lever in space}
    return _shrink(floors, target, [lever for lever in space if lever.kind in ("real", "integer")], budget)


def _shrink(low: Candidate, high: Candidate, levers: Sequence[Lever], budget: Budget) -> Candidate:
    """The point within budget nearest ``high`` on the way to it from ``low`` (which is within budget).

    Only ``levers`` move; the other levers keep their values in ``low``.
    """

    def towards(step: float, moving: Sequence[Lever], start: Candidate) -> Candidate:
        point = dict(start)
        for lever in moving:
            distance = high[lever.name] - low[lever.name]
            if lever.kind == "integer":
                point[lever.name] = low[lever.name] + int(step * distance)
            else:
                point[lever.name] = lever.clean(low[lever.name] + step * distance)
        return point

    def furthest(moving: Sequence[Lever], start: Candidate, lowest: float) -> float:
        if budget.slack(towards(1.0, moving, start)) >= 0:
            return 1.0
        feasible, infeasible = lowest, 1.0
        for _ in range(_BISECTIONS):
            middle = (feasible + infeasible) / 2
            if budget.slack(towards(middle, moving, start)) >= 0:
                feasible = middle
            else:
                infeasible = middle
        return feasible

    step = furthest(levers, low, 0.0)
    point = towards(step, levers, low)
    reals = [lever for lever in levers if lever.kind == "real"]
    if reals and len(reals) < len(levers):
        point = towards(furthest(reals, point, step), reals, point)
    return point


class _BudgetRepair(Repair):
    """pymoo's hook for ``fit_to_budget``: turns every proposed candidate into an admissible one."""

    def __init__(self, space: Sequence[Lever], budget: Budget) -> None:
        super().__init__()
        self.space, self.budget = list(space), budget

    def _do(self, problem, X, **kwargs):
        return np.array([fit_to_budget(levers, self.space, self.budget) for levers in X], dtype=object)


class _LeverProblem(Problem):
    """The levers as pymoo variables. Never evaluated by pymoo: scores come from ``tell``."""

    def __init__(self, space: Sequence[Lever], n_objectives: int) -> None:
        variables = {}
        for lever in space:
            if lever.kind == "real":
                variables[lever.name] = Real(bounds=(lever.lower, lever.upper))
            elif lever.kind == "integer":
                variables[lever.name] = Integer(bounds=(lever.lower, lever.upper))
            elif lever.kind == "choice":
                variables[lever.name] = Choice(options=list(lever.options))
            else:
                variables[lever.name] = Binary()
        super().__init__(vars=variables, n_obj=n_objectives)


def _algorithm(space: Sequence[Lever], budget: Budget, n_objectives: int, pop_size: int, seed: int):
    """NSGA-II for up to three objectives, NSGA-III beyond, with mixed-variable operators and the repair."""
    repair = _BudgetRepair(space, budget)
    duplicates = MixedVariableDuplicateElimination()
    common = dict(sampling=MixedVariableSampling(), repair=repair, eliminate_duplicates=duplicates, seed=seed)
    if n_objectives <= 3:
        mating = MixedVariableMating(selection=TournamentSelection(func_comp=binary_tournament),
                                     repair=repair, eliminate_duplicates=duplicates)
        algorithm = NSGA2(pop_size=pop_size, mating=mating, **common)
    else:
        partitions = 1
        while math.comb(partitions + 1 + n_objectives - 1, n_objectives - 1) <= pop_size:
            partitions += 1
        directions = get_reference_directions("das-dennis", n_objectives, n_partitions=partitions)
        mating = MixedVariableMating(selection=TournamentSelection(func_comp=comp_by_cv_then_random),
                                     repair=repair, eliminate_duplicates=duplicates)
        algorithm = NSGA3(ref_dirs=directions, pop_size=pop_size, mating=mating, **common)
    # The caller decides how many generations to run; pymoo's default criterion would only cost time.
    algorithm.termination = NoTermination()
    return algorithm


class CachingEvaluator:
    """Serve stored scores, evaluate only candidates never seen, and store what was evaluated.

    ``store`` is any mutable mapping from ``candidate_key`` to scores (a dict in memory, or a view
    of the results store on disk). Each batch is passed on as one call with the unseen candidates
    only (each once, even if proposed twice), and its scores are stored before they are returned, so
    a run killed mid-search loses at most the batch in flight.
    """

    def __init__(self, evaluate: Evaluate, store: MutableMapping[str, Mapping[str, float]] | None = None) -> None:
        self.evaluate = evaluate
        self.store: MutableMapping[str, Mapping[str, float]] = {} if store is None else store
        self.evaluated = 0
        self.served = 0

    def __call__(self, batch: list[Candidate]) -> list[dict[str, float]]:
        keys = [candidate_key(levers) for levers in batch]
        unseen = list(dict.fromkeys(key for key in keys if key not in self.store))
        if unseen:
            by_key = dict(zip(keys, batch, strict=True))
            scores = self.evaluate([dict(by_key[key]) for key in unseen])
            if len(scores) != len(unseen):
                raise ValueError(f"evaluate returned {len(scores)} results for {len(unseen)} candidates")
            for key, score in zip(unseen, scores, strict=True):
                self.store[key] = dict(score)
        self.evaluated += len(unseen)
        self.served += len(keys) - len(unseen)
        return [dict(self.store[key]) for key in keys]


@dataclass(frozen=True)
class SearchResult:
    """Everything a search produced.

    ``candidates``: one row per proposed candidate in the order proposed, with ``generation``,
    ``key``, the levers, ``cost``, ``slack`` (budget minus cost, never negative) and every score the
    evaluator returned. ``archive``: the candidates not dominated by any other evaluated candidate,
    each once. ``convergence``: one row per generation (see ``ConvergenceTracker``).
    """

    candidates: pd.DataFrame
    archive: pd.DataFrame
    convergence: pd.DataFrame


class LeverSearch:
    """One search, a generation at a time: ``ask`` for a batch of candidates, ``tell`` their scores.

    Several searches (one per seed) can be stepped side by side and their batches evaluated
    together: each draws only from its own generator, so interleaving them changes nothing.
    ``result()`` gives everything the search has produced so far.
    """

    def __init__(self, space: Sequence[Lever], objectives: Sequence[Objective], budget: Budget, pop_size: int = 40,
                 seed: int = 0, epsilon: float | Sequence[float] = 0.01,
                 reference_front: np.ndarray | None = None) -> None:
        self.space, self.objectives, self.budget = list(space), list(objectives), budget
        names = [lever.name for lever in self.space]
        if len(set(names)) != len(names):
            raise ValueError("lever names must be unique")
        if pop_size < max(4, len(self.objectives)):
            raise ValueError(f"a population of {pop_size} is too small for {len(self.objectives)} objectives")
        floors = {lever.name: lever.floor for lever in self.space}
        if budget.slack(floors) < 0:
            raise ValueError(f"even the cheapest levers cost {budget.cost(floors)}, over the budget of {budget.limit}")
        self.names = names
        self.problem = _LeverProblem(self.space, len(self.objectives))
        self.algorithm = _algorithm(self.space, budget, len(self.objectives), pop_size, seed)
        self.algorithm.setup(self.problem)
        self.tracker = ConvergenceTracker(self.objectives, epsilon=epsilon, reference_front=reference_front)
        self.records: list[dict[str, object]] = []
        self.generation = 0
        self._asked = None

    def ask(self) -> list[Candidate]:
        """The next generation's candidates, each within budget (empty when the algorithm has none left)."""
        if self._asked is not None:
            raise RuntimeError("tell the scores of the last batch before asking for another")
        population = self.algorithm.ask()
        if population is None or len(population) == 0:
            return []
        batch = [dict(levers) for levers in population.get("X")]
        costs = [float(self.budget.cost(levers)) for levers in batch]
        if max(costs) > self.budget.limit:
            raise RuntimeError("a candidate over budget escaped the repair")
        self._asked = (population, batch, costs)
        return [dict(levers) for levers in batch]

    def tell(self, scores: Sequence[Mapping[str, float]]) -> None:
        """The scores of the batch last asked for, one mapping per candidate in the same order."""
        if self._asked is None:
            raise RuntimeError("nothing was asked")
        population, batch, costs = self._asked
        if len(scores) != len(batch):
            raise ValueError(f"evaluate returned {len(scores)} results for {len(batch)} candidates")
        reserved = {"generation", "key", "cost", "slack"} | set(self.names)
        clash = {name for score in scores for name in score} & reserved
        if clash:
            raise ValueError(f"evaluate returned scores named like levers or record columns: {sorted(clash)}")
        values = np.array([[_score(score, o.name) for o in self.objectives] for score in scores])
        minimised = np.column_stack([o.to_minimise(values[:, j]) for j, o in enumerate(self.objectives)])
        Evaluator().eval(StaticProblem(self.problem, F=minimised), population)
        self.algorithm.tell(infills=population)
        self.tracker.update(self.generation, values)
        for levers, cost, score in zip(batch, costs, scores, strict=True):
            self.records.append({"generation": self.generation, "key": candidate_key(levers), **levers, "cost": cost,
                                 "slack": self.budget.limit - cost, **score})
        self.generation += 1
        self._asked = None

    def result(self) -> SearchResult:
        candidates = pd.DataFrame(self.records)
        return SearchResult(candidates, _archive(candidates, self.objectives), self.tracker.table())


def search(
    space: Sequence[Lever],
    objectives: Sequence[Objective],
    evaluate: Evaluate,
    budget: Budget,
    generations: int,
    pop_size: int = 40,
    seed: int = 0,
    epsilon: float | Sequence[float] = 0.01,
    reference_front: np.ndarray | None = None,
) -> SearchResult:
    """Search the levers for candidates that trade the objectives off best within the budget.

    ``evaluate`` gets one list of candidates (lever dictionaries) per generation and returns one
    mapping of scores per candidate, containing at least every objective's name. The same seed and
    the same scores give the same candidates, generation after generation.
    ``reference_front`` (rows of objective values of a known Pareto front) adds IGD+ to the
    convergence table.
    """
    run = LeverSearch(space, objectives, budget, pop_size, seed, epsilon, reference_front)
    for _ in range(generations):
        batch = run.ask()
        if not batch:
            break
        run.tell(evaluate(batch))
    return run.result()


def _score(score: Mapping[str, float], name: str) -> float:
    if name not in score:
        raise KeyError(f"evaluate returned no value for objective {name!r}")
    value = float(score[name])
    if not math.isfinite(value):
        raise ValueError(f"objective {name!r} is {value}")
    return value


def _archive(candidates: pd.DataFrame, objectives: Sequence[Objective]) -> pd.DataFrame:
    """Evaluated candidates (each once) that no other evaluated candidate dominates."""
    if candidates.empty:
        return candidates
    unique = candidates.drop_duplicates("key").reset_index(drop=True)
    minimised = np.column_stack([o.to_minimise(unique[o.name].to_numpy()) for o in objectives])
    return unique[moocore.is_nondominated(minimised, keep_weakly=True)].reset_index(drop=True)

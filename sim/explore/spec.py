"""Optimisation files: which levers to search, under which budget, judged by which robust objectives.

An ``optimize`` experiment is a YAML file validated against :class:`OptimizeSpec`. Loading one
(``load_optimize``) also checks every lever against the scenario schema, every objective against
the known KPIs, the uncertain parameters against the scenario and the budget against a pricing
function, so a bad file fails with one line naming the field (exit code 2) before any simulation
starts. The KPI names and the pricing are arguments, so the model side supplies them. An example::

    name: street-staffing
    description: Posts, pay and terms for a street of ten communities under a fixed budget.
    scenario: baseline                    # bundled name or a YAML file beside this one
    set:                                  # fixed in every run
      population.residents: 50000
      population.communities: 10
    weeks: 156
    seed: 1                               # master seed of the draws and of every run's seed
    levers:                               # schema path -> search range
      workforce.posts_per_1000_residents: {type: real, low: 0.5, high: 3.0}
      workforce.salary_ratio: {type: real, low: 0.6, high: 1.2}
      workforce.share_coordination: {type: real, low: 0.05, high: 0.3, balance: workforce.share_casework}
      funding.contract_term_years: {type: choice, options: [1, 3, 5]}
    budget: {yuan_per_year: 6000000}
    uncertainty:                          # draws of the calibrated parameters, runs per draw
      posterior: results/street-turnover/posterior.parquet
      draws: 20
      replications: 2
      holdout_draws: 100                  # fresh draws to re-score the final set
    objectives:
      - kpi: resolution_rate
        direction: maximise
        robustness: {metric: percentile, q: 10}
      - kpi: sw_turnover_rate
        direction: minimise
        robustness: {metric: mean}
        range: [0, 1]
    search: {population: 40, generations: 30, seeds: [1, 2, 3]}
    discover: {kpi: sw_turnover_rate, fail: "> 0.3"}

Lever kinds: ``real`` (on a number field), ``integer`` (on a whole-number or a number field),
``choice`` (a list of allowed values, each checked against the field) and ``bool`` (on a
true/false field). A lever's ``floor`` is its cheapest value (by default ``low``, the first
option, or ``false``); the budget must be met with every lever at its floor. A real lever's
``balance`` names a parameter that moves the other way, so that a sum the scenario requires
(time shares summing to 1) still holds: it takes the scenario's own value plus the lever's own
value minus the lever's. A lever must be a parameter that can change during a run (not one read
only at setup), since a policy is something the street office can change.

The budget is yuan a year: the contracts the levers imply, priced by the pricing function (for
the model, the street office's own rule, averaged over the contract term with indexation).

Uncertainty: the parameters drawn are either the columns of a calibration's ``posterior``
(resampled by weight) or ``ranges`` (``{path: [low, high]}``, sampled by Latin hypercube, for
deep uncertainty when no posterior exists); with neither, every draw is the scenario's own values
and ``draws`` must be 1. Each candidate is run ``replications`` times on each of the ``draws``;
``holdout_draws`` (0, or more than ``draws``) fresh draws re-score the final set.

Robustness metrics (see ``robust``): ``mean``, ``percentile`` (needs ``q``, in percent, counted
from the bad side), ``worst``, ``satisficing`` (needs ``threshold``; the share of draws meeting
it) and ``mean_and_spread`` (two objectives: the mean and the standard deviation over draws).
An objective's ``range`` is the span of values its hypervolume is normalised by; it may be left
out for a KPI whose own bounds are finite (a share lies in [0, 1]).

``discover`` (optional) names a KPI and a failure rule; the hold-out runs of the final set are
then searched for the conditions under which it fails (PRIM and CART).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..inputs import format_validation_error, hint
from . import adapter
from .adapter import UserError
from .space import Direction, Lever, Objective
from .units import format_value

SEED_PATH = "simulation.seed"
"""Every run's seed is derived from the search, so no lever may set this one."""

Pricing = Callable[[Any, Mapping[str, object]], float]
"""The yearly cost in yuan of the scenario ``base`` with ``overrides`` (parameter path -> value) applied."""
KnownKpis = Sequence[str] | Mapping[str, tuple[float, float]]
"""The KPIs an objective may name, or a mapping of them to the bounds their values lie in."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RealLever(_Section):
    type: Literal["real"]
    low: float
    high: float
    floor: float | None = None
    balance: str | None = Field(None, description="A parameter moved the other way, so a required sum holds.")

    @model_validator(mode="after")
    def _range(self) -> RealLever:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.floor is not None and not self.low <= self.floor <= self.high:
            raise ValueError(f"floor ({self.floor:g}) must lie between low and high")
        return self


class IntegerLever(_Section):
    type: Literal["integer"]
    low: int
    high: int
    floor: int | None = None

    @model_validator(mode="after")
    def _range(self) -> IntegerLever:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.floor is not None and not self.low <= self.floor <= self.high:
            raise ValueError(f"floor ({self.floor}) must lie between low and high")
        return self


class ChoiceLever(_Section):
    type: Literal["choice"]
    options: list[Any] = Field(min_length=2)
    floor: Any = None

    @model_validator(mode="after")
    def _options(self) -> ChoiceLever:
        if len({repr(o) for o in self.options}) != len(self.options):
            raise ValueError("options must be distinct")
        if self.floor is not None and self.floor not in self.options:
            raise ValueError(f"floor {self.floor!r} is not one of the options")
        return self


class BoolLever(_Section):
    type: Literal["bool"]
    floor: bool = False


LeverSpec = Annotated[RealLever | IntegerLever | ChoiceLever | BoolLever, Field(discriminator="type")]


class BudgetSpec(_Section):
    yuan_per_year: float = Field(gt=0, description="The most the levers' contracts may cost a year, averaged "
                                                   "over the contract term with indexation [yuan/year].")


def _span(value: tuple[float, float]) -> tuple[float, float]:
    if not value[0] < value[1]:
        raise ValueError(f"the low end ({value[0]:g}) must be below the high end ({value[1]:g})")
    return value


class UncertaintySpec(_Section):
    posterior: str | None = Field(None, description="Posterior draws of a calibration (a file), or none.")
    ranges: dict[str, tuple[float, float]] | None = Field(
        None, description="Parameter path -> [low, high], sampled by Latin hypercube (when no posterior exists).")
    draws: int = Field(1, ge=1, description="Draws of the uncertain parameters per candidate.")
    replications: int = Field(1, ge=1, description="Model runs per draw, averaged.")
    holdout_draws: int = Field(0, ge=0, description="Fresh draws to re-score the final candidates.")

    @field_validator("ranges")
    @classmethod
    def _ranges(cls, ranges: dict[str, tuple[float, float]] | None) -> dict[str, tuple[float, float]] | None:
        for path, span in (ranges or {}).items():
            try:
                _span(span)
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
        return ranges

    @model_validator(mode="after")
    def _sources(self) -> UncertaintySpec:
        if self.posterior is not None and self.ranges:
            raise ValueError("give a posterior or ranges, not both")
        if self.posterior is None and not self.ranges and self.draws != 1:
            raise ValueError(f"with neither a posterior nor ranges every draw is the scenario's own values, so "
                             f"draws must be 1 (got {self.draws}); use replications for more runs")
        if self.holdout_draws and self.holdout_draws <= self.draws:
            raise ValueError(f"holdout_draws ({self.holdout_draws}) must be 0 or more than draws ({self.draws})")
        return self


class MeanRobustness(_Section):
    metric: Literal["mean"]


class PercentileRobustness(_Section):
    metric: Literal["percentile"]
    q: float = Field(ge=0, le=100, description="Percent of draws allowed to do worse.")


class WorstRobustness(_Section):
    metric: Literal["worst"]


class SatisficingRobustness(_Section):
    metric: Literal["satisficing"]
    threshold: float


class MeanAndSpreadRobustness(_Section):
    metric: Literal["mean_and_spread"]


Robustness = Annotated[MeanRobustness | PercentileRobustness | WorstRobustness | SatisficingRobustness
                       | MeanAndSpreadRobustness, Field(discriminator="metric")]


class ObjectiveSpec(_Section):
    kpi: str
    direction: Direction
    robustness: Robustness = Field(default_factory=lambda: MeanRobustness(metric="mean"))
    range: tuple[float, float] | None = Field(None, description="[low, high] the hypervolume is normalised by.")

    @field_validator("range")
    @classmethod
    def _range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if value is None else _span(value)

    def scores(self) -> list[tuple[str, Direction]]:
        """The objectives the search sees: each score's name and the direction in which it is better."""
        r = self.robustness
        if isinstance(r, PercentileRobustness):
            return [(f"{self.kpi}_p{r.q:g}", self.direction)]
        if isinstance(r, WorstRobustness):
            return [(f"{self.kpi}_worst", self.direction)]
        if isinstance(r, SatisficingRobustness):
            return [(f"{self.kpi}_satisficing", "maximise")]
        if isinstance(r, MeanAndSpreadRobustness):
            return [(self.kpi, self.direction), (f"{self.kpi}_sd", "minimise")]
        return [(self.kpi, self.direction)]


class SearchSpec(_Section):
    population: int = Field(ge=4, description="Candidates per generation.")
    generations: int = Field(ge=1)
    seeds: list[int] = Field(min_length=1, description="One search per seed.")

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, seeds: list[int]) -> list[int]:
        if any(s < 0 for s in seeds):
            raise ValueError("seeds must be at least 0")
        if len(set(seeds)) != len(seeds):
            raise ValueError("a seed is listed twice")
        return seeds


class DiscoverSpec(_Section):
    kpi: str = Field(description="The outcome whose failures the hold-out runs should explain.")
    fail: str = Field(description="When a run fails: a comparison and a number, e.g. '> 0.3'.")


class OptimizeSpec(_Section):
    """A whole optimisation file."""

    name: str = Field(description="Short name, used for the output folder.")
    description: str = ""
    scenario: str = Field("baseline", description="Base scenario: bundled name or YAML file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed overrides of every run (dotted paths).")
    weeks: int | None = Field(None, ge=1, le=5200, description="Horizon override [weeks].")
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Master seed of the draws and of every run's seed.")
    levers: dict[str, LeverSpec] = Field(min_length=1, description="Schema parameter path -> search range.")
    budget: BudgetSpec
    uncertainty: UncertaintySpec = Field(default_factory=UncertaintySpec)
    objectives: list[ObjectiveSpec] = Field(min_length=1)
    search: SearchSpec
    discover: DiscoverSpec | None = None

    @field_validator("name")
    @classmethod
    def _path_safe(cls, v: str) -> str:
        if not v or any(c in v for c in "/\\\0") or v in {".", ".."}:
            raise ValueError(f"name must be a plain file-name-safe word, got {v!r}")
        return v


@dataclass(frozen=True)
class Score:
    """One objective of the search: a robustness score of a KPI over the uncertain draws, with the fixed
    range its hypervolume is normalised by."""

    name: str
    kpi: str
    direction: Direction
    robustness: Any
    lower: float
    upper: float
    spread: bool = False
    """The spread over draws (of ``mean_and_spread``) rather than the metric itself."""

    def objective(self) -> Objective:
        return Objective(self.name, self.direction, self.lower, self.upper)


@dataclass(frozen=True)
class ResolvedOptimize:
    """An optimisation file checked against the schema, the KPIs and the pricing.

    ``base`` is the scenario with ``set`` applied; ``balances`` maps a lever to the parameter that
    moves the other way and the sum the two keep; ``uncertain`` lists the parameters the draws set.
    """

    spec: OptimizeSpec
    source: str
    scenario: Path
    base: Any
    levers: list[Lever]
    scores: list[Score]
    posterior: Path | None
    uncertain: list[str] = field(default_factory=list)
    balances: dict[str, tuple[str, float]] = field(default_factory=dict)
    fail: Any = None

    @property
    def budget(self) -> float:
        return self.spec.budget.yuan_per_year

    def overrides(self, levers: Mapping[str, object]) -> dict[str, object]:
        """The parameter changes a candidate makes: its levers and the parameters that balance them."""
        out = dict(levers)
        for name, (other, total) in self.balances.items():
            if name in levers:
                out[other] = total - float(levers[name])
        return out

    def status_quo(self) -> dict[str, object]:
        """The levers as the scenario has them: the policy of doing nothing."""
        return {lever.name: adapter.value_at(self.base, lever.name) for lever in self.levers}


# Reading ------------------------------------------------------------------------------------------------------


def read_mapping(path: Path) -> dict[str, Any]:
    """One YAML mapping, read by the package's one reader (safe, a key given twice refused); any problem is one line."""
    return adapter.read_yaml(path, "optimisation")


def format_error(exc: ValidationError, source: str) -> UserError:
    """One validation error as one line naming the field: the project's one formatter
    (:func:`sim.inputs.format_validation_error`), with the union tags named in words."""
    return format_validation_error(exc, source, OptimizeSpec,
                                   nouns={"type": "lever type", "metric": "robustness metric"})


# Checking against the schema, the KPIs and the budget --------------------------------------------------------------


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _within(field: adapter.SchemaField, value: float) -> str | None:
    """Why ``value`` lies outside the field's bounds, or None."""
    if field.low is not None and (value < field.low or (field.low_open and value == field.low)):
        return f"{'above' if field.low_open else 'at least'} {field.low:g}"
    if field.high is not None and (value > field.high or (field.high_open and value == field.high)):
        return f"{'below' if field.high_open else 'at most'} {field.high:g}"
    return None


def _bounds_text(field: adapter.SchemaField) -> str:
    low = "" if field.low is None else f"{'above' if field.low_open else 'at least'} {field.low:g}"
    high = "" if field.high is None else f"{'below' if field.high_open else 'at most'} {field.high:g}"
    return " and ".join(t for t in (low, high) if t) or "any number"


def _check_option(field: adapter.SchemaField, value: object) -> str | None:
    """Why one choice option cannot be a value of the field, or None."""
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        return None if value in get_args(annotation) else f"must be one of {', '.join(map(repr, get_args(annotation)))}"
    if annotation is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if annotation is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number"
        reason = _within(field, value)
        return None if reason is None else f"must be {reason}"
    if annotation is float:
        if not _number(value):
            return "must be a number"
        reason = _within(field, float(value))
        return None if reason is None else f"must be {reason}"
    if annotation is str:
        return None if isinstance(value, str) else "must be text"
    return "cannot be chosen by a lever"


def _check_lever(path: str, lever: Any, field: adapter.SchemaField, source: str) -> None:
    """A lever's kind must suit the field's type and its range must lie within the field's bounds."""
    where = f"levers.{path}"
    annotation = field.annotation
    if isinstance(lever, ChoiceLever):
        for i, option in enumerate(lever.options):
            reason = _check_option(field, option)
            if reason is not None:
                raise UserError(f"option {option!r} {reason} ({path} is {_kind_text(field)})", source=source,
                                field=f"{where}.options[{i}]")
        return
    if isinstance(lever, BoolLever):
        if annotation is not bool:
            raise UserError(f"a bool lever needs a true/false parameter; {path} is {_kind_text(field)}",
                            source=source, field=f"{where}.type")
        return
    if annotation is int and isinstance(lever, RealLever):
        raise UserError(f"{path} is a whole number; use type: integer (or choice)", source=source,
                        field=f"{where}.type")
    if annotation not in (int, float):
        article = "an" if lever.type == "integer" else "a"
        raise UserError(f"{article} {lever.type} lever needs a numeric parameter; {path} is {_kind_text(field)}",
                        source=source, field=f"{where}.type")
    for side in ("low", "high"):
        value = getattr(lever, side)
        reason = _within(field, value)
        if reason is not None:
            raise UserError(f"{value:g} is outside the schema's bounds for {path} (must be {_bounds_text(field)})",
                            source=source, field=f"{where}.{side}")


def _kind_text(field: adapter.SchemaField) -> str:
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(map(repr, get_args(annotation)))
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(annotation, "a value")


def _to_lever(path: str, lever: Any, field: adapter.SchemaField) -> Lever:
    """The search's lever; options of a number field become floats, so a stored column has one type."""
    if isinstance(lever, RealLever):
        return Lever.real(path, lever.low, lever.high, floor=lever.floor)
    if isinstance(lever, IntegerLever):
        return Lever.integer(path, lever.low, lever.high, floor=lever.floor)
    if isinstance(lever, ChoiceLever):
        if field.annotation is float:
            floor = None if lever.floor is None else float(lever.floor)
            return Lever.choice(path, [float(o) for o in lever.options], floor=floor)
        return Lever.choice(path, lever.options, floor=lever.floor)
    return Lever.boolean(path, floor=lever.floor)


def _rewrap(exc: UserError, source: str, field: str) -> UserError:
    return UserError(exc.message, source=source, field=field)


def _extremes(lever: Any) -> list[tuple[str, object]]:
    """The values of a lever worth checking against the scenario's own rules: its ends, or every option."""
    if isinstance(lever, ChoiceLever):
        return [(f"options[{i}]", o) for i, o in enumerate(lever.options)]
    if isinstance(lever, BoolLever):
        return [("type", False), ("type", True)]
    return [("low", lever.low), ("high", lever.high)]


def _parameter(path: str, source: str, where: str) -> tuple[str, adapter.SchemaField]:
    """A path that names a parameter the scenario lets change during a run, dotted, with its schema field."""
    try:
        adapter.check_path(path, source)
    except UserError as exc:
        raise _rewrap(exc, source, where) from None
    dotted = path.replace("__", ".")
    field = adapter.schema_field(dotted)
    if field is None:
        raise UserError("names a section, not a parameter", source=source, field=where)
    if adapter.setup_only(dotted):
        raise UserError(f"{dotted} {adapter.SETUP_ONLY}, so it cannot be varied here", source=source, field=where)
    return dotted, field


def _check_balance(path: str, lever: RealLever, base: Any, taken: Mapping[str, str], source: str
                   ) -> tuple[str, float]:
    """The parameter that balances a lever, and the sum the two keep (the scenario's own)."""
    where = f"levers.{path}.balance"
    other, field = _parameter(str(lever.balance), source, where)
    if other == path:
        raise UserError("a lever cannot balance itself", source=source, field=where)
    if other in taken:
        raise UserError(f"{other} is already {taken[other]}", source=source, field=where)
    if field.annotation is not float:
        raise UserError(f"{other} is {_kind_text(field)}; a balance must be a number", source=source, field=where)
    return other, float(adapter.value_at(base, path)) + float(adapter.value_at(base, other))


def _check_uncertain(spec: UncertaintySpec, folder: Path, taken: Mapping[str, str], base: Any, source: str
                     ) -> tuple[Path | None, list[str]]:
    """The posterior file (if any) and the parameters the draws set, each checked against the scenario."""
    names: list[str] = []
    if spec.ranges:
        for path, (low, high) in spec.ranges.items():
            where = f"uncertainty.ranges.{path}"
            dotted, field = _parameter(path, source, where)
            if dotted in taken:
                raise UserError(f"is {taken[dotted]}; it cannot be uncertain too", source=source, field=where)
            if field.annotation is not float:
                raise UserError(f"{dotted} is {_kind_text(field)}; a range needs a number parameter", source=source,
                                field=where)
            for value in (low, high):
                reason = _within(field, value)
                if reason is not None:
                    raise UserError(f"{value:g} is outside the schema's bounds for {dotted} (must be "
                                    f"{_bounds_text(field)})", source=source, field=where)
                try:
                    adapter.load_scenario(base, {dotted: value})
                except UserError as exc:
                    raise UserError(f"the scenario refuses {value:g}: {exc.message}", source=source,
                                    field=where) from None
            names.append(dotted)
        return None, names
    if spec.posterior is None:
        return None, names
    where = "uncertainty.posterior"
    posterior = Path(spec.posterior)
    posterior = posterior if posterior.is_absolute() else folder / posterior
    if not posterior.is_file():
        raise UserError(f"no posterior file at '{posterior}'", source=source, field=where)
    try:
        columns = adapter.posterior_parameters(posterior)
    except UserError as exc:
        raise UserError(f"{posterior}: {exc.message}", source=source, field=where) from None
    for column in columns:
        try:
            dotted, _ = _parameter(column, source, where)
        except UserError as exc:
            raise UserError(f"column '{column}' of {posterior.name} does not match the scenario's parameters: "
                            f"{exc.message}", source=source, field=where) from None
        if dotted in taken:
            raise UserError(f"column '{column}' of {posterior.name} is {taken[dotted]}; it cannot be uncertain too",
                            source=source, field=where)
        names.append(dotted)
    return posterior, names


def _score_range(objective: ObjectiveSpec, bounds: tuple[float, float] | None, source: str, where: str
                 ) -> tuple[float, float]:
    """The fixed range of an objective's KPI: as given, else the KPI's own bounds when both are finite."""
    if objective.range is not None:
        return objective.range
    if bounds is not None and all(math.isfinite(b) for b in bounds):
        return bounds
    why = "has no upper bound" if bounds is not None else "has no known bounds"
    raise UserError(f"is required: {objective.kpi} {why}; give the [low, high] its values are expected to lie in "
                    "(the hypervolume is normalised by it)", source=source, field=f"{where}.range")


def _scores_of(objective: ObjectiveSpec, span: tuple[float, float]) -> list[Score]:
    low, high = span
    out = []
    spread = isinstance(objective.robustness, MeanAndSpreadRobustness)
    for i, (name, direction) in enumerate(objective.scores()):
        if isinstance(objective.robustness, SatisficingRobustness):
            lower, upper = 0.0, 1.0
        elif spread and i == 1:
            lower, upper = 0.0, (high - low) / 2
        else:
            lower, upper = low, high
        out.append(Score(name, objective.kpi, direction, objective.robustness, float(lower), float(upper),
                         spread=spread and i == 1))
    return out


def validate_optimize(spec: OptimizeSpec, source: str, *, known_kpis: KnownKpis, cost: Pricing,
                      folder: Path = Path(".")) -> ResolvedOptimize:
    """Check an optimisation against the scenario schema, the KPI names and the budget.

    ``known_kpis`` are the outcomes an objective may name, or a mapping of them to their bounds
    (an objective on a KPI with finite bounds needs no ``range``); ``cost(base, overrides)`` gives
    the yearly cost of the base scenario with a candidate's parameter changes. Scenario files and
    the posterior are found relative to ``folder`` (the file's folder).
    """
    try:
        scenario = adapter.resolve_scenario(spec.scenario, folder)
    except UserError as exc:
        raise _rewrap(exc, source, "scenario") from None
    fixed = {}
    for path, value in spec.set.items():
        try:
            adapter.check_path(path, source)
        except UserError as exc:
            raise _rewrap(exc, source, f"set.{path}") from None
        fixed[path.replace("__", ".")] = value
    try:
        base = adapter.load_scenario(scenario, fixed)
    except UserError as exc:
        where = f"set.{exc.field}" if exc.source == "--set" else "scenario"
        message = exc.message if exc.source == "--set" else f"{exc.field or ''}: {exc.message}".lstrip(": ")
        raise UserError(message, source=source, field=where) from None

    taken: dict[str, str] = {path: "fixed by 'set'" for path in fixed}
    taken[SEED_PATH] = "set by the search"
    for path in spec.levers:
        taken.setdefault(path.replace("__", "."), "a lever")
    levers: list[Lever] = []
    balances: dict[str, tuple[str, float]] = {}
    for path, lever in spec.levers.items():
        where = f"levers.{path}"
        dotted = path.replace("__", ".")
        if dotted in {lv.name for lv in levers}:
            raise UserError("names a lever given twice", source=source, field=where)
        if dotted == SEED_PATH:
            raise UserError("run seeds come from the search and cannot be a lever", source=source, field=where)
        if dotted in fixed:
            raise UserError("is both a lever and fixed by 'set'", source=source, field=where)
        dotted, field = _parameter(path, source, where)
        _check_lever(dotted, lever, field, source)
        if isinstance(lever, RealLever) and lever.balance is not None:
            balances[dotted] = _check_balance(dotted, lever, base, taken, source)
            taken[balances[dotted][0]] = f"the balance of {dotted}"
        for side, value in _extremes(lever):
            changes = {dotted: value}
            if dotted in balances:
                other, total = balances[dotted]
                changes[other] = total - float(value)
            try:
                adapter.load_scenario(base, changes)
            except UserError as exc:
                raise UserError(f"the scenario refuses {value!r}: {exc.message}", source=source,
                                field=f"{where}.{side}") from None
        levers.append(_to_lever(dotted, lever, field))

    posterior, uncertain = _check_uncertain(spec.uncertainty, folder, taken, base, source)

    scores: list[Score] = []
    known = list(known_kpis)
    bounds = known_kpis if isinstance(known_kpis, Mapping) else {}
    for i, objective in enumerate(spec.objectives):
        where = f"objectives[{i}]"
        if objective.kpi not in known:
            raise UserError(f"unknown KPI '{objective.kpi}'{hint(objective.kpi, known)}", source=source,
                            field=f"{where}.kpi")
        span = _score_range(objective, bounds.get(objective.kpi), source, where)
        for score in _scores_of(objective, span):
            if score.name in {s.name for s in scores}:
                raise UserError(f"repeats the objective '{score.name}'", source=source, field=where)
            scores.append(score)
    if spec.search.population < len(scores):
        raise UserError(f"{spec.search.population} candidates per generation are too few for {len(scores)} "
                        "objectives", source=source, field="search.population")

    fail = None
    if spec.discover is not None:
        from .discover import parse_fail

        if spec.discover.kpi not in known:
            raise UserError(f"unknown KPI '{spec.discover.kpi}'{hint(spec.discover.kpi, known)}", source=source,
                            field="discover.kpi")
        try:
            fail = parse_fail(spec.discover.fail)
        except UserError as exc:
            raise _rewrap(exc, source, "discover.fail") from None
        if not spec.uncertainty.holdout_draws:
            raise UserError("needs hold-out runs to explain; set uncertainty.holdout_draws", source=source,
                            field="discover")

    resolved = ResolvedOptimize(spec=spec, source=source, scenario=scenario, base=base, levers=levers, scores=scores,
                                posterior=posterior, uncertain=uncertain, balances=balances, fail=fail)
    floors = {lever.name: lever.floor for lever in levers}
    try:
        cheapest = float(cost(base, resolved.overrides(floors)))
    except UserError as exc:
        raise UserError(f"the scenario refuses every lever at its floor: {exc.message}", source=source,
                        field="levers") from None
    if cheapest > spec.budget.yuan_per_year:
        raise UserError(f"no lever mix meets it: with every lever at its floor the levers cost "
                        f"{format_value(cheapest, 'yuan/year')}, over the budget of "
                        f"{format_value(spec.budget.yuan_per_year, 'yuan/year')}", source=source,
                        field="budget.yuan_per_year")
    return resolved


def load_optimize(source: str | Path | Mapping[str, Any], *, known_kpis: KnownKpis, cost: Pricing,
                  folder: Path | None = None) -> ResolvedOptimize:
    """Read, validate and check an optimisation file (or a mapping of its contents)."""
    if isinstance(source, Mapping):
        data, label, folder = dict(source), str(source.get("name", "<optimisation>")), folder or Path(".")
    else:
        path = Path(source)
        data, label, folder = read_mapping(path), adapter.shown_path(path), folder or path.parent
    try:
        spec = OptimizeSpec.model_validate(data)
    except ValidationError as exc:
        raise format_error(exc, label) from None
    return validate_optimize(spec, label, known_kpis=known_kpis, cost=cost, folder=folder)

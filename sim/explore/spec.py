"""Optimisation files: which levers to search, under which budget, judged by which robust objectives.

An ``optimize`` experiment is a YAML file validated against :class:`OptimizeSpec`. Loading one
(``load_optimize``) also checks every lever against the scenario schema, every objective against
the known KPIs and the budget against a cost function, so a bad file fails with one line naming
the field (exit code 2) before any simulation starts. The KPI names and the cost function are
arguments, so the model side supplies them. An example::

    name: street-staffing
    description: Posts, pay and grants for a street of ten communities under a fixed budget.
    scenario: baseline                    # bundled name or a YAML file beside this one
    set:                                  # fixed in every run
      population.residents: 50000
      population.communities: 10
    weeks: 156
    levers:                               # schema path -> search range
      workforce.posts_per_1000_residents: {type: real, low: 0.5, high: 3.0}
      workforce.salary_ratio: {type: real, low: 0.6, high: 1.2}
      funding.contract_term_years: {type: choice, options: [1, 3, 5]}
      deliberation.enabled: {type: bool}
    budget: {yuan_per_year: 6000000, over_years: 3}
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
    search: {population: 40, generations: 30, seeds: [1, 2, 3]}

Lever kinds: ``real`` (on a number field), ``integer`` (on a whole-number or a number field),
``choice`` (a list of allowed values, each checked against the field) and ``bool`` (on a
true/false field). A lever's ``floor`` is its cheapest value (by default ``low``, the first
option, or ``false``); the budget must be met with every lever at its floor. Robustness metrics
(see ``robust``): ``mean``, ``percentile`` (needs ``q``, in percent, counted from the bad side),
``worst``, ``satisficing`` (needs ``threshold``; the share of draws meeting it) and
``mean_and_spread`` (two objectives: the mean and the standard deviation over draws).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import adapter
from .adapter import UserError
from .space import Direction, Lever
from .units import format_value

SEED_PATH = "simulation.seed"
"""Every run's seed is derived from the search, so no lever may set this one."""

Cost = Callable[[Mapping[str, object]], float]
"""The yearly cost in yuan (averaged over the budget's years) of a candidate ``{lever path: value}``."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RealLever(_Section):
    type: Literal["real"]
    low: float
    high: float
    floor: float | None = None

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
LEVER_TYPES = {"real": RealLever, "integer": IntegerLever, "choice": ChoiceLever, "bool": BoolLever}


class BudgetSpec(_Section):
    yuan_per_year: float = Field(gt=0, description="The most the levers may cost per year [yuan/year].")
    over_years: int = Field(ge=1, le=100, description="Years the budget covers [years].")


class UncertaintySpec(_Section):
    posterior: str | None = Field(None, description="Posterior draws of a calibration (a file), or none.")
    draws: int = Field(1, ge=1, description="Draws of the uncertain parameters per candidate.")
    replications: int = Field(1, ge=1, description="Model runs per draw, averaged.")
    holdout_draws: int = Field(0, ge=0, description="Fresh draws to re-score the final candidates.")


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
ROBUSTNESS_METRICS = {"mean": MeanRobustness, "percentile": PercentileRobustness, "worst": WorstRobustness,
                      "satisficing": SatisficingRobustness, "mean_and_spread": MeanAndSpreadRobustness}


class ObjectiveSpec(_Section):
    kpi: str
    direction: Direction
    robustness: Robustness = Field(default_factory=lambda: MeanRobustness(metric="mean"))

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


class OptimizeSpec(_Section):
    """A whole optimisation file."""

    name: str = Field(description="Short name, used for the output folder.")
    description: str = ""
    scenario: str = Field("baseline", description="Base scenario: bundled name or YAML file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed overrides of every run (dotted paths).")
    levers: dict[str, LeverSpec] = Field(min_length=1, description="Schema parameter path -> search range.")
    budget: BudgetSpec
    uncertainty: UncertaintySpec = Field(default_factory=UncertaintySpec)
    objectives: list[ObjectiveSpec] = Field(min_length=1)
    search: SearchSpec
    weeks: int | None = Field(None, ge=1, le=5200, description="Horizon override [weeks].")

    @field_validator("name")
    @classmethod
    def _path_safe(cls, v: str) -> str:
        if not v or any(c in v for c in "/\\\0") or v in {".", ".."}:
            raise ValueError(f"name must be a plain file-name-safe word, got {v!r}")
        return v


@dataclass(frozen=True)
class Score:
    """One objective of the search: a robustness score of a KPI over the uncertain draws."""

    name: str
    kpi: str
    direction: Direction
    robustness: Any


@dataclass(frozen=True)
class ResolvedOptimize:
    """An optimisation file checked against the schema, the KPIs and the cost function."""

    spec: OptimizeSpec
    source: str
    scenario: Path
    levers: list[Lever]
    scores: list[Score]
    posterior: Path | None

    @property
    def budget(self) -> float:
        return self.spec.budget.yuan_per_year


# Reading ------------------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe loading that refuses a key given twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key '{key}' appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_mapping(path: Path) -> dict[str, Any]:
    """One YAML mapping, read safely; any problem is one line."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise UserError("optimisation file not found", source=str(path)) from None
    except IsADirectoryError:
        raise UserError("is a folder, not a YAML file", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"malformed YAML{where}: {problem}", source=str(path)) from None
    if not isinstance(data, dict):
        raise UserError(f"an optimisation file is a YAML mapping, got {type(data).__name__}", source=str(path))
    return data


def _hint(word: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(allowed), n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; allowed: {', '.join(allowed)}" if allowed else ""


def _clean_loc(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel] | None]:
    """The location without pydantic's union tags, and the model that holds its last part."""
    model: type[BaseModel] | None = OptimizeSpec
    sections = {"budget": BudgetSpec, "uncertainty": UncertaintySpec, "search": SearchSpec}
    clean: list[Any] = []
    for i, part in enumerate(loc):
        if i == 2 and loc[0] == "levers" and part in LEVER_TYPES:
            model = LEVER_TYPES[part]
            continue
        if i == 3 and loc[0] == "objectives" and loc[2] == "robustness" and part in ROBUSTNESS_METRICS:
            model = ROBUSTNESS_METRICS[part]
            continue
        clean.append(part)
        if i == 0:
            model = sections.get(part)
        elif i == 1 and loc[0] == "objectives":
            model = ObjectiveSpec
        elif i == 2 and loc[0] == "objectives" and part == "robustness":
            model = None
    return tuple(clean), model


def _where(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def format_error(exc: ValidationError, source: str) -> UserError:
    """One validation error as one line naming the field; an unknown field first, a missing one last."""
    err = min(exc.errors(), key=lambda e: {"extra_forbidden": 0, "missing": 2}.get(e["type"], 1))
    raw = tuple(err["loc"])
    kind = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = "type" if raw[0] == "levers" else "metric"
        allowed = list(LEVER_TYPES if key == "type" else ROBUSTNESS_METRICS)
        tag = (err.get("ctx") or {}).get("tag")
        what = (f"unknown {'lever type' if key == 'type' else 'robustness metric'} '{tag}'{_hint(str(tag), allowed)}"
                if tag is not None else f"is required; allowed: {', '.join(allowed)}")
        return UserError(what, source=source, field=_where((*raw, key)))
    loc, model = _clean_loc(raw)
    where = _where(loc) or None
    if kind == "extra_forbidden":
        holder = _clean_loc(raw[:-1])[1] if len(raw) > 1 else OptimizeSpec
        allowed = list(holder.model_fields) if holder is not None else []
        return UserError(f"unknown field '{loc[-1]}'{_hint(str(loc[-1]), allowed)}", source=source, field=where)
    if kind == "missing":
        return UserError("is required but missing", source=source, field=where)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return UserError(msg[len("Value error, "):], source=source, field=where)
    given = repr(err.get("input"))
    given = given if len(given) <= 60 else given[:57] + "..."
    msg = msg[0].lower() + msg[1:]
    return UserError(f"{msg.replace('input should be', 'must be')}, got {given}", source=source, field=where)


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


def _to_lever(path: str, lever: Any) -> Lever:
    if isinstance(lever, RealLever):
        return Lever.real(path, lever.low, lever.high, floor=lever.floor)
    if isinstance(lever, IntegerLever):
        return Lever.integer(path, lever.low, lever.high, floor=lever.floor)
    if isinstance(lever, ChoiceLever):
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


def validate_optimize(spec: OptimizeSpec, source: str, *, known_kpis: Sequence[str], cost: Cost,
                      folder: Path = Path(".")) -> ResolvedOptimize:
    """Check an optimisation against the scenario schema, the KPI names and the budget.

    ``known_kpis`` are the outcomes an objective may name; ``cost`` gives the yearly cost of a
    candidate (``{lever path: value}``). Scenario files and the posterior are found relative to
    ``folder`` (the file's folder).
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

    levers: list[Lever] = []
    for path, lever in spec.levers.items():
        where = f"levers.{path}"
        try:
            adapter.check_path(path, source)
        except UserError as exc:
            raise _rewrap(exc, source, where) from None
        dotted = path.replace("__", ".")
        if dotted in {lv.name for lv in levers}:
            raise UserError("names a lever given twice", source=source, field=where)
        if dotted == SEED_PATH:
            raise UserError("run seeds come from the search and cannot be a lever", source=source, field=where)
        if dotted in fixed:
            raise UserError("is both a lever and fixed by 'set'", source=source, field=where)
        field = adapter.schema_field(dotted)
        if field is None:
            raise UserError("names a section, not a parameter", source=source, field=where)
        _check_lever(dotted, lever, field, source)
        for side, value in _extremes(lever):
            try:
                adapter.load_scenario(base, {dotted: value})
            except UserError as exc:
                raise UserError(f"the scenario refuses {value!r}: {exc.message}", source=source,
                                field=f"{where}.{side}") from None
        levers.append(_to_lever(dotted, lever))

    scores: list[Score] = []
    known = list(known_kpis)
    for i, objective in enumerate(spec.objectives):
        if objective.kpi not in known:
            raise UserError(f"unknown KPI '{objective.kpi}'{_hint(objective.kpi, known)}", source=source,
                            field=f"objectives[{i}].kpi")
        for name, direction in objective.scores():
            if name in {s.name for s in scores}:
                raise UserError(f"repeats the objective '{name}'", source=source, field=f"objectives[{i}]")
            scores.append(Score(name, objective.kpi, direction, objective.robustness))
    if spec.search.population < len(scores):
        raise UserError(f"{spec.search.population} candidates per generation are too few for {len(scores)} "
                        "objectives", source=source, field="search.population")

    posterior = None
    if spec.uncertainty.posterior is not None:
        posterior = Path(spec.uncertainty.posterior)
        posterior = posterior if posterior.is_absolute() else folder / posterior
        if not posterior.is_file():
            raise UserError(f"no posterior file at '{posterior}'", source=source, field="uncertainty.posterior")

    floors = {lever.name: lever.floor for lever in levers}
    cheapest = float(cost(floors))
    if cheapest > spec.budget.yuan_per_year:
        raise UserError(f"no lever mix meets it: with every lever at its floor the levers cost "
                        f"{format_value(cheapest, 'yuan/year')}, over the budget of "
                        f"{format_value(spec.budget.yuan_per_year, 'yuan/year')}", source=source,
                        field="budget.yuan_per_year")
    return ResolvedOptimize(spec=spec, source=source, scenario=scenario, levers=levers, scores=scores,
                            posterior=posterior)


def load_optimize(source: str | Path | Mapping[str, Any], *, known_kpis: Sequence[str], cost: Cost,
                  folder: Path | None = None) -> ResolvedOptimize:
    """Read, validate and check an optimisation file (or a mapping of its contents)."""
    if isinstance(source, Mapping):
        data, label, folder = dict(source), str(source.get("name", "<optimisation>")), folder or Path(".")
    else:
        path = Path(source)
        data, label, folder = read_mapping(path), str(path), folder or path.parent
    try:
        spec = OptimizeSpec.model_validate(data)
    except ValidationError as exc:
        raise format_error(exc, label) from None
    return validate_optimize(spec, label, known_kpis=known_kpis, cost=cost, folder=folder)

"""Experiment files: what to vary, how, how often, and which outcomes to keep.

An experiment is a YAML file validated against :class:`Experiment`. Loading
one also checks every dotted parameter path against the scenario schema, every
value against the parameter's bounds and every outcome against the KPI names,
so a bad file fails with one line and exit code 2 before any run starts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import UserError
from ..metrics import kpi_names
from ..scenario import check_path, get_path, load_scenario
from ..schema import Scenario, path_safe_name

EXPERIMENT_DIR = Path(__file__).resolve().parent.parent.parent / "experiments"
"""Shipped experiments (the repository's ``experiments/`` folder)."""

FIXED_PARAMETERS = ("simulation.seed",)
"""Set by the experiment itself (the seed comes from the master seed)."""


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


class Experiment(Section):
    """A whole experiment file."""

    name: str = Field(description="Short name, used for the results folder.")
    description: str = ""
    base: str = Field("baseline", description="Base scenario: bundled name or YAML file.")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Overrides applied to every run (dotted paths).")
    weeks: int | None = Field(None, ge=1, le=5200, description="Horizon override [weeks].")
    design: Design
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Master seed.")
    common_random_numbers: bool = Field(
        True, description="Give every design point the same seeds (paired comparisons).")
    outcomes: list[str] = Field(default_factory=list, description="KPIs to keep (empty: all).")
    save_series: bool = Field(False, description="Keep each run's weekly series.")

    @field_validator("name")
    @classmethod
    def _path_safe(cls, v: str) -> str:
        return path_safe_name(v)


@dataclass(frozen=True)
class Point:
    """One design point: which scenario, with which parameter values."""

    id: int
    label: str
    scenario: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResolvedExperiment:
    """An experiment with its scenarios loaded and its design points drawn."""

    spec: Experiment
    source: str
    scenarios: dict[str, Scenario]
    points: list[Point]
    outcomes: list[str]
    sample: Any = None
    """The unrounded SALib sample matrix (Morris and Sobol designs)."""

    @property
    def kind(self) -> str:
        return self.spec.design.kind

    @property
    def parameters(self) -> list[str]:
        design = self.spec.design
        return [] if isinstance(design, ScenariosDesign) else list(design.parameters)

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.spec.replications

    def fingerprint(self) -> str:
        """Hash of everything that fixes the runs' results (for safe resume)."""
        blob = json.dumps({
            "experiment": self.spec.model_dump(mode="json", exclude={"description"}),
            "scenarios": {k: s.model_dump(mode="json") for k, s in self.scenarios.items()},
            "points": [[p.id, p.scenario, p.params] for p in self.points],
            "outcomes": self.outcomes,
        }, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def read_mapping(path: Path) -> dict[str, Any]:
    """One YAML mapping, read safely."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("experiment file not found", source=str(path)) from None
    except IsADirectoryError:
        raise UserError("is a folder, not a YAML file", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from None
    except RecursionError:
        raise UserError("YAML nested too deeply", source=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"malformed YAML{where}: {problem}", source=str(path)) from None
    if not isinstance(data, dict):
        raise UserError(f"an experiment is a YAML mapping, got {type(data).__name__}",
                        source=str(path))
    return data


def _allowed_fields(loc: list[Any]) -> list[str] | None:
    model: type[BaseModel] = Experiment
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if model is Experiment and part == "design" and parts and parts[0] in DESIGNS:
            model = DESIGNS[parts.pop(0)]
        elif model is ScenariosDesign and part == "scenarios" and parts and isinstance(parts[0], int):
            parts.pop(0)
            model = ScenarioEntry
        else:
            return None
    return list(model.model_fields)


def _display(loc: list[Any]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if i == 1 and loc[0] == "design" and part in DESIGNS:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _hint(word: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"


def format_error(exc: ValidationError, source: str) -> UserError:
    """The first validation error as one line: field, given value, what is allowed."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = _display(loc) or None
    given = err.get("input")
    shown = repr(given) if len(repr(given)) <= 60 else repr(given)[:57] + "..."
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1]) or []
        return UserError(f"unknown field '{loc[-1]}'{_hint(str(loc[-1]), allowed)}",
                         source=source, field=where)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = (err.get("ctx") or {}).get("tag")
        what = f"unknown design kind '{tag}'{_hint(str(tag), list(DESIGNS))}" if tag else (
            f"design needs a 'kind'; allowed: {', '.join(DESIGNS)}")
        return UserError(what, source=source, field=f"{where}.kind" if tag is None else where)
    if kind == "missing":
        return UserError("required field is missing", source=source, field=where)
    msg = err["msg"]
    msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
    if kind.startswith("value_error"):
        return UserError(msg, source=source, field=where)
    return UserError(f"{msg[0].lower()}{msg[1:]}, got {shown}", source=source, field=where)


def _base_source(name: str, folder: Path) -> str:
    """A scenario named relative to the experiment file, else a bundled name or a path."""
    near = folder / name
    for candidate in (near, near.with_suffix(".yaml")):
        if candidate.is_file():
            return str(candidate)
    return name


def _load(name: str, folder: Path, overrides: Mapping[str, Any], source: str, where: str) -> Scenario:
    try:
        return load_scenario(_base_source(name, folder), overrides)
    except UserError as exc:
        raise UserError(f"{exc}", source=source, field=where) from None


def _check_parameter(path: str, base: Scenario, source: str, where: str) -> None:
    check_path(path, source)
    dotted = path.replace("__", ".")
    if dotted in FIXED_PARAMETERS:
        raise UserError(f"'{dotted}' is set by the experiment's master seed and cannot be varied",
                        source=source, field=where)
    if dotted.split(".")[0] == "timeline" or isinstance(get_path(base.model_dump(), dotted),
                                                        (Mapping, list)):
        raise UserError(f"'{dotted}' names a section, not a parameter", source=source, field=where)


def _check_value(base: Scenario, path: str, value: Any, source: str, where: str) -> None:
    try:
        load_scenario(base, {path: value})
    except UserError as exc:
        raise UserError(f"value {value!r} is not allowed: {exc.message}", source=source,
                        field=where) from None


def _check_outcomes(outcomes: list[str], source: str) -> list[str]:
    known = kpi_names()
    for i, name in enumerate(outcomes):
        if name not in known:
            raise UserError(f"unknown outcome '{name}'{_hint(name, known)}", source=source,
                            field=f"outcomes[{i}]")
    if len(set(outcomes)) < len(outcomes):
        raise UserError("an outcome is listed twice", source=source, field="outcomes")
    return list(outcomes) or known


def resolve_source(source: str | Path) -> Path:
    """An experiment file, or the name of a shipped experiment."""
    path = Path(source)
    if path.is_file():
        return path
    shipped = {p.stem: p for p in sorted(EXPERIMENT_DIR.glob("*.yaml"))}
    if str(source) in shipped:
        return shipped[str(source)]
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        raise UserError("experiment file not found", source=str(source))
    raise UserError(f"no such experiment file or shipped experiment{_hint(str(source), list(shipped))}",
                    source=str(source))


def load_experiment(source: str | Path | Mapping[str, Any], *, replications: int | None = None,
                    overrides: Mapping[str, Any] | None = None, weeks: int | None = None,
                    samples: int | None = None, folder: Path | None = None) -> ResolvedExperiment:
    """Load, validate and resolve an experiment.

    ``replications``, ``overrides`` (dotted paths applied to every run),
    ``weeks`` and ``samples`` (LHS/Sobol samples, Morris trajectories) shrink
    or grow an experiment without editing its file.
    """
    from .design import make_points, param_type

    if isinstance(source, Mapping):
        data, label, folder = dict(source), str(source.get("name", "<experiment>")), folder or Path(".")
    else:
        path = resolve_source(source)
        data, label, folder = read_mapping(path), str(path), path.parent
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise format_error(exc, label) from None
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = replications
    if weeks is not None:
        changes["weeks"] = weeks
    if overrides:
        changes["set"] = {**spec.set, **overrides}
    if samples is not None:
        key = "trajectories" if spec.design.kind == "morris" else "samples"
        if spec.design.kind in ("grid", "scenarios"):
            raise UserError(f"a {spec.design.kind} design has no samples to change", source=label,
                            field="--samples")
        changes["design"] = {**spec.design.model_dump(), key: samples}
    if changes:
        try:
            spec = Experiment.model_validate({**spec.model_dump(), **changes})
        except ValidationError as exc:
            raise format_error(exc, f"{label} (with command-line options)") from None
    for path in spec.set:
        check_path(path, label)
    design = spec.design
    if isinstance(design, ScenariosDesign):
        scenarios = {e.name: _load(e.scenario, folder, {**spec.set, **e.set}, label,
                                   f"design.scenarios[{i}]")
                     for i, e in enumerate(design.scenarios)}
    else:
        base = _load(spec.base, folder, spec.set, label, "base")
        scenarios = {base.name: base}
        for path in design.parameters:
            where = f"design.parameters.{path}"
            _check_parameter(path, base, label, where)
            if path.replace("__", ".") in {p.replace("__", ".") for p in spec.set}:
                raise UserError("is both varied by the design and fixed by 'set'", source=label,
                                field=where)
            if not isinstance(design, GridDesign) and param_type(path) not in (int, float):
                raise UserError(f"'{path}' is not numeric; only grids can vary it", source=label,
                                field=where)
            values = design.parameters[path]
            for value in values:
                _check_value(base, path, value, label, where)
    points, sample = make_points(spec, scenarios)
    if isinstance(design, GridDesign):
        base = next(iter(scenarios.values()))
        for p in points:
            try:
                load_scenario(base, p.params)
            except UserError as exc:
                raise UserError(f"design point {p.label} is not a valid scenario: {exc.message}",
                                source=label, field=exc.field) from None
    outcomes = _check_outcomes(spec.outcomes, label)
    return ResolvedExperiment(spec=spec, source=label, scenarios=scenarios, points=points,
                              outcomes=outcomes, sample=sample)


def to_yaml(spec: Experiment) -> str:
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

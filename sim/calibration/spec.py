"""Calibration files: base scenario, calibrated parameters with priors, targets, schedule.

A calibration is a YAML file validated against :class:`CalibrationSpec`.
Loading one also checks every parameter path against the scenario schema,
every prior's support against the parameter's bounds and every target against
the KPI names of a run's summary, so a bad file fails with one line and exit
code 2 before any simulation starts. An example, at street scale::

    name: street-turnover
    description: Quit and burnout parameters fitted to turnover and burnout figures.
    base: baseline
    set:                                  # fixed in every run
      population.residents: 50000
      population.communities: 10
      funding.ngos: 10
      simulation.resident_agents: false
    weeks: 156
    parameters:                           # schema path -> prior
      workforce.base_quit_rate_per_year: {prior: uniform, low: 0.02, high: 0.3}
      workforce.quit_burnout_effect: {prior: lognormal, median: 1.5, sigma: 0.5}
      workforce.burnout_gain: {prior: normal, mean: 0.04, sd: 0.02, low: 0.0, high: 0.2}
    targets:                              # KPI -> value or range, and its evidence
      sw_turnover_rate: {range: [0.15, 0.25], source: "DOMAIN: ~20%/yr total turnover"}
      sw_burnout_mean: {value: 0.35, source: "assumption: moderate burnout"}
    held_out:                             # checked on the posterior predictive only
      sw_first_year_quit_rate: {range: [0.3, 0.6], source: "DOMAIN: trainees quit more"}
    population: 200                       # accepted particles per generation
    generations: 8                        # and/or final_epsilon: 0.1
    replications: 2                       # model runs per particle, averaged
    prior_share: 0.2                      # proposals drawn from the prior (bounds each weight)
    seed: 1
    predictive_draws: 50

A normal or log-normal prior without ``low``/``high`` is cut to the schema's
bounds; a uniform one, or explicit bounds, must lie inside them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from ..inputs import format_validation_error, hint, read_yaml
from . import adapter, priors
from .adapter import UserError
from .problem import LogNormalPrior, NormalPrior, Prior, Problem, Schedule, Target, UniformPrior

SPEC_FOLDER = Path(__file__).resolve().parents[2] / "experiments" / "calibration"
"""The project's calibration files (in a source checkout)."""
SEED_PATH = "simulation.seed"
"""Model seeds come from the master seed, so no calibration sets or calibrates this one."""
MIN_PRIOR_MASS = 1e-6
"""A truncated prior keeping less of its mass than this is almost surely a typing mistake."""


class CalibrationSpec(Schedule):
    """A whole calibration file."""

    name: str = Field(description="Short name, used for the output folder.")
    description: str = ""
    base: str = Field("baseline", description="Base scenario: bundled name or YAML file.")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Fixed overrides of every run (dotted paths), e.g. street scale.")
    weeks: int | None = Field(None, ge=1, le=5200, description="Horizon override [weeks].")
    parameters: dict[str, Prior] = Field(min_length=1, description="Calibrated parameter path -> prior.")
    targets: dict[str, Target] = Field(min_length=1, description="KPI -> value or range the runs should match.")
    held_out: dict[str, Target] = Field(default_factory=dict,
                                        description="KPI -> pattern checked against the posterior predictive only.")

    @field_validator("name")
    @classmethod
    def _path_safe(cls, v: str) -> str:
        if not v or any(c in v for c in "/\\\0") or v in {".", ".."}:
            raise ValueError(f"name must be a plain file-name-safe word, got {v!r}")
        return v

    @field_validator("set", "parameters")
    @classmethod
    def _dotted(cls, v: dict[str, Any]) -> dict[str, Any]:
        """Paths may be joined by '__' as on the command line; the posterior's columns use dots."""
        return {k.replace("__", "."): value for k, value in v.items()}

    @model_validator(mode="after")
    def _distinct_patterns(self) -> CalibrationSpec:
        both = sorted(set(self.targets) & set(self.held_out))
        if both:
            raise ValueError(f"'{both[0]}' is both a target and a held-out pattern; a held-out pattern "
                             "must not be fitted")
        return self


@dataclass(frozen=True)
class ResolvedCalibration:
    """A calibration file with its base scenario loaded and its priors bounded."""

    spec: CalibrationSpec
    source: str
    problem: Problem


def read_mapping(path: Path) -> dict[str, Any]:
    """One calibration file: the project's one YAML reader (safe, a key given twice refused)."""
    return read_yaml(path, "calibration")


def format_error(exc: ValidationError, source: str) -> UserError:
    """One validation error as one line: the project's one formatter
    (:func:`sim.inputs.format_validation_error`)."""
    return format_validation_error(exc, source, CalibrationSpec)


def _base_source(name: str, folder: Path) -> str:
    """A scenario named relative to the calibration file, else a bundled name or a path."""
    near = folder / name
    for candidate in (near, near.with_suffix(".yaml")):
        if candidate.is_file():
            return str(candidate)
    return name


def _bounded(prior: UniformPrior | NormalPrior | LogNormalPrior, field: adapter.SchemaField, source: str,
             where: str) -> UniformPrior | NormalPrior | LogNormalPrior:
    """The prior with any missing bound taken from the schema; refused if it reaches outside the schema."""
    if not isinstance(prior, UniformPrior):
        low = field.low if prior.low is None else prior.low
        high = field.high if prior.high is None else prior.high
        if isinstance(prior, LogNormalPrior):
            low = max(low, 0.0)
        prior = prior.model_copy(update={"low": low, "high": high})
    low, high = priors.support(prior)
    if low < field.low or high > field.high:
        raise UserError(f"prior support [{low:g}, {high:g}] reaches outside the schema's bounds "
                        f"[{field.low:g}, {field.high:g}] ({field.description})", source=source, field=where)
    if not low < high:
        raise UserError(f"prior support [{low:g}, {high:g}] is empty; low must be below high", source=source,
                        field=where)
    mass = priors.mass_inside(prior)
    if mass < MIN_PRIOR_MASS:
        raise UserError(f"the prior keeps only {mass:.1e} of its mass inside [{low:g}, {high:g}]; check its "
                        "centre and spread", source=source, field=where)
    return prior


def _check_parameter(path: str, spec: CalibrationSpec, source: str) -> adapter.SchemaField:
    where = f"parameters.{path}"
    field = adapter.schema_field(path)
    if field is None:
        try:
            adapter.check_path(path, source)
        except UserError as exc:
            raise UserError(exc.message, source=source, field=where) from None
        raise UserError("names a section, not a parameter", source=source, field=where)
    if field.annotation is not float:
        raise UserError(f"is {field.description}; only real-valued parameters can be calibrated",
                        source=source, field=where)
    if path in spec.set:
        raise UserError("is both calibrated and fixed by 'set'", source=source, field=where)
    return field


def _check_kpis(patterns: Mapping[str, Target], key: str, source: str) -> None:
    known = adapter.kpi_names()
    for name in patterns:
        if name not in known:
            raise UserError(f"unknown KPI '{name}'{hint(name, known)}", source=source, field=f"{key}.{name}")


def _check_support(base: Mapping[str, Any], bounded: dict[str, Any], source: str) -> None:
    """Every prior's ends, one at a time and all together, must make a valid scenario."""
    trials = [{path: end} for path, p in bounded.items() for end in priors.support(p) if math.isfinite(end)]
    for side in (0, 1):
        trials.append({path: priors.support(p)[side] for path, p in bounded.items()
                       if math.isfinite(priors.support(p)[side])})
    for values in trials:
        try:
            adapter.load_scenario(base, values)
        except UserError as exc:
            shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
            raise UserError(f"prior support gives an invalid scenario at {shown}: {exc.message}",
                            source=source, field=f"parameters.{next(iter(values))}") from None


def load_calibration(source: str | Path | Mapping[str, Any], folder: Path | None = None) -> ResolvedCalibration:
    """Load, validate and resolve a calibration file (or mapping) into a runnable problem."""
    if isinstance(source, Mapping):
        data, label, folder = dict(source), str(source.get("name", "<calibration>")), folder or Path(".")
    else:
        path = Path(source)
        data, label, folder = read_mapping(path), str(path), path.parent
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        raise format_error(exc, label) from None
    if SEED_PATH in spec.set:
        raise UserError("model seeds come from the calibration's master 'seed'", source=label,
                        field=f"set.{SEED_PATH}")
    try:
        base = adapter.load_scenario(_base_source(spec.base, folder), spec.set)
    except UserError as exc:
        if exc.source == "--set":
            raise UserError(exc.message, source=label, field=f"set.{exc.field}") from None
        raise UserError(str(exc), source=label, field="base") from None
    base_data = base.model_dump(mode="json")
    fields = {path: _check_parameter(path, spec, label) for path in spec.parameters}
    bounded = {path: _bounded(p, fields[path], label, f"parameters.{path}") for path, p in spec.parameters.items()}
    _check_support(base_data, bounded, label)
    _check_kpis(spec.targets, "targets", label)
    _check_kpis(spec.held_out, "held_out", label)
    schedule = Schedule.model_validate(spec.model_dump(include=set(Schedule.model_fields)))
    problem = Problem(
        name=spec.name, priors=bounded, targets=dict(spec.targets), held_out=dict(spec.held_out),
        simulator=adapter.ScenarioSimulator(base_data, spec.weeks), schedule=schedule,
        units={path: f.unit for path, f in fields.items()},
        identity={"scenario": adapter.scenario_hash(_without_calibrated(base, bounded)), "weeks": spec.weeks})
    return ResolvedCalibration(spec=spec, source=label, problem=problem)


def _without_calibrated(base: adapter.Scenario, bounded: Mapping[str, Prior]) -> adapter.Scenario:
    """The base with every calibrated parameter at its prior's lower bound.

    Every run of the calibration sets those parameters itself, so their values in the base (the
    defaults, which a calibration is meant to update) do not change the calibration and must not
    change its identity.
    """
    return adapter.load_scenario(base, {path: prior.low for path, prior in bounded.items()})


def to_yaml(spec: CalibrationSpec) -> str:
    """The spec as a file would give it: what to calibrate first, the schedule after."""
    data = spec.model_dump(mode="json", exclude_none=True)
    order = [k for k in CalibrationSpec.model_fields if k not in Schedule.model_fields] + list(Schedule.model_fields)
    return yaml.safe_dump({k: data[k] for k in order if k in data}, sort_keys=False, allow_unicode=True)

"""Experiment files: what to vary, how, how often, and which outcomes to keep.

An experiment is a YAML file validated against :class:`Experiment`. Loading
one also checks every dotted parameter path against the scenario schema, every
value against the parameter's bounds and every outcome against the KPI names,
so a bad file fails with one line and exit code 2 before any run starts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from ..errors import UserError
from ..inputs import format_validation_error, hint, read_yaml, shown_path
from ..outputs import kpi_names
from ..params import ParamPath
from ..scenario import load_scenario, shipped_folder
from ..schema import Scenario, path_safe_name
from .design import Design, GridDesign, Point, ScenariosDesign, Section, make_points
from .posterior import Posterior, check_no_overlap, check_scenarios_leave_drawn

EXPERIMENT_DIR = shipped_folder("experiments")
"""Shipped experiments: the installed package's copy, else the repository's ``experiments/`` folder."""

FIXED_PARAMETERS = ("simulation.seed",)
"""Set by the experiment itself (the seed comes from the master seed)."""


class Experiment(Section):
    """A whole experiment file."""

    name: str = Field(description="Short name, used for the results folder.")
    description: str = ""
    base: str = Field("baseline", description="Base scenario: bundled name or YAML file.")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Overrides applied to every run (dotted paths).")
    weeks: int | None = Field(None, ge=1, le=5200, description="Horizon override [weeks].")
    scale: float | None = Field(None, gt=0, le=1000, description="Scale factor for residents, communities "
                                "and agencies (per-capita settings unchanged).")
    design: Design
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Master seed.")
    common_random_numbers: bool = Field(
        True, description="Give every design point the same seeds (paired comparisons).")
    outcomes: list[str] = Field(default_factory=list, description="KPIs to keep (empty: all).")
    save_series: bool = Field(False, description="Keep each run's weekly series.")
    posterior: str | None = Field(
        None, description="Posterior of a calibration (its posterior.parquet or folder, relative to this "
        "file): each run draws its calibrated parameters from it, so intervals carry parameter uncertainty.")

    @field_validator("name")
    @classmethod
    def _path_safe(cls, v: str) -> str:
        return path_safe_name(v)


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
    posterior: Posterior | None = None
    """Parameter sets the runs draw from (``spec.posterior`` read)."""

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
            **({"posterior": self.posterior.digest} if self.posterior is not None else {}),
        }, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


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


def _check_parameter(name: str, source: str, where: str) -> ParamPath:
    path = ParamPath.parse(name, source)
    if path.dotted in FIXED_PARAMETERS:
        raise UserError(f"'{path}' is set by the experiment's master seed and cannot be varied",
                        source=source, field=where)
    if not path.is_parameter:
        raise UserError(f"'{path}' names a section, not a parameter", source=source, field=where)
    return path


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
            raise UserError(f"unknown outcome '{name}'{hint(name, known)}", source=source,
                            field=f"outcomes[{i}]")
    if len(set(outcomes)) < len(outcomes):
        raise UserError("an outcome is listed twice", source=source, field="outcomes")
    return list(outcomes) or known


OTHER_KINDS = {"levers": "an optimisation: run it with cogov optimize"}
"""Top-level keys of the other shipped files in ``experiments/``, and what to do with them."""


def other_kind(path: Path) -> str | None:
    """What a YAML file in ``experiments/`` is when it is not a sweep (``None`` for a sweep)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if isinstance(data, dict) and "design" not in data:
        return next((what for key, what in OTHER_KINDS.items() if key in data), None)
    return None


def shipped_experiments() -> dict[str, Path]:
    """The shipped sweep experiments by name (the folder also holds optimisations)."""
    return {p.stem: p for p in sorted(EXPERIMENT_DIR.glob("*.yaml")) if other_kind(p) is None}


def resolve_source(source: str | Path) -> Path:
    """An experiment file, or the name of a shipped experiment."""
    path = Path(source)
    if not path.is_file() and (EXPERIMENT_DIR / f"{source}.yaml").is_file():
        path = EXPERIMENT_DIR / f"{source}.yaml"
    if path.is_file():
        what = other_kind(path)
        if what:
            raise UserError(f"is not an experiment but {what}", source=str(source))
        return path
    shipped = shipped_experiments()
    if str(source) in shipped:
        return shipped[str(source)]
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        raise UserError("experiment file not found", source=str(source))
    raise UserError(f"no such experiment file or shipped experiment{hint(str(source), list(shipped))}",
                    source=str(source))


def load_experiment(source: str | Path | Mapping[str, Any], *, replications: int | None = None,
                    overrides: Mapping[str, Any] | None = None, weeks: int | None = None,
                    samples: int | None = None, folder: Path | None = None,
                    posterior: str | Path | None = None) -> ResolvedExperiment:
    """Load, validate and resolve an experiment.

    ``replications``, ``overrides`` (dotted paths applied to every run),
    ``weeks`` and ``samples`` (LHS/Sobol samples, Morris trajectories) shrink
    or grow an experiment without editing its file; ``posterior`` (a
    calibration's posterior file or folder) makes each run draw its calibrated
    parameters from it (:mod:`.posterior`).
    """
    if isinstance(source, Mapping):
        data, label, folder = dict(source), str(source.get("name", "<experiment>")), folder or Path(".")
    else:
        path = resolve_source(source)
        data, label, folder = read_yaml(path, "experiment"), shown_path(path), path.parent
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, label, Experiment) from None
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = replications
    if weeks is not None:
        changes["weeks"] = weeks
    if overrides:
        changes["set"] = {**spec.set, **overrides}
    if posterior is not None:
        changes["posterior"] = str(posterior)
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
            raise format_validation_error(exc, f"{label} (with command-line options)", Experiment) from None
    fixed = {ParamPath.parse(path, label).dotted for path in spec.set}
    design = spec.design
    if isinstance(design, ScenariosDesign):
        scenarios = {e.name: _load(e.scenario, folder, {**spec.set, **e.set}, label,
                                   f"design.scenarios[{i}]")
                     for i, e in enumerate(design.scenarios)}
    else:
        base = _load(spec.base, folder, spec.set, label, "base")
        scenarios = {base.name: base}
        for name in design.parameters:
            where = f"design.parameters.{name}"
            path = _check_parameter(name, label, where)
            if path.dotted in fixed:
                raise UserError("is both varied by the design and fixed by 'set'", source=label,
                                field=where)
            if not isinstance(design, GridDesign) and path.kind not in (int, float):
                raise UserError(f"'{path}' is not numeric; only grids can vary it", source=label,
                                field=where)
            for value in design.parameters[name]:
                _check_value(base, name, value, label, where)
    points, sample = make_points(design, spec.seed, next(iter(scenarios)))
    if isinstance(design, GridDesign):
        base = next(iter(scenarios.values()))
        for p in points:
            try:
                load_scenario(base, p.params)
            except UserError as exc:
                raise UserError(f"design point {p.label} is not a valid scenario: {exc.message}",
                                source=label, field=exc.field) from None
    outcomes = _check_outcomes(spec.outcomes, label)
    drawn = None
    if spec.posterior is not None:
        where = Path(spec.posterior)
        if posterior is None and not where.is_absolute():
            where = folder / where
        drawn = Posterior.read(where)
        varied = set() if isinstance(design, ScenariosDesign) else {ParamPath.parse(n).dotted
                                                                     for n in design.parameters}
        if isinstance(design, ScenariosDesign):
            fixed |= {ParamPath.parse(n).dotted for e in design.scenarios for n in e.set}
        check_no_overlap(drawn, fixed, varied, label)
        check_scenarios_leave_drawn(drawn, scenarios, label)
    return ResolvedExperiment(spec=spec, source=label, scenarios=scenarios, points=points,
                              outcomes=outcomes, sample=sample, posterior=drawn)


def to_yaml(spec: Experiment) -> str:
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

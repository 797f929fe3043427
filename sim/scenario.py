"""Loading scenarios: YAML files, ``extends:``, overrides, variants, clear errors.

Every failure here raises :class:`~sim.errors.UserError` naming the file, the
field path, what was given and what is allowed. A run's scenario is validated
once: :func:`load_scenario` applies overrides and the variant options (seed,
horizon, scale) to the plain data before the one validation.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import warnings
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import UserError
from .inputs import format_validation_error, hint, read_yaml, reject_bools, show, shown_path
from .params import ParamPath
from .schema import Scenario, When


def shipped_folder(name: str) -> Path:
    """The folder of shipped ``name`` files (``scenarios``, ``experiments``).

    A wheel carries copies under ``sim/bundled/`` (made by ``setup.py`` at build
    time), so an installed package runs them by name from any folder; a source
    checkout has no copies and uses the repository's top-level folder, the files
    users read and edit.
    """
    copy = resources.files("sim") / "bundled" / name
    if isinstance(copy, Path) and copy.is_dir():
        return copy
    return Path(__file__).resolve().parent.parent / name


SCENARIO_DIR = shipped_folder("scenarios")
"""Bundled scenarios: the installed package's copy, else the repository's ``scenarios/`` folder."""

SETUP_ONLY = "is read only when the model is built (setup) and cannot change during a run"

STREET = {"population.residents": 50000, "population.communities": 10, "funding.ngos": 10,
          "simulation.resident_agents": False}
"""A street (街道) of ten communities and about fifty social workers: the scale at which policy effects on
turnover are judged (one community's five workers are one noisy draw)."""

BYTES_PER_RESIDENT = 900
"""Measured peak memory per resident with Resident agents (bytes); see benchmarks/."""
BYTES_PER_RESIDENT_NO_AGENTS = 480
MEMORY_LIMIT_BYTES = 16 * 2**30
"""Largest run allowed even on a machine with more memory than this."""


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    if not SCENARIO_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.yaml"))}


def resolve_path(source: str | Path) -> Path:
    """A scenario path, or the name of a bundled scenario."""
    path = Path(source)
    if path.is_file():
        return path
    bundled = bundled_scenarios()
    name = str(source)
    if name in bundled:
        return bundled[name]
    if path.is_dir():
        raise UserError("is a folder, not a scenario file", source=name)
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        raise UserError("scenario file not found", source=name)
    raise UserError(f"no such scenario file or bundled scenario{hint(name, bundled)}", source=name)


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into ``base``; mappings merge, everything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _load_raw(path: Path, chain: tuple[Path, ...] = (),
              origins: dict[str, str] | None = None) -> dict[str, Any]:
    """The merged data of a file and its parents; ``origins`` learns which file set each value."""
    real = Path(path).resolve()
    shown = shown_path(Path(path))
    if real in chain:
        cycle = " -> ".join(p.name for p in (*chain, real))
        raise UserError(f"cycle of parents: {cycle}", source=shown, field="extends")
    data = read_yaml(path, "scenario")
    parent = data.pop("extends", None)
    if origins is not None:
        mine = dict.fromkeys(_leaves(data), shown)
    if parent is None:
        if origins is not None:
            origins.update(mine)
        return data
    if not isinstance(parent, str) or not parent:
        raise UserError(f"must be a scenario file or bundled scenario name, got {show(parent)}",
                        source=shown, field="extends")
    candidate = real.parent / parent
    if not candidate.suffix:
        candidate = candidate.with_suffix(".yaml")
    bundled = bundled_scenarios()
    if candidate.is_file():
        parent_path = candidate
    elif parent in bundled:
        parent_path = bundled[parent]
    else:
        raise UserError(f"parent scenario '{parent}' not found: no file {shown_path(candidate)} and "
                        f"no bundled scenario of that name{hint(parent, bundled)}",
                        source=shown, field="extends")
    merged = deep_merge(_load_raw(parent_path, (*chain, real), origins), data)
    if origins is not None:
        origins.update(mine)
    return merged


def validate_data(data: Mapping[str, Any], source: str) -> Scenario:
    """The one validation of a scenario's plain data, timeline events included."""
    reject_bools(data, Scenario, [], source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source, Scenario) from None
    # Events apply in week order and all changes of one event at once (time shares that must
    # sum to 1 can move together), as the model applies them.
    trial = scenario.model_dump()
    order = sorted(range(len(scenario.timeline)), key=lambda j: scenario.timeline[j].week)
    for i in order:
        event = scenario.timeline[i]
        changes = [("set", k, v) for k, v in event.set.items()]
        changes += [("scale", k, v) for k, v in event.scale.items()]
        for how, dotted, value in changes:
            where = f"timeline[{i}].{how}.{dotted}"
            path = ParamPath.parse(dotted, source, where)
            if not path.is_parameter:
                raise UserError("names a section, not a parameter", source=source, field=where)
            if path.when is When.SETUP:
                raise UserError(SETUP_ONLY, source=source, field=where)
            current = path.get(trial)
            if isinstance(value, bool) and not isinstance(current, bool):
                raise UserError(f"must be a number, got {show(value)}", source=source, field=where)
            path.set(trial, current * value if how == "scale" else value)
        try:
            Scenario.model_validate(trial)
        except ValidationError as exc:
            inner = format_validation_error(exc, source, Scenario)
            what = f"{inner.field}: {inner.message}" if inner.field else inner.message
            raise UserError(f"after its change in week {event.week}, {what}",
                            source=source, field=f"timeline[{i}]") from None
    check_memory(scenario, source)
    return scenario


def estimated_memory_bytes(scenario: Scenario) -> int:
    per = (BYTES_PER_RESIDENT if scenario.simulation.resident_agents
           else BYTES_PER_RESIDENT_NO_AGENTS)
    return int(scenario.population.residents * per + 200 * 2**20)


def memory_limit_bytes() -> int:
    """The smaller of :data:`MEMORY_LIMIT_BYTES` and this machine's memory."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return MEMORY_LIMIT_BYTES
    return min(MEMORY_LIMIT_BYTES, physical) if physical > 0 else MEMORY_LIMIT_BYTES


def check_memory(scenario: Scenario, source: str) -> None:
    need = estimated_memory_bytes(scenario)
    limit = memory_limit_bytes()
    if need > limit:
        lighter = ("set simulation.resident_agents: false or use fewer residents"
                   if scenario.simulation.resident_agents else "use fewer residents")
        raise UserError(
            f"{scenario.population.residents:,} residents need about {need / 2**30:.1f} GiB of "
            f"memory, above the limit of {limit / 2**30:.1f} GiB; {lighter}",
            source=source, field="population.residents")


def _blame(error: UserError, origins: Mapping[str, str]) -> UserError:
    """Name the file (or ``--set``) that gave the value an error is about.

    After ``extends:`` and ``--set`` a value may come from a parent file or the
    command line rather than the file that was named.
    """
    field = (error.field or "").replace("[", ".").replace("]", "")
    if not field:
        return error
    if any(o == "--set" and k.startswith(field + ".") for k, o in origins.items()):
        return UserError(error.message, source="--set", field=error.field)
    owners = [k for k in origins if field == k or field.startswith(k + ".")]
    if owners:
        return UserError(error.message, source=origins[max(owners, key=len)], field=error.field)
    return error


def _number_at(data: Mapping[str, Any], path: ParamPath) -> float | None:
    """A number in plain scenario data, or the schema default where the data leaves it out."""
    try:
        value = path.get(data)
    except (KeyError, TypeError, AttributeError):
        value = path.info.default
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def warmup_for(horizon: int, warmup: int) -> int:
    """The warm-up kept when a horizon is shortened: the scenario's, cut to fit."""
    return min(warmup, horizon - 1)


def _apply_variant(data: dict[str, Any], seed: int | None, weeks: int | None, scale: float | None,
                   origins: dict[str, str]) -> None:
    """Seed, horizon and scale of a variant, written into the plain data before validation."""
    sim = data.setdefault("simulation", {})
    if not isinstance(sim, dict):
        return
    if seed is not None:
        sim["seed"] = seed
        origins["simulation.seed"] = "--seed"
    if weeks is not None:
        if not isinstance(weeks, int) or isinstance(weeks, bool) or weeks < 1:
            raise UserError(f"must be a whole number of at least 1, got {show(weeks)}", field="--weeks")
        warm = _number_at(data, ParamPath(("simulation", "warmup_weeks")))
        sim["horizon_weeks"] = weeks
        origins["simulation.horizon_weeks"] = "--weeks"
        if warm is not None:
            sim["warmup_weeks"] = warmup_for(weeks, int(warm))
        events = data.get("timeline")
        if isinstance(events, list):
            late = [e for e in events if isinstance(e, Mapping) and isinstance(e.get("week"), int)
                    and e["week"] >= weeks]
            for e in late:
                warnings.warn(f"--weeks {weeks} ends the run before the timeline event in week {e['week']} "
                              f"({e.get('label') or 'unlabelled'}); it will not apply", UserWarning, stacklevel=4)
            data["timeline"] = [e for e in events if not any(e is x for x in late)]
    if scale is not None:
        if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 < scale <= 1000:
            raise UserError(f"must be a number above 0 and at most 1,000, got {show(scale)}", field="scale")
        for path, least in SCALED:
            value = _number_at(data, path)
            if value is not None:
                path.set(data, max(int(round(value * scale)), least))


SCALED = ((ParamPath(("population", "residents")), 1), (ParamPath(("population", "communities")), 1),
          (ParamPath(("funding", "ngos")), 1))
"""What a scale factor multiplies: residents, and with them communities and agencies; per-capita
settings (posts per 1,000 residents) then give the same picture per resident."""


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario | None = None,
                  overrides: Mapping[str, Any] | None = None, *, seed: int | None = None,
                  weeks: int | None = None, scale: float | None = None) -> Scenario:
    """Load a scenario, or derive a variant of one, with one validation.

    ``source`` is a YAML path, a bundled scenario name, a mapping, a
    :class:`Scenario`, or ``None`` for the defaults. ``overrides`` maps dotted
    (or ``__``-joined) parameter paths to values, as ``--set`` does. ``seed``
    replaces the scenario's seed; ``weeks`` shortens or extends the horizon (the
    warm-up is cut to fit, later timeline events are dropped with a warning);
    ``scale`` multiplies residents, communities and agencies. A
    :class:`Scenario` given with nothing to change is returned as it is.
    """
    if isinstance(source, Scenario) and not overrides and seed is None and weeks is None and scale is None:
        return source
    origins: dict[str, str] = {}
    if isinstance(source, Scenario):
        data, label = source.model_dump(), source.name
    elif isinstance(source, Mapping):
        label = str(source.get("name", "<mapping>"))
        data = copy.deepcopy(dict(source))
        if "extends" in data:
            parent = data.pop("extends")
            data = deep_merge(_load_raw(resolve_path(parent), origins=origins), data)
            origins.update(dict.fromkeys(_leaves(data), label))
    elif source is None:
        data, label = {"name": "default"}, "<defaults>"
    else:
        path = resolve_path(source)
        label = shown_path(path)
        data = _load_raw(path, origins=origins)
        data.setdefault("name", path.stem)
    for key, value in (overrides or {}).items():
        path = ParamPath.parse(key, "--set")
        path.set(data, value)
        origins[path.dotted] = "--set"
    _apply_variant(data, seed, weeks, scale, origins)
    try:
        return validate_data(data, label)
    except UserError as exc:
        raise _blame(exc, origins) from None


def scenario_hash(scenario: Scenario) -> str:
    """A stable hash of the resolved inputs (for provenance)."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def to_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

"""Loading scenarios: YAML files, ``extends:``, ``--set`` overrides, clear errors.

Every failure here raises :class:`~sim.errors.UserError` naming the file, the
field path, what was given and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import UserError
from .schema import Scenario

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""Bundled scenarios (the repository's ``scenarios/`` folder)."""

INIT_ONLY_SECTIONS = ("simulation", "population", "network")
"""Sections fixed when the model is built; timeline events cannot change them."""

BYTES_PER_RESIDENT = 900
"""Measured peak memory per resident with Resident agents (bytes); see benchmarks/."""
BYTES_PER_RESIDENT_NO_AGENTS = 300
MEMORY_LIMIT_BYTES = 16 * 2**30


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
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        raise UserError("scenario file not found", source=str(source))
    hint = difflib.get_close_matches(name, list(bundled), n=1)
    extra = f"; did you mean '{hint[0]}'?" if hint else f"; bundled: {', '.join(bundled)}"
    raise UserError(f"no such scenario file or bundled scenario{extra}", source=name)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping, safely (no Python object construction)."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise UserError("is a folder, not a YAML file", source=str(path)) from None
    except OSError as exc:
        raise UserError(f"cannot read file ({exc.strerror})", source=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                        source=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        tag = getattr(exc, "problem", "") or "a tag"
        raise UserError(f"YAML tags that construct objects are not allowed ({tag.strip()})",
                        source=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"malformed YAML{where}: {problem}", source=str(path)) from None
    if data is None:
        raise UserError("file is empty; a scenario is a YAML mapping of sections",
                        source=str(path))
    if not isinstance(data, dict):
        raise UserError(f"top level must be a mapping of sections, got a {type(data).__name__}",
                        source=str(path))
    return data


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into ``base``; mappings merge, everything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise UserError(f"extends: cycle ({cycle})", source=str(path), field="extends")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise UserError(f"must be a file name or bundled scenario name, got {parent!r}",
                        source=str(path), field="extends")
    candidate = (path.parent / parent)
    if not candidate.suffix:
        candidate = candidate.with_suffix(".yaml")
    if candidate.is_file():
        parent_path = candidate
    elif parent in bundled_scenarios():
        parent_path = bundled_scenarios()[parent]
    else:
        raise UserError(f"parent scenario '{parent}' not found", source=str(path), field="extends")
    return deep_merge(_load_raw(parent_path, (*chain, path)), data)


def parse_value(text: str) -> Any:
    """A ``--set`` value: YAML scalar syntax (numbers, true/false, lists)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_assignments(items: Iterable[str], source: str = "--set") -> dict[str, Any]:
    """``["a.b=1", ...]`` into ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise UserError(f"expected KEY=VALUE, got {item!r}", source=source)
        key, _, value = item.partition("=")
        key = key.strip()
        if not key:
            raise UserError(f"empty key in {item!r}", source=source)
        out[key] = parse_value(value.strip())
    return out


def _fields_at(path: list[str]) -> list[str] | None:
    model: type[BaseModel] = Scenario
    for part in path:
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            return None
    return list(model.model_fields)


def check_path(dotted: str, source: str) -> None:
    """Fail clearly when a dotted path names no parameter."""
    parts = dotted.replace("__", ".").split(".")
    for i, part in enumerate(parts):
        allowed = _fields_at(parts[:i])
        if allowed is None:
            raise UserError(f"'{'.'.join(parts[:i])}' has no sub-fields", source=source,
                            field=dotted)
        if part not in allowed:
            hint = difflib.get_close_matches(part, allowed, n=1)
            sug = f"; did you mean '{'.'.join([*parts[:i], hint[0]])}'?" if hint else (
                f"; allowed: {', '.join(allowed)}")
            raise UserError(f"unknown field '{part}'{sug}", source=source, field=dotted)


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.replace("__", ".").split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def get_path(obj: Any, dotted: str) -> Any:
    for part in dotted.replace("__", ".").split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def format_validation_error(exc: ValidationError, source: str) -> UserError:
    """The first validation error as one line: field, what was given, what is allowed."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc)
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at([p for p in loc[:-1] if not p.isdigit()]) or []
        hint = difflib.get_close_matches(loc[-1], allowed, n=1)
        sug = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
        return UserError(f"unknown field '{loc[-1]}'{sug}", source=source, field=field)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if isinstance(given, float) and not math.isfinite(given):
        return UserError(f"must be a finite number, got {given}", source=source, field=field)
    shown = repr(given)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind in ("model_type", "dict_type") or isinstance(given, dict) and kind.endswith("_type"):
        return UserError(f"{msg.lower()}, got {shown}", source=source, field=field or "(top)")
    if field and not kind.startswith("value_error"):
        return UserError(f"{msg.lower()}, got {shown}", source=source, field=field)
    return UserError(msg, source=source, field=field or None)


def validate_data(data: Mapping[str, Any], source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None
    for i, event in enumerate(scenario.timeline):
        for dotted, value in {**event.set, **event.scale}.items():
            check_path(dotted, source)
            section = dotted.split(".")[0]
            if section in INIT_ONLY_SECTIONS:
                raise UserError(f"'{section}' is fixed when the model is built and cannot change "
                                "during a run", source=source, field=f"timeline[{i}].{dotted}")
            trial = scenario.model_dump()
            current = get_path(trial, dotted)
            if isinstance(current, Mapping):
                raise UserError("names a section, not a parameter", source=source,
                                field=f"timeline[{i}].{dotted}")
            new = current * value if dotted in event.scale else value
            set_path(trial, dotted, new)
            try:
                Scenario.model_validate(trial)
            except ValidationError as exc:
                inner = format_validation_error(exc, source)
                raise UserError(f"{inner.message} (after the change in week {event.week})",
                                source=source, field=f"timeline[{i}].{dotted}") from None
    check_memory(scenario, source)
    return scenario


def estimated_memory_bytes(scenario: Scenario) -> int:
    per = (BYTES_PER_RESIDENT if scenario.simulation.resident_agents
           else BYTES_PER_RESIDENT_NO_AGENTS)
    return int(scenario.population.residents * per + 200 * 2**20)


def check_memory(scenario: Scenario, source: str) -> None:
    need = estimated_memory_bytes(scenario)
    if need > MEMORY_LIMIT_BYTES:
        raise UserError(
            f"{scenario.population.residents:,} residents need about {need / 2**30:.1f} GiB of "
            f"memory, above the {MEMORY_LIMIT_BYTES / 2**30:.0f} GiB limit; set "
            "simulation.resident_agents: false or use fewer residents",
            source=source, field="population.residents")


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario.

    ``source`` is a YAML path, a bundled scenario name, a mapping, a
    :class:`Scenario`, or ``None`` for the defaults. ``overrides`` maps dotted
    (or ``__``-joined) parameter paths to values, as ``--set`` does.
    """
    if isinstance(source, Scenario):
        data, label = source.model_dump(), source.name
    elif isinstance(source, Mapping):
        label = str(source.get("name", "<mapping>"))
        data = dict(source)
        if "extends" in data:
            parent = data.pop("extends")
            data = deep_merge(_load_raw(resolve_path(parent)), data)
    elif source is None:
        data, label = {"name": "default"}, "<defaults>"
    else:
        path = resolve_path(source)
        label = str(path)
        data = _load_raw(path)
        data.setdefault("name", path.stem)
    if overrides:
        for dotted, value in overrides.items():
            check_path(dotted, "--set")
            set_path(data, dotted, value)
    return validate_data(data, label)


def scenario_hash(scenario: Scenario) -> str:
    """A stable hash of the resolved inputs (for provenance)."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def to_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

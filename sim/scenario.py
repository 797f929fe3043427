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
import os
import re
import reprlib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .errors import UserError
from .schema import Scenario

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""Bundled scenarios (the repository's ``scenarios/`` folder)."""

INIT_ONLY_SECTIONS = ("simulation", "population", "network")
"""Sections fixed when the model is built; timeline events cannot change them."""

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


def _shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _hint(word: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    match = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean '{match[0]}'?" if match else f"; allowed: {', '.join(choices)}"


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
    raise UserError(f"no such scenario file or bundled scenario{_hint(name, bundled)}", source=name)


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """Safe loading that also refuses a key given twice in one mapping.

    PyYAML would silently keep the last value; in a hand-edited scenario the
    first one is as likely to be the intended one.
    """

    def construct_mapping(self, node, deep=False):
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, typing.Hashable) and key in seen:
                raise _DuplicateKey(problem=f"key '{key}' appears twice in the same mapping",
                                    problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping, safely (no Python object construction)."""
    shown = _shown_path(Path(path))
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError("scenario file not found", source=shown) from None
    except IsADirectoryError:
        raise UserError("is a folder, not a YAML file", source=shown) from None
    except OSError as exc:
        raise UserError(f"cannot read file ({exc.strerror})", source=shown) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                        "save the file as UTF-8", source=shown) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except _DuplicateKey as exc:
        raise UserError(f"{exc.problem}{_where(exc.problem_mark)}", source=shown) from None
    except yaml.constructor.ConstructorError as exc:
        tag = re.search(r"tag '([^']*)'", exc.problem or "")
        if tag:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise UserError(f"YAML tag '{name}'{_where(exc.problem_mark)} is not allowed: a scenario "
                            "is plain data (mappings, lists, numbers, text)", source=shown) from None
        raise UserError(f"malformed YAML{_where(exc.problem_mark)}: {exc.problem}",
                        source=shown) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"malformed YAML{_where(getattr(exc, 'problem_mark', None))}: {problem}",
                        source=shown) from None
    except RecursionError:
        raise UserError("malformed YAML: nested too deeply", source=shown) from None
    if data is None:
        raise UserError("file is empty; a scenario is a YAML mapping of sections", source=shown)
    if not isinstance(data, dict):
        raise UserError("top level must be a mapping of sections (name: ..., workforce: ...), "
                        f"got {_type_word(data)}", source=shown)
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
    shown = _shown_path(Path(path))
    if real in chain:
        cycle = " -> ".join(p.name for p in (*chain, real))
        raise UserError(f"cycle of parents: {cycle}", source=shown, field="extends")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if origins is not None:
        mine = dict.fromkeys(_leaves(data), shown)
    if parent is None:
        if origins is not None:
            origins.update(mine)
        return data
    if not isinstance(parent, str) or not parent:
        raise UserError(f"must be a scenario file or bundled scenario name, got {_show(parent)}",
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
        raise UserError(f"parent scenario '{parent}' not found: no file {_shown_path(candidate)} and "
                        f"no bundled scenario of that name{_hint(parent, bundled)}",
                        source=shown, field="extends")
    merged = deep_merge(_load_raw(parent_path, (*chain, real), origins), data)
    if origins is not None:
        origins.update(mine)
    return merged


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
            raise UserError(f"expected KEY=VALUE (e.g. workforce.salary_ratio=0.8), got {item!r}",
                            source=source)
        key, _, value = item.partition("=")
        key = key.strip()
        if not key:
            raise UserError(f"missing the parameter name before '=' in {item!r}", source=source)
        if not value.strip():
            raise UserError(f"missing the value after '=' in {item!r}", source=source, field=key)
        out[key] = parse_value(value.strip())
    return out


def _item_model(annotation: Any) -> type[BaseModel] | None:
    """The section type a field holds: a section, or the items of a list of sections."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list and args and isinstance(args[0], type) \
            and issubclass(args[0], BaseModel):
        return args[0]
    return None


def _walk(path: Iterable[Any]) -> tuple[FieldInfo | None, type[BaseModel] | None]:
    """The field at a schema path (list indices skipped) and the section it holds, if any."""
    model: type[BaseModel] | None = Scenario
    info: FieldInfo | None = None
    for part in path:
        if isinstance(part, int) or str(part).isdigit():
            continue
        if model is None or part not in model.model_fields:
            return None, None
        info = model.model_fields[part]
        model = _item_model(info.annotation)
    return info, model


def _fields_at(path: list[str]) -> list[str] | None:
    model = _walk(path)[1]
    return list(model.model_fields) if model is not None else None


def _check_path(dotted: str, source: str, field: str) -> None:
    parts = dotted.replace("__", ".").split(".")
    for i, part in enumerate(parts):
        allowed = _fields_at(parts[:i])
        if allowed is None:
            raise UserError(f"'{'.'.join(parts[:i])}' is a parameter and has no sub-fields",
                            source=source, field=field)
        if part not in allowed:
            match = difflib.get_close_matches(part, allowed, n=1)
            hint = (f"; did you mean '{'.'.join([*parts[:i], match[0]])}'?" if match
                    else f"; allowed: {', '.join(allowed)}")
            raise UserError(f"unknown field '{part}'{hint}", source=source, field=field)


def check_path(dotted: str, source: str) -> None:
    """Fail clearly when a dotted path names no parameter."""
    _check_path(dotted, source, dotted)


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


_REPR = reprlib.Repr()
_REPR.maxstring = 50
_REPR.maxother = 50
_REPR.maxlist = _REPR.maxdict = 4
_REPR.maxlevel = 2


def _show(value: Any) -> str:
    """A given value as a reader of the YAML file would recognise it (and never huge)."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return _REPR.repr(value)


def _type_word(value: Any) -> str:
    words = {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
             bool: "true/false"}
    return words.get(type(value), f"a {type(value).__name__}")


def _number(x: float) -> str:
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    return f"{x:g}"


def describe_field(info: FieldInfo) -> str:
    """What a field accepts, e.g. 'a number from 0 to 1 [share]'."""
    ann = info.annotation
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(ann)
    if kind is None:
        model = _item_model(ann)
        if model is not None and typing.get_origin(ann) is list:
            kind = "a list of mappings"
        elif model is not None:
            kind = f"a mapping of parameters ({', '.join(list(model.model_fields)[:3])}, ...)"
        else:
            kind = {list: "a list", dict: "a mapping"}.get(typing.get_origin(ann), "a value")
    lo = hi = None
    lo_word, hi_word = "at least", "at most"
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_word = m.gt, "above"
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_word = m.lt, "below"
    if lo is not None and hi is not None and (lo_word, hi_word) == ("at least", "at most"):
        kind += f" from {_number(lo)} to {_number(hi)}"
    elif lo is not None or hi is not None:
        bounds = [f"{w} {_number(v)}" for w, v in ((lo_word, lo), (hi_word, hi)) if v is not None]
        kind += " " + " and ".join(bounds)
    unit = (info.json_schema_extra or {}).get("unit") if isinstance(info.json_schema_extra,
                                                                       dict) else None
    return f"{kind} [{unit}]" if unit else kind


def _loc_text(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def format_validation_error(exc: ValidationError, source: str) -> UserError:
    """One validation error as one line: field, what was given, what is allowed.

    An unknown key is reported first (a misspelled key also makes the intended
    one look missing), and a missing key last (a wrong value says more).
    """
    errors = exc.errors()
    err = min(errors, key=lambda e: {"extra_forbidden": 0, "missing": 2}.get(e["type"], 1))
    loc = list(err["loc"])
    field = _loc_text(loc) or None
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at([str(p) for p in loc[:-1]]) or []
        return UserError(f"unknown field '{loc[-1]}'{_hint(str(loc[-1]), allowed)}",
                         source=source, field=field)
    if kind == "missing":
        return UserError("is required but missing", source=source, field=field)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return UserError(msg[len("Value error, "):], source=source, field=field)
    info = _walk(loc)[0] if loc else None
    if info is not None and not isinstance(loc[-1], int):
        non_finite = isinstance(given, float) and not math.isfinite(given)
        finite = "finite " if non_finite or kind == "finite_number" else ""
        what = describe_field(info).replace("a number", f"a {finite}number", 1)
        return UserError(f"must be {what}, got {_show(given)}", source=source, field=field)
    msg = msg[0].lower() + msg[1:]
    return UserError(f"{msg.replace('input should be', 'must be')}, got {_show(given)}",
                     source=source, field=field)


def _reject_bools(data: Any, model: type[BaseModel], loc: list[Any], source: str) -> None:
    """Refuse true/false where a number is expected.

    YAML reads yes/no/on/off as true/false, and pydantic would quietly take
    them as 1 and 0.
    """
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        info = model.model_fields.get(key) if isinstance(key, str) else None
        if info is None:
            continue
        if isinstance(value, bool) and info.annotation in (int, float):
            raise UserError(f"must be {describe_field(info)}, got {_show(value)} (YAML reads yes/no/on/off "
                            "as true/false)", source=source, field=_loc_text([*loc, key]))
        sub = _item_model(info.annotation)
        if sub is None:
            continue
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            _reject_bools(item, sub, [*loc, key] + ([i] if i is not None else []), source)


def validate_data(data: Mapping[str, Any], source: str) -> Scenario:
    _reject_bools(data, Scenario, [], source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None
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
            _check_path(dotted, source, where)
            section = dotted.replace("__", ".").split(".")[0]
            if section in INIT_ONLY_SECTIONS:
                raise UserError(f"'{section}' is fixed when the model is built and cannot change "
                                "during a run", source=source, field=where)
            current = get_path(trial, dotted)
            if isinstance(current, Mapping):
                raise UserError("names a section, not a parameter", source=source, field=where)
            if isinstance(value, bool) and not isinstance(current, bool):
                raise UserError(f"must be a number, got {_show(value)}", source=source, field=where)
            new = current * value if how == "scale" else value
            set_path(trial, dotted, new)
        try:
            Scenario.model_validate(trial)
        except ValidationError as exc:
            inner = format_validation_error(exc, source)
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


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario.

    ``source`` is a YAML path, a bundled scenario name, a mapping, a
    :class:`Scenario`, or ``None`` for the defaults. ``overrides`` maps dotted
    (or ``__``-joined) parameter paths to values, as ``--set`` does.
    """
    origins: dict[str, str] = {}
    if isinstance(source, Scenario):
        data, label = source.model_dump(), source.name
    elif isinstance(source, Mapping):
        label = str(source.get("name", "<mapping>"))
        data = dict(source)
        if "extends" in data:
            parent = data.pop("extends")
            data = deep_merge(_load_raw(resolve_path(parent), origins=origins), data)
            origins.update(dict.fromkeys(_leaves(data), label))
    elif source is None:
        data, label = {"name": "default"}, "<defaults>"
    else:
        path = resolve_path(source)
        label = _shown_path(path)
        data = _load_raw(path, origins=origins)
        data.setdefault("name", path.stem)
    for dotted, value in (overrides or {}).items():
        check_path(dotted, "--set")
        set_path(data, dotted, value)
        origins[dotted.replace("__", ".")] = "--set"
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

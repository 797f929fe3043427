"""Reading input files and saying clearly what is wrong with them.

One YAML reader (safe, refusing a key given twice) and one formatter that
turns a validation error of any input schema (scenarios, experiments,
calibrations, optimisations) into one line naming the file, the field, what
was given and what is allowed. :class:`~sim.errors.UserError` carries it to
the command line, which prints it and exits with code 2.
"""

from __future__ import annotations

import difflib
import enum
import math
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


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def hint(word: str, choices: Iterable[str]) -> str:
    """'; did you mean ...?' for a close match, else the allowed choices."""
    choices = list(choices)
    match = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean '{match[0]}'?" if match else f"; allowed: {', '.join(choices)}"


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """Safe loading that also refuses a key given twice in one mapping.

    PyYAML would silently keep the last value; in a hand-edited file the first
    one is as likely to be the intended one.
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


def read_yaml(path: Path, what: str = "scenario") -> dict[str, Any]:
    """Read one YAML mapping (a ``what``: scenario, experiment, ...) safely, or fail in one line."""
    shown = shown_path(Path(path))
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{what} file not found", source=shown) from None
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
            raise UserError(f"YAML tag '{name}'{_where(exc.problem_mark)} is not allowed: a {what} "
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
        raise UserError(f"file is empty; a {what} is a YAML mapping of fields", source=shown)
    if not isinstance(data, dict):
        raise UserError(f"top level must be a mapping of fields (name: ..., ...), got {type_word(data)}",
                        source=shown)
    return data


_REPR = reprlib.Repr()
_REPR.maxstring = 50
_REPR.maxother = 50
_REPR.maxlist = _REPR.maxdict = 4
_REPR.maxlevel = 2


def show(value: Any) -> str:
    """A given value as a reader of the YAML file would recognise it (and never huge)."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return _REPR.repr(value)


def type_word(value: Any) -> str:
    words = {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
             bool: "true/false"}
    return words.get(type(value), f"a {type(value).__name__}")


def _number(x: float) -> str:
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    return f"{x:g}"


def _members(annotation: Any) -> list[type[BaseModel]]:
    """The section types a field holds: a section, the items of a list, or a union's members."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += [m for m in _members(arg) if m not in out]
    return out


def item_model(annotation: Any) -> type[BaseModel] | None:
    """The one section type a field holds (a section or a list of sections), if any."""
    members = _members(annotation)
    return members[0] if len(members) == 1 else None


def _tag_field(model: type[BaseModel]) -> str | None:
    """The field that tells the members of a discriminated union apart: the one whose type is a single
    literal (``kind: Literal["grid"]`` in a design, ``type: Literal["real"]`` in a lever)."""
    for name, info in model.model_fields.items():
        if typing.get_origin(info.annotation) is typing.Literal and len(typing.get_args(info.annotation)) == 1:
            return name
    return None


def _tag_of(model: type[BaseModel]) -> str | None:
    """The value of a discriminated section's tag (``Literal["grid"]`` -> "grid")."""
    name = _tag_field(model)
    return str(typing.get_args(model.model_fields[name].annotation)[0]) if name is not None else None


def _keyed(annotation: Any) -> bool:
    """Whether a field is a mapping from names to values (its next location part is a key)."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) is dict


def walk(root: type[BaseModel], loc: Iterable[Any]) -> tuple[FieldInfo | None, list[type[BaseModel]]]:
    """The field at a location of ``root`` (list indices, mapping keys and union tags skipped) and the
    sections it holds: one, or the members of a union until a tag picks one."""
    models: list[type[BaseModel]] = [root]
    info: FieldInfo | None = None
    key_next = False
    for part in loc:
        if isinstance(part, int) or str(part).isdigit():
            continue
        if key_next:
            key_next = False
            continue
        tagged = [m for m in models if _tag_of(m) == part]
        if tagged and not any(part in m.model_fields for m in models):
            models = tagged
            continue
        owner = next((m for m in models if part in m.model_fields), None)
        if owner is None:
            return None, []
        info = owner.model_fields[part]
        models = _members(info.annotation)
        key_next = _keyed(info.annotation)
    return info, models


def fields_at(root: type[BaseModel], loc: Iterable[Any]) -> list[str] | None:
    """Field names allowed at a location (``None`` where the location is a plain value)."""
    _, models = walk(root, loc)
    if len(models) != 1:
        return None
    return list(models[0].model_fields)


def describe_field(info: FieldInfo) -> str:
    """What a field accepts, e.g. 'a number from 0 to 1 [share]'."""
    ann = info.annotation
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(ann)
    if kind is None and isinstance(ann, type) and issubclass(ann, enum.Enum):
        kind = "one of " + ", ".join(repr(m.value) for m in ann)
    elif kind is None and typing.get_origin(ann) is typing.Literal:
        kind = "one of " + ", ".join(repr(v) for v in typing.get_args(ann))
    if kind is None:
        model = item_model(ann)
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
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit = extra.get("unit")
    return f"{kind} [{unit}]" if unit else kind


def loc_text(root: type[BaseModel], loc: Iterable[Any]) -> str:
    """A location as the file writes it: ``design.parameters``, ``timeline[0].week``."""
    out = ""
    models: list[type[BaseModel]] = [root]
    key_next = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if key_next:
            key_next = False
            out += f".{part}" if out else str(part)
            continue
        tagged = [m for m in models if _tag_of(m) == part]
        if tagged and not any(part in m.model_fields for m in models):
            models = tagged
            continue
        owner = next((m for m in models if part in m.model_fields), None)
        annotation = owner.model_fields[part].annotation if owner is not None else None
        models = _members(annotation) if owner is not None else []
        key_next = owner is not None and _keyed(annotation)
        out += f".{part}" if out else str(part)
    return out


def format_validation_error(exc: ValidationError, source: str, root: type[BaseModel],
                            nouns: Mapping[str, str] | None = None) -> UserError:
    """One validation error as one line: field, what was given, what is allowed.

    An unknown key is reported first (a misspelled key also makes the intended
    one look missing), and a missing key last (a wrong value says more). Every
    input file (scenario, experiment, calibration, optimisation) is reported
    through here; ``nouns`` names a union's tag in words where the field name
    alone says too little (``{"type": "lever type"}``).
    """
    errors = exc.errors()
    err = min(errors, key=lambda e: {"extra_forbidden": 0, "missing": 2}.get(e["type"], 1))
    loc = list(err["loc"])
    field = loc_text(root, loc) or None
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        allowed = fields_at(root, loc[:-1]) or []
        return UserError(f"unknown field '{loc[-1]}'{hint(str(loc[-1]), allowed)}", source=source, field=field)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        _, members = walk(root, loc)
        tags = [t for t in (_tag_of(m) for m in members) if t]
        key = next((k for k in map(_tag_field, members) if k), "kind")
        noun = (nouns or {}).get(key, key)
        tag = (err.get("ctx") or {}).get("tag")
        if tag is None:
            return UserError(f"needs a '{key}'; allowed: {', '.join(tags)}", source=source,
                             field=f"{field}.{key}" if field else key)
        return UserError(f"unknown {noun} '{tag}'{hint(str(tag), tags)}", source=source,
                         field=f"{field}.{key}" if field else key)
    if kind == "missing":
        return UserError("is required but missing", source=source, field=field)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return UserError(msg[len("Value error, "):], source=source, field=field)
    info = walk(root, loc)[0] if loc else None
    if info is not None and not isinstance(loc[-1], int):
        non_finite = isinstance(given, float) and not math.isfinite(given)
        finite = "finite " if non_finite or kind == "finite_number" else ""
        what = describe_field(info).replace("a number", f"a {finite}number", 1)
        return UserError(f"must be {what}, got {show(given)}", source=source, field=field)
    msg = msg[0].lower() + msg[1:]
    return UserError(f"{msg.replace('input should be', 'must be')}, got {show(given)}",
                     source=source, field=field)


def reject_bools(data: Any, model: type[BaseModel], loc: list[Any], source: str) -> None:
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
            raise UserError(f"must be {describe_field(info)}, got {show(value)} (YAML reads yes/no/on/off "
                            "as true/false)", source=source, field=_plain_loc([*loc, key]))
        sub = item_model(info.annotation)
        if sub is None:
            continue
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            reject_bools(item, sub, [*loc, key] + ([i] if i is not None else []), source)


def _plain_loc(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(model: type[BaseModel], data: Mapping[str, Any], source: str) -> Any:
    """``model.model_validate(data)``, its errors as one line."""
    reject_bools(data, model, [], source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source, model) from None

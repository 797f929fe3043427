"""Parameter paths: one type for "which parameter", however it is written.

A parameter is named by its place in the scenario schema,
``workforce.salary_ratio``; keyword arguments (``mesa.batch_run``, EMA
Workbench, ``CommunityModel(**overrides)``) cannot hold dots and write
``workforce__salary_ratio``. :class:`ParamPath` reads either spelling, checks
it against the schema once, and knows the field, its type and bounds.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .errors import UserError
from .inputs import fields_at, walk
from .schema import Scenario, When


@dataclass(frozen=True)
class ParamPath:
    """A path into the scenario schema (a parameter, or a section)."""

    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, source: str = "--set", field: str | None = None) -> ParamPath:
        """Read ``a.b`` or ``a__b``; a name the schema does not have fails in one line with a hint."""
        parts = tuple(str(text).replace("__", ".").split("."))
        for i, part in enumerate(parts):
            allowed = fields_at(Scenario, parts[:i])
            if allowed is None:
                raise UserError(f"'{'.'.join(parts[:i])}' is a parameter and has no sub-fields",
                                source=source, field=field or str(text))
            if part not in allowed:
                match = difflib.get_close_matches(part, allowed, n=1)
                hint = (f"; did you mean '{'.'.join([*parts[:i], match[0]])}'?" if match
                        else f"; allowed: {', '.join(allowed)}")
                raise UserError(f"unknown field '{part}'{hint}", source=source, field=field or str(text))
        return cls(parts)

    def __str__(self) -> str:
        return self.dotted

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)

    @property
    def flat(self) -> str:
        """The keyword-argument spelling, ``workforce__salary_ratio``."""
        return "__".join(self.parts)

    @property
    def section(self) -> str:
        return self.parts[0]

    @property
    def name(self) -> str:
        return self.parts[-1]

    @cached_property
    def info(self) -> FieldInfo:
        return walk(Scenario, self.parts)[0]

    @property
    def is_parameter(self) -> bool:
        """A value, not a section of values (nor the timeline)."""
        return self.section != "timeline" and not walk(Scenario, self.parts)[1]

    @property
    def kind(self) -> type:
        """The Python type of the parameter (int parameters get whole-number samples)."""
        ann = self.info.annotation
        return ann if ann in (int, float, bool, str) else object

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The schema's lower and upper bounds (``ge``/``le``), where it has them."""
        lo = next((m.ge for m in self.info.metadata if getattr(m, "ge", None) is not None), None)
        hi = next((m.le for m in self.info.metadata if getattr(m, "le", None) is not None), None)
        return lo, hi

    @property
    def unit(self) -> str:
        extra = self.info.json_schema_extra
        return str(extra.get("unit", "")) if isinstance(extra, dict) else ""

    @cached_property
    def when(self) -> When:
        """When a change during a run takes effect: the field's marking (or that of the field
        holding it), else its section's."""
        model: type[BaseModel] = Scenario
        marked: When | None = None
        section_default = When.NOW
        for i, part in enumerate(self.parts):
            info = model.model_fields[part]
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if "when" in extra:
                marked = When(extra["when"])
            models = walk(Scenario, self.parts[:i + 1])[1]
            if i == 0 and len(models) == 1:
                section_default = getattr(models[0], "changes", When.NOW)
            if len(models) != 1:
                break
            model = models[0]
        return marked or section_default

    def coerce(self, value: Any) -> Any:
        """One type per parameter, whatever the spelling (1 vs 1.0, "0.5")."""
        kind = self.kind
        if kind in (int, float) and isinstance(value, str):
            value = float(value)
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def get(self, obj: Any) -> Any:
        """The value in a scenario or in its plain-data form."""
        for part in self.parts:
            obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
        return obj

    def set(self, data: dict[str, Any], value: Any) -> None:
        """Put a value into a scenario's plain-data form, making sections as needed."""
        node = data
        for part in self.parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                node[part] = nxt
            node = nxt
        node[self.parts[-1]] = value


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


def section_of(path: ParamPath) -> type[BaseModel] | None:
    """The section class that holds the parameter."""
    models = walk(Scenario, path.parts[:-1])[1]
    return models[0] if len(models) == 1 else None

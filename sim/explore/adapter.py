"""The exploration tools' only contact with the rest of the package.

Reading a sweep's results, looking up a scenario parameter, resolving a scenario and naming an
output in its units all go through here, so that a move of those modules, or the output
registry that will name KPIs, is one edit in this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import UserError

__all__ = ["SchemaField", "UserError", "check_path", "describe", "load_scenario", "resolve_scenario",
           "schema_field", "sweep_outcomes", "sweep_parameters", "sweep_runs"]


def check_path(dotted: str, source: str) -> None:
    """Fail in one line when a dotted path names nothing in the scenario schema.

    Parameter paths are moving from ``sim.scenario.check_path`` to ``sim.params.ParamPath``;
    whichever the package has is used, with the same one-line errors.
    """
    try:
        from ..params import ParamPath
    except ImportError:
        from ..scenario import check_path as scenario_check_path

        scenario_check_path(dotted, source)
        return
    ParamPath.parse(dotted, source)


def load_scenario(source: str | Path, overrides: Mapping[str, Any]) -> Any:
    """The scenario at ``source`` with ``overrides`` (dotted paths) applied and validated."""
    from ..scenario import load_scenario as scenario_load

    return scenario_load(source, overrides)


def resolve_scenario(name: str, folder: Path) -> Path:
    """A scenario named relative to the file that names it, else a bundled name or a path."""
    from ..scenario import resolve_path

    near = folder / name
    for candidate in (near, near.with_suffix(".yaml")):
        if candidate.is_file():
            return candidate
    return resolve_path(name)


@dataclass(frozen=True)
class SchemaField:
    """What the scenario schema says about one parameter: its type, bounds and unit.

    ``low`` and ``high`` are the inclusive bounds (``ge``/``le``), ``low_open`` and ``high_open``
    say whether the schema excludes the bound itself (``gt``/``lt``).
    """

    path: str
    annotation: Any
    low: float | None
    high: float | None
    low_open: bool
    high_open: bool
    unit: str


def _unit(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def schema_field(path: str) -> SchemaField | None:
    """The schema field at a dotted (or ``__``-joined) path; None if it names no parameter.

    A field inside a mapping that has no unit of its own (one value per need type) takes the
    mapping's unit.
    """
    from ..schema import Scenario

    model: type[BaseModel] = Scenario
    info: FieldInfo | None = None
    unit = ""
    parts = path.replace("__", ".").split(".")
    for i, part in enumerate(parts):
        if part not in model.model_fields:
            return None
        info = model.model_fields[part]
        unit = _unit(info) or unit
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if i == len(parts) - 1:
                return None
            model = annotation
        elif i != len(parts) - 1:
            return None
    assert info is not None
    low = high = None
    low_open = high_open = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low, low_open = float(m.ge), False
        if getattr(m, "gt", None) is not None:
            low, low_open = float(m.gt), True
        if getattr(m, "le", None) is not None:
            high, high_open = float(m.le), False
        if getattr(m, "lt", None) is not None:
            high, high_open = float(m.lt), True
    return SchemaField(path=".".join(parts), annotation=info.annotation, low=low, high=high,
                       low_open=low_open, high_open=high_open, unit=unit)


def describe(name: str) -> tuple[str, str]:
    """A readable label and the unit of a lever, input or outcome (unit ``""`` when unknown).

    Scenario parameters are read from the schema; any other name (a KPI, a robustness score) is
    shown as it is until the output registry names it. Trailing words of a parameter name that
    restate its unit ("..._yuan_year" in yuan/year) are dropped from the label, and a one-word
    name takes its section's name before it ("deliberation enabled").
    """
    field = schema_field(name)
    if field is None:
        return name, ""
    parts = field.path.split(".")
    words = parts[-1].split("_")
    unit_words = set(field.unit.replace("/", " ").replace(",", " ").split())
    while len(words) > 1 and words[-1] in unit_words:
        words.pop()
    if len(words) == 1 and len(parts) > 1:
        words = [*parts[-2].split("_"), *words]
    return " ".join(words), field.unit


def sweep_runs(folder: Path) -> pd.DataFrame:
    """Every finished run of a sweep's results folder, one row per run."""
    from ..experiments.store import load_results

    return load_results(folder)


def _manifest(folder: Path) -> dict[str, Any]:
    from ..experiments.store import Store

    return Store(folder).manifest()


def sweep_parameters(folder: Path) -> list[str]:
    """The parameters a sweep varied, as its manifest lists them."""
    return [str(p) for p in _manifest(folder).get("parameters", [])]


def sweep_outcomes(folder: Path) -> list[str]:
    """The KPIs a sweep kept, as its manifest lists them."""
    return [str(k) for k in _manifest(folder).get("outcomes", [])]

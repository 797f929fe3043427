"""The calibration's only contact with the rest of the package.

Everything calibration needs from the model, the scenario schema and the
experiment runner goes through here, so a move of those modules is one edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import UserError
from ..experiments.runner import check_executor, open_executor, stop_now
from ..inputs import describe_field
from ..outputs import kpi_names
from ..params import ParamPath
from ..run import run_scenario, versions
from ..scenario import load_scenario, scenario_hash
from ..schema import Scenario
from ..seeds import SEED_BITS

__all__ = ["SEED_BITS", "ScenarioSimulator", "SchemaField", "UserError", "check_executor", "check_path", "kpi_names",
           "library_versions", "load_scenario", "open_executor", "scenario_hash", "schema_field",
           "stop_now"]


@dataclass(frozen=True)
class SchemaField:
    """What the schema says about one parameter: its type, bounds and unit."""

    path: str
    annotation: Any
    low: float
    high: float
    unit: str
    description: str


def check_path(dotted: str, source: str) -> None:
    """Fail in one line when a dotted path names nothing in the schema."""
    ParamPath.parse(dotted, source)


def _bounds(info: FieldInfo) -> tuple[float, float]:
    low, high = -float("inf"), float("inf")
    for m in info.metadata:
        for name in ("ge", "gt"):
            if getattr(m, name, None) is not None:
                low = float(getattr(m, name))
        for name in ("le", "lt"):
            if getattr(m, name, None) is not None:
                high = float(getattr(m, name))
    return low, high


def _unit(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def schema_field(path: str) -> SchemaField | None:
    """The schema field at a dotted path, or None when the path names no parameter.

    Fields inside a per-need-type mapping carry no unit of their own; they take
    the unit of the mapping.
    """
    model: type[BaseModel] = Scenario
    unit = ""
    info: FieldInfo | None = None
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part not in model.model_fields:
            return None
        info = model.model_fields[part]
        unit = _unit(info) or unit
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if i == len(parts) - 1:
                return None
            model = ann
        elif i != len(parts) - 1:
            return None
    assert info is not None
    low, high = _bounds(info)
    return SchemaField(path=path, annotation=info.annotation, low=low, high=high, unit=unit,
                       description=describe_field(info))


def library_versions() -> dict[str, str]:
    """Versions of everything that shapes the posterior."""
    import pyabc
    import pyarrow

    return {**versions(), "pyabc": pyabc.__version__, "pyarrow": pyarrow.__version__}


@dataclass(frozen=True)
class ScenarioSimulator:
    """One model run of the resolved base scenario with the calibrated values set; gives its KPIs."""

    scenario: dict[str, Any]
    weeks: int | None = None

    def __call__(self, parameters: Mapping[str, float], seed: int) -> dict[str, float]:
        overrides = {k: float(v) for k, v in parameters.items()}
        return run_scenario(self.scenario, seed=seed, weeks=self.weeks, overrides=overrides).summary

"""The exploration tools' only contact with the rest of the package.

Reading input files, looking up a scenario parameter, resolving and pricing a scenario, naming an
output in its units, drawing from a posterior, and running batches of model runs on the shared
runner all go through here, so that a move of those modules is one edit in this file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import UserError

__all__ = ["SETUP_ONLY", "SchemaField", "UserError", "atomic_write", "check_path", "describe", "git_commit",
           "kpi_bounds", "kpi_names", "load_scenario", "posterior_draws", "posterior_parameters", "price",
           "quick_price", "read_yaml", "resolve_scenario", "run_seed", "runner", "scenario_data", "scenario_hash",
           "schema_field", "setup_only", "shown_path", "sweep_outcomes", "sweep_parameters", "sweep_runs", "value_at",
           "versions", "write_parquet", "write_text"]

SETUP_ONLY = "is read only when the model is built (setup) and cannot change during a run"


def check_path(dotted: str, source: str) -> None:
    """Fail in one line (with a hint) when a dotted path names nothing in the scenario schema."""
    from ..params import ParamPath

    ParamPath.parse(dotted, source)


def setup_only(dotted: str) -> bool:
    """Whether the model reads the parameter only when it is built."""
    from ..params import ParamPath
    from ..schema import When

    return ParamPath.parse(dotted).when is When.SETUP


def value_at(scenario: Any, dotted: str) -> Any:
    """A parameter's value in a scenario."""
    from ..params import ParamPath

    return ParamPath.parse(dotted).get(scenario)


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """One input file as a mapping, by the package's one YAML reader."""
    from ..inputs import read_yaml as inputs_read_yaml

    return inputs_read_yaml(path, what)


def shown_path(path: Path) -> str:
    from ..inputs import shown_path as inputs_shown_path

    return inputs_shown_path(path)


def load_scenario(source: Any, overrides: Mapping[str, Any] | None = None, *, weeks: int | None = None) -> Any:
    """The scenario at ``source`` with ``overrides`` (dotted paths) applied, validated once."""
    from ..scenario import load_scenario as scenario_load

    return scenario_load(source, overrides, weeks=weeks)


def resolve_scenario(name: str, folder: Path) -> Path:
    """A scenario named relative to the file that names it, else a bundled name or a path."""
    from ..scenario import resolve_path

    near = folder / name
    for candidate in (near, near.with_suffix(".yaml")):
        if candidate.is_file():
            return candidate
    return resolve_path(name)


def scenario_data(scenario: Any) -> dict[str, Any]:
    """A scenario as plain data (what a worker is sent)."""
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Any) -> str:
    from ..scenario import scenario_hash as hash_of

    return hash_of(scenario)


def price(base: Any, overrides: Mapping[str, Any]) -> float:
    """What the street office spends a year on the contracts of ``base`` with ``overrides``: the model's own rule
    (every agency's contract value, averaged over the contract term with indexation)."""
    from ..submodels.funding import budget_per_year

    return float(budget_per_year(load_scenario(base, overrides)))


def posts_bought(base: Any, overrides: Mapping[str, Any]) -> int:
    """The whole posts the street office buys for ``base`` with ``overrides`` (posts per resident are rounded per
    agency), by the rule ``price`` counts them with."""
    from ..submodels.funding import agency_groups, posts_for

    s = load_scenario(base, overrides)
    n = min(s.population.communities, s.population.residents)
    groups = agency_groups(n, s.funding.ngos)
    sharing = [sum(c in g for g in groups) for c in range(n)]
    size = s.population.residents / n
    return sum(posts_for(sum(size / sharing[c] for c in g), s) for g in groups)


def quick_price(base: Any, overrides: Mapping[str, Any]) -> float:
    """``price`` of a change the scenario is known to accept, without validating it again.

    The budget repair prices thousands of nearby candidates; copying the validated scenario
    with the new values costs microseconds where a validation costs a millisecond. The caller
    checks each candidate it keeps with ``price``.
    """
    from ..submodels.funding import budget_per_year

    changed = base
    for path, value in overrides.items():
        changed = _replaced(changed, path.replace("__", ".").split("."), value)
    return float(budget_per_year(changed))


def _replaced(model: Any, parts: list[str], value: Any) -> Any:
    if len(parts) == 1:
        return model.model_copy(update={parts[0]: value})
    return model.model_copy(update={parts[0]: _replaced(getattr(model, parts[0]), parts[1:], value)})


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


def kpi_names() -> list[str]:
    """Every KPI of a run's summary, from the output registry."""
    from ..outputs import kpi_names as names

    return names()


def kpi_bounds() -> dict[str, tuple[float, float]]:
    """Every KPI with the range its kind allows (a share in [0, 1], a rate at least 0)."""
    from ..outputs import output

    return {name: output(name).bounds for name in kpi_names()}


_SCORE = re.compile(r"(?P<kpi>.+?)_(?:p(?P<q>\d+(?:\.\d+)?)|(?P<kind>worst|sd|satisficing))")


def _kpi_label(name: str) -> tuple[str, str] | None:
    from ..outputs import KPIS, output

    if name not in {k.name for k in KPIS}:
        return None
    declared = output(name)
    return declared.label.strip(), declared.unit


def describe(name: str) -> tuple[str, str]:
    """A readable label and the unit of a lever, input, outcome or robustness score (unit ``""`` when unknown).

    KPIs are named by the output registry, and a robustness score of a KPI by the KPI's label with
    what the score measures ("..., met in 90% of draws"). Scenario parameters are read from the
    schema: trailing words of a parameter name that restate its unit ("..._yuan_year" in
    yuan/year) are dropped from the label, and a one-word name takes its section's name before it
    ("deliberation enabled"). Any other name is shown as it is.
    """
    kpi = _kpi_label(name)
    if kpi is not None:
        return kpi
    score = _SCORE.fullmatch(name)
    if score is not None and _kpi_label(score["kpi"]) is not None:
        label, unit = _kpi_label(score["kpi"])
        if score["q"] is not None:
            return f"{label}, met in {100 - float(score['q']):g}% of draws", unit
        return {"worst": (f"{label}, worst draw", unit), "sd": (f"{label}, spread over draws", unit),
                "satisficing": (f"{label}: draws meeting the threshold", "share of draws")}[score["kind"]]
    field = schema_field(name)
    if field is None:
        return name, ""
    parts = field.path.split(".")
    words = _without_unit(parts[-1].split("_"), field.unit)
    if len(words) == 1 and len(parts) > 1:
        words = [*parts[-2].split("_"), *words]
    return " ".join(words), field.unit


_TIME_UNITS = {"years", "weeks", "months", "yuan"}


def _without_unit(words: list[str], unit: str) -> list[str]:
    """A parameter name's words without the trailing ones that spell out its whole unit ("_yuan_post_year" of
    yuan/post/year, "_years" of years, and a "per" left dangling); a name that only shares some words with its
    unit ("posts_per_1000_residents", "admin_share") keeps them all."""
    if "/" not in unit and unit not in _TIME_UNITS:
        return words
    wanted = set(re.sub(r"(?<=\d),(?=\d)", "", unit).replace("/", " ").replace(",", " ").split())
    kept, dropped = list(words), set()
    while len(kept) > 1 and (kept[-1] in wanted or kept[-1] == "per"):
        dropped.add(kept.pop())
    if dropped - {"per"} != wanted - {"per"}:
        return words
    while len(kept) > 1 and kept[-1] == "per":
        kept.pop()
    return kept


def posterior_parameters(path: Path) -> list[str]:
    """The parameter columns of a calibration's posterior file."""
    from ..experiments.posterior import parameter_columns, read_posterior

    return parameter_columns(read_posterior(path))


def posterior_draws(path: Path, k: int, seed: int) -> list[dict[str, float]]:
    """``k`` parameter sets resampled by weight from a posterior file, the same for the same seed."""
    from ..calibration.posterior import posterior_draws as draws

    return draws(path, k, seed)


def versions() -> dict[str, str]:
    """Versions of the model and of every library that shapes an optimisation's results."""
    import moocore
    import pyarrow
    import pymoo

    from ..run import versions as model_versions

    return {**model_versions(), "pymoo": pymoo.__version__, "moocore": moocore.__version__,
            "pyarrow": pyarrow.__version__}


def git_commit() -> str:
    from ..experiments.store import git_commit as commit

    return commit()


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


# The shared runner: every batch of model runs goes through it, on a process pool or a Dask cluster.


def runner():
    """``sim.experiments.runner``: ``Task``, ``run_task``, ``open_executor``, ``check_executor``, ``stop_now``."""
    from ..experiments import runner as shared

    return shared


def run_seed(master: int, replication: int, point: int | None = None) -> int:
    from ..seeds import run_seed as seed_of

    return seed_of(master, replication, point)


def atomic_write(path: Path, write) -> None:
    """``write(tmp)`` then rename ``tmp`` to ``path``: a killed process leaves the whole file or none."""
    from ..experiments.store import atomic_write as write_atomically

    write_atomically(path, write)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """A table written to a temporary name and renamed into place (whole or not at all)."""
    from ..experiments.store import write_parquet as write

    write(path, frame)


def write_text(path: Path, text: str) -> None:
    from ..experiments.store import write_text as write

    write(path, text)

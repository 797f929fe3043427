"""Running a scenario and writing its output folder."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import pandas as pd

from .errors import UserError
from .model import CommunityModel
from .scenario import load_scenario, scenario_hash, to_yaml
from .schema import Scenario


@dataclass
class RunResult:
    """What one run gives back."""

    scenario: Scenario
    seed: int
    summary: dict[str, float]
    timeseries: pd.DataFrame
    seconds: float
    events: list[tuple[int, str]] = field(default_factory=list)

    def provenance(self) -> dict[str, Any]:
        return provenance(self.scenario, self.seed)


def versions() -> dict[str, str]:
    import networkx
    import numpy
    import scipy

    from . import __version__

    return {"cogov-sim": __version__, "mesa": mesa.__version__, "numpy": numpy.__version__,
            "networkx": networkx.__version__, "scipy": scipy.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}


def provenance(scenario: Scenario, seed: int) -> dict[str, Any]:
    return {"scenario": scenario.name, "seed": seed, "scenario_hash": scenario_hash(scenario),
            "versions": versions()}


def run_scenario(scenario: Scenario | str | Path | dict | None = None, *, seed: int | None = None,
                 weeks: int | None = None, overrides: dict[str, Any] | None = None,
                 scale: float | None = None) -> RunResult:
    """Build the model, run it and return its summary and weekly series.

    ``seed``, ``weeks``, ``overrides`` and ``scale`` derive a variant of the
    scenario (see :func:`~sim.scenario.load_scenario`); it is validated once.
    """
    s = load_scenario(scenario, overrides, seed=seed, weeks=weeks, scale=scale)
    start = time.perf_counter()
    model = CommunityModel(s)
    model.run()
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return RunResult(scenario=s, seed=s.simulation.seed, summary=model.summary(), timeseries=ts,
                     seconds=time.perf_counter() - start, events=list(model.world.events))


def json_ready(summary: dict[str, float]) -> dict[str, float | None]:
    """Undefined KPIs (NaN: no workers, no meetings, nobody left) as JSON null."""
    return {k: None if v != v else v for k, v in summary.items()}


def check_writable(out: Path) -> None:
    """Fail before any work if ``out`` cannot be created or written."""
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"'{probe}' is a file, not a folder", source=str(out), field="--out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError("output folder is not writable", source=str(out), field="--out")


def write_outputs(result: RunResult, out: Path, figure: bool = True) -> Path:
    """Write the run folder atomically: build it aside, then move it into place."""
    out = Path(out)
    check_writable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        result.timeseries.to_csv(tmp / "timeseries.csv", index=False)
        (tmp / "summary.json").write_text(json.dumps(json_ready(result.summary), indent=2, sort_keys=True))
        header = "# " + json.dumps(result.provenance(), sort_keys=True) + "\n"
        (tmp / "scenario.yaml").write_text(header + to_yaml(result.scenario), encoding="utf-8")
        (tmp / "provenance.json").write_text(json.dumps(result.provenance(), indent=2))
        if figure:
            from .figures import overview

            (tmp / "figures").mkdir()
            overview(result.timeseries, result.scenario, tmp / "figures" / "overview.png")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out

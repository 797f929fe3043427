"""Running a scenario and writing its output folder."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import pandas as pd

from .errors import MeasurementWarning, UserError
from .metrics import COLUMNS
from .model import CommunityModel
from .scenario import load_scenario, scenario_hash, to_yaml
from .schema import Scenario


def _keep_platform_start_method() -> None:
    """Undo the 'spawn' start method that importing Mesa before 3.5 sets for the whole process.

    Mesa 3.3's batch runner calls ``multiprocessing.set_start_method("spawn", force=True)`` when it is
    imported, so every pool a script opens after ``import sim`` (EMA Workbench's, the user's own)
    re-imports the script in each worker: a script without ``if __name__ == "__main__":`` then hangs.
    Mesa 3.5 sets it only inside ``batch_run``, which keeps working either way.
    """
    major_minor = tuple(int(x) for x in mesa.__version__.split(".")[:2] if x.isdigit())
    platform_default = multiprocessing.get_all_start_methods()[0]
    if (major_minor < (3, 5) and platform_default != "spawn"
            and multiprocessing.get_start_method(allow_none=True) == "spawn"):
        multiprocessing.set_start_method(None, force=True)


_keep_platform_start_method()

WORKER_YEARS_FOR_TURNOVER = 10.0
"""Fewest worker-years after warm-up for a turnover rate to rest on more than a handful of workers."""
WEEKS_FOR_A_YEAR = 52
"""Fewest weeks after warm-up for yearly KPIs not to be extrapolated from a part of a year."""
SECONDS_PER_RESIDENT_WEEK = {True: 1.0e-6, False: 0.4e-6}
"""Measured run time per resident and week, with and without Resident agents (benchmarks/)."""
PROGRESS_SECONDS = 3.0
"""Runs expected to take longer than this show their progress over weeks on a terminal."""


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


def expected_seconds(s: Scenario) -> float:
    """A rough run time, to decide whether a run is long enough to show its progress."""
    per = SECONDS_PER_RESIDENT_WEEK[bool(s.simulation.resident_agents)]
    return per * s.population.residents * s.simulation.horizon_weeks


def run_scenario(scenario: Scenario | str | Path | dict | None = None, *, seed: int | None = None,
                 weeks: int | None = None, overrides: dict[str, Any] | None = None,
                 scale: float | None = None, progress: bool | None = False) -> RunResult:
    """Build the model, run it and return its summary and weekly series.

    ``seed``, ``weeks``, ``overrides`` and ``scale`` derive a variant of the
    scenario (see :func:`~sim.scenario.load_scenario`); it is validated once.
    ``progress`` shows a bar over weeks on standard error (``None``: only on
    a terminal and for runs expected to take more than a few seconds). A run
    that measured too little warns (:func:`measurement_warnings`).
    """
    s = load_scenario(scenario, overrides, seed=seed, weeks=weeks, scale=scale)
    if progress is None:
        progress = sys.stderr.isatty() and expected_seconds(s) > PROGRESS_SECONDS
    start = time.perf_counter()
    model = CommunityModel(s)
    horizon = s.simulation.horizon_weeks
    if progress:
        from tqdm import tqdm

        with tqdm(total=horizon, unit="week", desc=s.name, dynamic_ncols=True, leave=False) as bar:
            for _ in range(horizon):
                model.step()
                bar.update(1)
    else:
        model.run(horizon)
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    summary = model.summary()
    for kind, message in measurement_warnings(s, summary).items():
        warnings.warn(MeasurementWarning(message, kind), stacklevel=2)
    return RunResult(scenario=s, seed=s.simulation.seed, summary=summary, timeseries=ts[list(COLUMNS)],
                     seconds=time.perf_counter() - start, events=list(model.world.events))


def measurement_warnings(s: Scenario, summary: Mapping[str, float]) -> dict[str, str]:
    """One line for each way a run measured too little: no social workers, too few worker-years for
    turnover, less than a year after warm-up. The text depends on the settings only, so the runs of a
    sweep that share a problem share its line."""
    notes = {}
    posts = summary.get("sw_posts_funded_mean", float("nan"))
    heads = summary.get("sw_headcount_mean", float("nan"))
    worker_years = summary.get("sw_first_year_worker_years", 0.0) + summary.get("sw_later_worker_years", 0.0)
    street = "e.g. a street: population.residents=50000 population.communities=10 funding.ngos=10 " \
             "simulation.resident_agents=false"
    if heads == 0:
        why = (f"population.residents={s.population.residents} at workforce.posts_per_1000_residents="
               f"{s.workforce.posts_per_1000_residents:g} funds no post" if posts == 0
               else "the agencies' budgets keep no one in post")
        notes["no_workers"] = (f"no social workers in post after warm-up ({why}): turnover and the other "
                               f"social-worker KPIs are undefined; use more residents, {street}")
    elif worker_years < WORKER_YEARS_FOR_TURNOVER:
        funded = s.workforce.posts_per_1000_residents * s.population.residents / 1000.0
        notes["few_worker_years"] = (f"fewer than {WORKER_YEARS_FOR_TURNOVER:g} worker-years measured (about "
                                     f"{funded:.0f} funded posts): one resignation moves turnover by several "
                                     f"points; use more residents or replications, {street}")
    measured = int(s.simulation.horizon_weeks - s.simulation.warmup_weeks)
    if measured < WEEKS_FOR_A_YEAR:
        weeks, them = ("weeks", "them") if measured != 1 else ("week", "it")
        notes["short"] = (f"only {measured} {weeks} measured after warm-up (simulation.horizon_weeks "
                          f"{s.simulation.horizon_weeks}, simulation.warmup_weeks {s.simulation.warmup_weeks}): "
                          f"yearly KPIs are extrapolated from {them}; measure at least {WEEKS_FOR_A_YEAR} weeks "
                          "(a longer horizon or a shorter warm-up)")
    return notes


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


def write_outputs(result: RunResult, out: Path, figure: bool = True,
                  changes: Mapping[str, Any] | None = None) -> Path:
    """Write the run folder atomically: build it aside, then move it into place.

    ``changes`` (the overrides the run was given) are named in the figure's title.
    """
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
            overview(result.timeseries, result.scenario, tmp / "figures" / "overview.png", changes)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out

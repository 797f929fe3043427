"""Same inputs and seed, same results: within a process, across processes, across Python versions.

The cross-version check runs when ``COGOV_OTHER_PYTHON`` names another
environment's interpreter, as ``.ci/run`` does for its second suite; run
alone it is skipped, not passed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import mesa
import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.run import run_scenario, versions
from sim.scenario import load_scenario, scenario_hash

CASES = {
    "one_agency": {"population.residents": 800},
    "three_agencies": {"population.residents": 900, "population.communities": 3, "funding.ngos": 3,
                       "workforce.posts_per_1000_residents": 6, "funding.renewal_floor": 0.0,
                       "funding.renewal_ceiling": 0.3},
}
"""Shrunk variants of the baseline: one agency, and several agencies whose sums of money and
staff state are over more than two terms."""

WEEKS, SEED = 60, 11
THREE_AGENCIES = ["baseline", "--weeks", str(WEEKS), "--seed", str(SEED),
                  *(f"--set={k}={v}" for k, v in CASES["three_agencies"].items())]
OTHER_PYTHON = os.environ.get("COGOV_OTHER_PYTHON")


def run_case(name: str, seed: int = SEED):
    return run_scenario("baseline", seed=seed, weeks=WEEKS, overrides=CASES[name])


def digest(result) -> str:
    """The exact bits of every weekly value and every summary figure."""
    h = hashlib.sha256()
    h.update(json.dumps(list(result.timeseries.columns)).encode())
    h.update(result.timeseries.to_numpy(dtype="float64").tobytes())
    h.update(json.dumps(result.summary, sort_keys=True).encode())
    return h.hexdigest()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(CASES))
def test_repeated_runs_in_one_process_are_identical(name):
    first, second = run_case(name), run_case(name)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries, check_exact=True)
    assert json.dumps(first.summary) == json.dumps(second.summary)
    assert digest(first) == digest(second)


def test_the_seed_changes_the_results():
    """The digests above can tell runs apart."""
    assert digest(run_case("one_agency", seed=SEED)) != digest(run_case("one_agency", seed=SEED + 1))


def _cli_run(out: Path, hash_seed: str, *args: str, python: str = sys.executable) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
    subprocess.run([python, "-m", "sim", "run", *args, "--no-figure", "--out", str(out)],
                   check=True, capture_output=True, env=env, timeout=120)


def test_separate_processes_write_identical_files(tmp_path):
    """Two interpreters with different string-hash seeds write byte-identical outputs."""
    _cli_run(tmp_path / "a", "0", *THREE_AGENCIES)
    _cli_run(tmp_path / "b", "4242", *THREE_AGENCIES)
    for name in ("timeseries.csv", "summary.json", "scenario.yaml", "provenance.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_output_folder_records_versions_inputs_and_hash(tmp_path, capsys):
    """The recorded inputs alone reproduce the run, and their hash is the one recorded."""
    first = tmp_path / "first"
    assert main(["run", "baseline", "--weeks", "30", "--seed", "5", "--set",
                 "population.residents=600", "--no-figure", "--out", str(first)]) == 0
    prov = json.loads((first / "provenance.json").read_text())
    assert prov["versions"] == versions()
    assert prov["versions"]["mesa"] == mesa.__version__
    assert prov["versions"]["cogov-sim"] == sim.__version__
    assert prov["versions"]["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert prov["seed"] == 5

    text = (first / "scenario.yaml").read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header.startswith("# ") and json.loads(header[2:]) == prov
    recorded = load_scenario(first / "scenario.yaml")
    assert scenario_hash(recorded) == prov["scenario_hash"]
    assert recorded.population.residents == 600 and recorded.simulation.horizon_weeks == 30
    assert yaml.safe_load(text)["simulation"]["seed"] == 5

    again = tmp_path / "again"
    assert main(["run", str(first / "scenario.yaml"), "--no-figure", "--out", str(again)]) == 0
    for name in ("timeseries.csv", "summary.json", "provenance.json"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    capsys.readouterr()


@pytest.mark.skipif(not OTHER_PYTHON, reason="COGOV_OTHER_PYTHON not set (.ci/run sets it to the "
                    "first environment's interpreter when it runs the second)")
def test_several_agencies_match_on_the_other_python(tmp_path):
    """Sums over several agencies and workers are where Python 3.12's compensated sum() once
    changed the last bit; ``test_crossversion.py`` covers the one-agency scenarios."""
    _cli_run(tmp_path / "here", "0", *THREE_AGENCIES)
    _cli_run(tmp_path / "there", "0", *THREE_AGENCIES, python=OTHER_PYTHON)
    for name in ("timeseries.csv", "summary.json"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "there" / name).read_bytes(), name

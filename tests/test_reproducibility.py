"""Same inputs and seed, same results: within a process, across processes, across Python versions.

The cross-version check needs both interpreters to run this file on the same
code, as ``.ci/run`` does (python3 with Mesa 3.3, then python3.12 with Mesa
3.5): each run leaves a digest of its results in a folder named after a
fingerprint of the code, and compares with the digests other versions left
there. Run alone, on one version, that test is skipped, not passed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import mesa
import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.run import run_scenario, versions
from sim.scenario import SCENARIO_DIR, load_scenario, scenario_hash

CASES = {
    "one_agency": {"population.residents": 800},
    "three_agencies": {"population.residents": 900, "population.communities": 3, "funding.ngos": 3,
                       "workforce.posts_per_1000_residents": 6, "funding.renewal_floor": 0.0,
                       "funding.renewal_ceiling": 0.3},
}
"""Shrunk variants of the baseline: one agency, and several agencies whose sums of money and
staff state are over more than two terms."""

WEEKS, SEED = 60, 11


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
    assert first.summary == second.summary
    assert digest(first) == digest(second)


def test_the_seed_changes_the_results():
    """The digests above can tell runs apart."""
    assert digest(run_case("one_agency", seed=SEED)) != digest(run_case("one_agency", seed=SEED + 1))


def _cli_run(out: Path, hash_seed: str, *args: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-m", "sim", "run", *args, "--no-figure", "--out", str(out)],
                   check=True, capture_output=True, env=env, timeout=120)


def test_separate_processes_write_identical_files(tmp_path):
    """Two interpreters with different string-hash seeds write byte-identical outputs."""
    args = ["baseline", "--weeks", str(WEEKS), "--seed", str(SEED),
            *(f"--set={k}={v}" for k, v in CASES["three_agencies"].items())]
    _cli_run(tmp_path / "a", "0", *args)
    _cli_run(tmp_path / "b", "4242", *args)
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


def code_fingerprint() -> str:
    """A hash of everything that decides the results: the package, the scenarios, this file."""
    h = hashlib.sha256()
    root = Path(sim.__file__).resolve().parent
    files = sorted(root.rglob("*.py")) + sorted(SCENARIO_DIR.glob("*.yaml")) + [Path(__file__)]
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _record_and_compare(name: str) -> tuple[str, dict[str, str]]:
    """Leave this interpreter's digest; return it and those other versions left for the same code."""
    folder = Path(tempfile.gettempdir()) / "cogov-digests" / code_fingerprint()
    folder.mkdir(parents=True, exist_ok=True)
    me = f"python {sys.version_info.major}.{sys.version_info.minor}, mesa {mesa.__version__}"
    ours = digest(run_case(name))
    tmp = folder / f".{name}.{os.getpid()}.json"
    tmp.write_text(json.dumps({"who": me, "digest": ours}))
    os.replace(tmp, folder / f"{name}.{me.replace(' ', '').replace(',', '-')}.json")
    others = {}
    for path in folder.glob(f"{name}.*.json"):
        entry = json.loads(path.read_text())
        if entry["who"] != me:
            others[entry["who"]] = entry["digest"]
    return ours, others


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", [
    "one_agency",
    pytest.param("three_agencies", marks=pytest.mark.xfail(
        strict=True, reason="sum() of Python floats is compensated from Python 3.12 on; money and "
        "staff sums in sim/metrics.py and sim/submodels/funding.py differ in the last bit")),
])
def test_results_match_across_python_versions(name):
    ours, others = _record_and_compare(name)
    if not others:
        pytest.skip("no other Python version has run this code yet (.ci/run runs both)")
    assert all(theirs == ours for theirs in others.values()), others

"""The core commands end to end: run, validate, scenarios, schema.

Bad input for the same commands is in ``test_bad_input.py``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from sim.scenario import bundled_scenarios, load_scenario

RUN = ["run", "baseline", "--weeks", "60", "--set", "population.residents=3000"]
FILES = ("timeseries.csv", "summary.json", "scenario.yaml", "provenance.json", "figures/overview.png")


def assert_run_folder(out) -> None:
    for name in FILES:
        assert (out / name).is_file(), name
    frame = pd.read_csv(out / "timeseries.csv")
    assert len(frame) == 60 and frame["week"].tolist() == list(range(1, 61))
    assert frame.drop(columns=[c for c in frame if c.startswith("sw_") and c.endswith("_mean")]).notna().all().all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary and all(v is None or math.isfinite(v) for v in summary.values())
    assert summary["sw_turnover_rate"] is not None
    assert (out / "figures" / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    recorded = load_scenario(out / "scenario.yaml")
    assert recorded.population.residents == 3000 and recorded.simulation.horizon_weeks == 60
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary folder left"


def test_run_writes_the_output_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*RUN, "--out", str(out)]) == 0
    assert_run_folder(out)
    printed = capsys.readouterr().out
    assert "baseline (seed" in printed and f"Results in {out}/" in printed


def test_python_dash_m_sim_does_the_same(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-m", "sim", *RUN, "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_run_folder(out)


def test_run_into_an_earlier_run_folder_replaces_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*RUN, "--seed", "1", "--no-figure", "--out", str(out)]) == 0
    first = (out / "timeseries.csv").read_bytes()
    assert main([*RUN, "--seed", "2", "--no-figure", "--out", str(out)]) == 0
    assert (out / "timeseries.csv").read_bytes() != first
    assert json.loads((out / "provenance.json").read_text())["seed"] == 2


def test_default_output_folder_is_named_after_scenario_and_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([*RUN, "--seed", "9", "--no-figure"]) == 0
    assert (tmp_path / "runs" / "baseline-seed9" / "summary.json").is_file()


def test_validate_every_bundled_scenario(capsys):
    names = sorted(bundled_scenarios())
    assert main(["validate", *names]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == names
    assert all(": ok (" in line for line in lines)


def test_scenarios_lists_every_bundled_scenario(capsys):
    assert main(["scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == sorted(bundled_scenarios())


def test_schema_is_valid_json_schema_that_accepts_the_bundled_scenarios(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in bundled_scenarios():
        validator.validate(load_scenario(name).model_dump(mode="json"))
    assert list(validator.iter_errors({"population": {"residents": -1}}))
    assert list(validator.iter_errors({"workforce": {"salary_ratoi": 1}}))


def test_a_run_validates_its_scenario_once(tmp_path, monkeypatch, capsys):
    """``--set``, ``--seed`` and ``--weeks`` are applied to the plain data before the one validation."""
    import sim.scenario as scenario_module

    calls = []
    real = scenario_module.validate_data
    monkeypatch.setattr(scenario_module, "validate_data", lambda data, source: calls.append(source) or
                        real(data, source))
    assert main(["run", "baseline", "--weeks", "20", "--seed", "3", "--set", "population.residents=600",
                 "--no-figure", "--out", str(tmp_path / "out")]) == 0
    assert len(calls) == 1
    capsys.readouterr()

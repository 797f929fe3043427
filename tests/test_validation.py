"""The stylized-fact validation suite, run reduced (few replications, small populations)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.cli import main
from sim.stats import bootstrap_ratio, mean_ci
from sim.validation import CHECKS, run_validation, write_report


def test_mean_ci_covers_the_mean_at_the_stated_rate():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        lo, hi = mean_ci(rng.normal(3.0, 2.0, 8))[1:]
        hits += lo <= 3.0 <= hi
    assert 0.93 < hits / 2000 < 0.97


def test_bootstrap_ratio_of_pooled_sums():
    rng = np.random.default_rng(1)
    num = np.array([2.0, 4.0, 6.0, 8.0])
    den = np.array([10.0, 20.0, 30.0, 40.0])
    est, lo, hi = bootstrap_ratio(num, den, rng)
    assert est == pytest.approx(0.2)
    assert lo == pytest.approx(0.2) and hi == pytest.approx(0.2)


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    return run_validation(tmp_path_factory.mktemp("validation"), reps=3, scale=0.2, weeks=120, workers=2,
                          only=["admin", "aging", "staffing"])


def test_reduced_suite_reports_every_check_of_the_groups_run(reduced, tmp_path):
    names = {c.name for c in reduced}
    assert {"admin_raises_burnout", "aging_partners_and_visits", "staffing_backlog_mean"} <= names
    for c in reduced:
        assert math.isfinite(c.value) and c.low <= c.value + 1e-9 and c.value <= c.high + 1e-9
        assert c.source and c.criterion
    path = write_report(reduced, tmp_path, {"reps": 3, "scale": 0.2, "weeks": 120, "seconds": 1.0,
                                            "workers": 2})
    text = path.read_text()
    assert "| `admin_raises_burnout` |" in text
    data = json.loads((tmp_path / "validation.json").read_text())
    assert len(data["checks"]) == len(reduced)
    assert (tmp_path / "validation.png").stat().st_size > 0


def test_strong_patterns_hold_even_in_the_reduced_suite(reduced):
    by_name = {c.name: c for c in reduced}
    assert by_name["admin_raises_burnout"].passed
    assert by_name["aging_partners_and_visits"].passed


def test_validation_runs_on_the_sweep_runner_and_resumes(tmp_path):
    """The runs are a results folder: a second call with resume simulates nothing more."""
    from sim.experiments import load_results

    first = run_validation(tmp_path, reps=2, scale=0.1, weeks=60, workers=1, only=["deliberation"])
    runs = load_results(tmp_path / "runs")
    assert len(runs) == 2 * 2 and set(runs["replication"]) == {0, 1}
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs" / "runs").glob("*.parquet")}
    again = run_validation(tmp_path, reps=2, scale=0.1, weeks=60, workers=1, only=["deliberation"], resume=True)
    assert [c.value for c in again] == [c.value for c in first]
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "runs" / "runs").glob("*.parquet")} == stamp


def test_every_group_names_arms_and_a_check_function():
    for name, (fn, arms) in CHECKS.items():
        assert callable(fn) and arms, name


def test_validate_model_rejects_bad_arguments(capsys):
    assert main(["validate-model", "--reps", "1"]) == 2
    assert main(["validate-model", "--only", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "--reps" in err and "nonsense" in err

"""The stylized-fact validation: declared checks with knock-outs, run reduced (few replications, small)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim import validation
from sim.cli import main
from sim.stats import bootstrap_ratio, mean_ci
from sim.validation import CHECKS, Check, Estimate, all_arms, run_validation, selected, write_report


def test_mean_ci_covers_the_mean_at_the_stated_rate():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        lo, hi = mean_ci(rng.normal(3.0, 2.0, 8))[1:]
        hits += lo <= 3.0 <= hi
    assert 0.93 < hits / 2000 < 0.97


def test_bootstrap_ratio_of_pooled_sums():
    rng = np.random.default_rng(1)
    est, lo, hi = bootstrap_ratio(np.array([2.0, 4.0, 6.0, 8.0]), np.array([10.0, 20.0, 30.0, 40.0]), rng)
    assert est == pytest.approx(0.2)
    assert lo == pytest.approx(0.2) and hi == pytest.approx(0.2)


def test_every_check_is_declared_with_source_role_range_and_knockout():
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names)) >= 15
    assert {c.role for c in CHECKS} == {"calibration target", "held out"}
    for c in CHECKS:
        assert c.source and c.pattern and c.measured and c.criterion and c.mechanism, c.name
        assert c.knockout, f"{c.name} has no knock-out"
        assert c.low < c.high
    held_out = {c.name for c in CHECKS if c.role == "held out"}
    assert {"first_year_attrition", "quits_dominate_separations", "completed_tenure"} <= held_out
    pay = next(c for c in CHECKS if c.name == "pay_effect_small")
    # "Small" is not "none": a model without any pay channel (elasticity 0) must fail the check.
    assert pay.role == "calibration target" and -0.5 < pay.low < pay.high < 0


def test_every_knocked_out_arm_is_its_arm_plus_the_knockout():
    arms = {a.name: a for a in all_arms(CHECKS)}
    for c in CHECKS:
        for a in c.arms:
            k = arms[f"{a.name}~{c.name}"]
            assert k.scenario == a.scenario and k.overrides == a.overrides + c.knockout


def test_a_check_passes_only_on_its_range_and_says_when_noise_decides():
    c = Check("x", "p", "s", "held out", (), lambda *a: Estimate(0, 0, 0), "m", 0.15, 0.25, "c", (("a", 1),), "m")
    assert c.passes(Estimate(0.2, 0.18, 0.22)) and not c.passes(Estimate(0.3, 0.28, 0.32))
    assert c.decidable(Estimate(0.2, 0.18, 0.22)) and not c.decidable(Estimate(0.2, 0.05, 0.35))
    effect = Check("y", "p", "s", "held out", (), c.measure, "m", 0.0, math.inf, "c", (("a", 1),), "m", True)
    assert effect.passes(Estimate(0.1, 0.02, 0.2)) and not effect.passes(Estimate(0.1, -0.02, 0.2))
    # An effect is decided once its interval lies wholly on one side of zero, either side.
    assert effect.decidable(Estimate(0.1, 0.02, 0.2)) and effect.decidable(Estimate(-0.1, -0.2, -0.02))
    assert not effect.decidable(Estimate(0.1, -0.02, 0.2))


def test_replications_needed_scale_the_interval_by_one_over_root_n():
    effect = Check("y", "p", "s", "held out", (), None, "m", 0.0, math.inf, "c", (("a", 1),), "m", True)
    # Half-width 0.0145 against an estimate 0.009 from zero: (0.0145 / 0.009)^2 = 2.6 times 20 replications.
    assert effect.replications_needed(Estimate(0.009, -0.0055, 0.0235), 20) == 52
    assert effect.replications_needed(Estimate(0.0, -0.01, 0.01), 20) is None
    ranged = Check("x", "p", "s", "held out", (), None, "m", 0.15, 0.25, "c", (("a", 1),), "m")
    assert ranged.replications_needed(Estimate(0.2, 0.05, 0.35), 20) == 180


def _effect_check(estimate: Estimate) -> Check:
    return Check("cut", "p", "s", "held out", (), lambda res, arms, rng: estimate, "m", 0.0, math.inf, "c",
                 (("a", 1),), "m", True)


def test_an_effect_whose_interval_straddles_zero_is_undecided_not_failed():
    rng = np.random.default_rng(0)
    straddles = validation.evaluate(_effect_check(Estimate(0.009, -0.0055, 0.0235)), None, rng, 20)
    assert not straddles.passed and not straddles.decidable
    assert straddles.verdict == "undecided" and straddles.details["replications_needed"] == 52
    wrong_side = validation.evaluate(_effect_check(Estimate(-0.03, -0.05, -0.01)), None, rng, 20)
    assert wrong_side.verdict == "fails" and wrong_side.decidable
    assert "replications_needed" not in wrong_side.details


def test_validate_model_names_undecided_checks_and_the_count_that_would_decide(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    undecided = validation.evaluate(_effect_check(Estimate(0.009, -0.0055, 0.0235)), None, rng, 20)
    monkeypatch.setattr(validation, "run_validation", lambda out, **kw: [undecided])
    monkeypatch.setattr(validation, "write_report", lambda results, out, meta: out / "report.md")
    assert main(["validate-model", "--out", str(tmp_path / "v"), "--workers", "1", "--only", "cut_raises_quits",
                 "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "undecided" in out and "cut" in out and "--reps 52" in out


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    return out, run_validation(out, reps=3, scale=0.2, weeks=208, workers=2,
                               only=["admin_raises_burnout", "aging_partners_and_visits", "registered_exceed_active"])


def test_reduced_suite_reports_every_check_with_its_knockout(reduced):
    out, results = reduced
    assert [r.name for r in results] == ["admin_raises_burnout", "registered_exceed_active",
                                         "aging_partners_and_visits"]
    for r in results:
        assert r.verdict in ("emerges", "by construction", "fails", "undecided")
        assert math.isfinite(r.value) and math.isfinite(r.knockout_value)
    by = {r.name: r for r in results}
    # Switching off the admin drain on burnout leaves only the lost hours: less burnout added by the load.
    # (The aging estate scaled to a fifth, some 240 residents, is too small to show its contact effect.)
    assert by["admin_raises_burnout"].knockout_value < by["admin_raises_burnout"].value
    path = write_report(results, out, {"reps": 3, "scale": 0.2, "weeks": 208, "seconds": 1.0, "workers": 2,
                                       "seed": 1000, "runs": 0})
    text = path.read_text()
    assert "| `admin_raises_burnout` |" in text and "knocked out" in text
    data = json.loads((out / "validation.json").read_text())
    assert len(data["checks"]) == 3 and data["meta"]["model"] and data["meta"]["scenarios"]


def test_validate_model_rejects_bad_arguments(capsys):
    assert main(["validate-model", "--reps", "1"]) == 2
    assert main(["validate-model", "--only", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "--reps" in err and "nonsense" in err


def test_selected_keeps_report_order():
    assert [c.name for c in selected(["deliberation_trust", "baseline_turnover"])] == ["baseline_turnover",
                                                                                        "deliberation_trust"]


def test_validate_model_shows_progress_unless_told_not_to(tmp_path, monkeypatch):
    """A long study shows a progress bar with ETA by default (the runner draws it)."""
    seen: list[bool] = []

    def fake(out, *, progress=False, **kwargs):
        seen.append(progress)
        raise SystemExit(0)

    monkeypatch.setattr(validation, "run_validation", fake)
    for extra in ([], ["--no-progress"]):
        with pytest.raises(SystemExit):
            main(["validate-model", "--out", str(tmp_path / f"v{len(seen)}"), "--workers", "1", *extra])
    assert seen == [True, False]

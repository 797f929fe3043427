"""A tiny calibration of the real model, end to end through the ``calibrate`` command."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest
import yaml

from sim.calibration.commands import register
from sim.errors import UserError

SPEC = {
    "name": "tiny",
    "description": "Burnout parameters of a small community fitted to made-up targets.",
    "base": "baseline",
    "set": {"population.residents": 3000, "simulation.resident_agents": False, "simulation.warmup_weeks": 8},
    "weeks": 40,
    "parameters": {
        "workforce.burnout_gain": {"prior": "uniform", "low": 0.01, "high": 0.1},
        "workforce.admin_share": {"prior": "normal", "mean": 0.35, "sd": 0.1, "low": 0.1, "high": 0.6},
    },
    "targets": {"sw_burnout_mean": {"range": [0.01, 0.04], "source": "test: low burnout in a short run"},
                "resolution_rate": {"value": 0.65, "source": "test"}},
    "held_out": {"sw_satisfaction_mean": {"range": [0.3, 0.7], "source": "test"}},
    "population": 20,
    "generations": 2,
    "seed": 7,
    "predictive_draws": 8,
}
OUTPUTS = ("manifest.json", "history.db", "posterior.parquet", "predictive.csv", "checks.csv", "summary.md",
           "calibration.yaml", "figures/ess.png", "figures/marginals.png", "figures/pairs.png",
           "figures/predictive.png")


def command(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cogov")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    spec = folder / "tiny.yaml"
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False), encoding="utf-8")
    out = folder / "out"
    args = command(["calibrate", str(spec), "--out", str(out), "--workers", "1", "--no-progress"])
    assert args.func(args) == 0
    return out


def test_every_output_file_is_written(calibrated):
    missing = [name for name in OUTPUTS if not (calibrated / name).is_file()]
    assert not missing
    assert all((calibrated / name).stat().st_size > 0 for name in OUTPUTS)


def test_posterior_has_both_generations_inside_the_priors(calibrated):
    posterior = pd.read_parquet(calibrated / "posterior.parquet")
    assert list(posterior.columns) == ["workforce.burnout_gain", "workforce.admin_share", "weight", "generation"]
    assert sorted(posterior["generation"].unique()) == [0, 1]
    by_generation = posterior.groupby("generation")
    assert (by_generation.size() == 20).all()
    assert by_generation["weight"].sum().round(9).eq(1).all()
    assert posterior["workforce.burnout_gain"].between(0.01, 0.1).all()
    assert posterior["workforce.admin_share"].between(0.1, 0.6).all()


def test_manifest_and_summary_describe_the_run(calibrated):
    manifest = json.loads((calibrated / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["generations_done"] == 2
    assert {"pyabc", "numpy", "pandas", "mesa", "python"} <= set(manifest["versions"])
    assert manifest["simulations"] >= 20 * 3
    summary = (calibrated / "summary.md").read_text()
    for text in ("`workforce.burnout_gain`", "burnout/week per unit overload", "90% credible interval",
                 "| held-out | `sw_satisfaction_mean` |", "| target | `resolution_rate` |"):
        assert text in summary
    checks = pd.read_csv(calibrated / "checks.csv")
    assert list(checks["kpi"]) == ["sw_burnout_mean", "resolution_rate", "sw_satisfaction_mean"]
    assert (checks["predictive_low"] <= checks["predictive_high"]).all()
    predictive = pd.read_csv(calibrated / "predictive.csv")
    assert len(predictive) == 8 and predictive["seed"].nunique() == 8


def test_finished_calibration_resumes_to_the_same_outputs(calibrated):
    names = ("posterior.parquet", "predictive.csv", "checks.csv")
    before = {name: (calibrated / name).read_bytes() for name in names}
    simulations = json.loads((calibrated / "manifest.json").read_text())["simulations"]
    spec = calibrated.parent / "tiny.yaml"
    args = command(["calibrate", str(spec), "--out", str(calibrated), "--workers", "1", "--resume", "--no-progress"])
    assert args.func(args) == 0
    assert {name: (calibrated / name).read_bytes() for name in names} == before
    assert json.loads((calibrated / "manifest.json").read_text())["simulations"] == simulations


def test_existing_folder_is_refused_without_resume(calibrated):
    args = command(["calibrate", str(calibrated.parent / "tiny.yaml"), "--out", str(calibrated)])
    with pytest.raises(UserError, match="add --resume"):
        args.func(args)


# Publishing into the documentation ------------------------------------------------------------------
def test_publish_puts_the_calibration_into_a_document_with_its_stamp(calibrated, tmp_path):
    from sim.calibration.publish import calibration_stamp

    docs = tmp_path / "docs"
    docs.mkdir()
    doc = docs / "calibration.md"
    doc.write_text("# Calibration\n\nBefore.\n\n<!-- posterior:tiny -->\nold\n<!-- /posterior:tiny -->\n\nAfter.\n",
                   encoding="utf-8")
    spec = calibrated.parent / "tiny.yaml"
    for _ in range(2):                                   # publishing again replaces the block
        args = command(["publish-calibration", str(calibrated), "--doc", str(doc), "--spec", str(spec)])
        assert args.func(args) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Calibration\n\nBefore.") and text.rstrip().endswith("After.")
    assert text.count("<!-- posterior:tiny -->") == 1 and "old" not in text
    assert calibration_stamp(spec) in text
    assert "#### Posterior" in text and "`workforce.burnout_gain`" in text
    assert "![pairs](img/calibration/tiny/pairs.png)" in text
    assert (docs / "img" / "calibration" / "tiny" / "pairs.png").is_file()
    copied = pd.read_parquet(docs / "calibration" / "tiny_posterior.parquet")
    assert copied.equals(pd.read_parquet(calibrated / "posterior.parquet"))


def test_publish_refuses_a_calibration_file_that_has_changed(calibrated, tmp_path):
    from sim.calibration.publish import publish

    changed = {**SPEC, "targets": {**SPEC["targets"], "resolution_rate": {"value": 0.7, "source": "test"}}}
    spec = tmp_path / "tiny.yaml"
    spec.write_text(yaml.safe_dump(changed, sort_keys=False), encoding="utf-8")
    doc = tmp_path / "calibration.md"
    doc.write_text("<!-- posterior:tiny -->\n<!-- /posterior:tiny -->\n", encoding="utf-8")
    with pytest.raises(UserError, match="another calibration"):
        publish(calibrated, doc, spec)
    assert doc.read_text(encoding="utf-8") == "<!-- posterior:tiny -->\n<!-- /posterior:tiny -->\n"


def test_the_calibration_identity_ignores_the_defaults_it_calibrates(tmp_path):
    """Setting a calibrated parameter's default to its posterior mean must not make the calibration stale."""
    from sim.calibration.spec import load_calibration

    def fingerprint(scenario_text: str) -> str:
        (tmp_path / "base.yaml").write_text(scenario_text, encoding="utf-8")
        return load_calibration({**SPEC, "base": str(tmp_path / "base.yaml")}).problem.fingerprint()

    plain = fingerprint("name: base\n")
    assert fingerprint("name: base\nworkforce:\n  burnout_gain: 0.07\n") == plain
    assert fingerprint("name: base\nworkforce:\n  burnout_recovery: 0.02\n") != plain

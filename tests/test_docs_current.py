"""Every document computed from model runs matches the model and inputs it claims.

Each carries a stamp (:mod:`sim.provenance`): the model's fingerprint (the golden outputs,
which change whenever what the model computes changes) and the hash of what else it ran.
A model change cannot land with a stale document: regenerate it with the command named in
the failure.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from sim import studies, validation
from sim.provenance import UNRECORDED, model_fingerprint, read_stamp, stamp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def stamped(path: Path) -> str:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    stamps = re.findall(r"<!-- inputs: .*? -->", path.read_text(encoding="utf-8"))
    assert stamps, f"{path.relative_to(ROOT)} has no inputs stamp"
    return stamps[0]


def test_the_model_fingerprint_is_recorded():
    assert model_fingerprint() != UNRECORDED


def test_the_validation_report_is_current():
    expected = stamp(scenarios=validation.scenarios_digest())
    assert stamped(DOCS / "validation" / "report.md") == expected, \
        "docs/validation is stale: cogov validate-model --out docs/validation"
    meta = json.loads((DOCS / "validation" / "validation.json").read_text(encoding="utf-8"))["meta"]
    assert meta["model"] == model_fingerprint() and meta["scenarios"] == validation.fingerprint()
    assert len(json.loads((DOCS / "validation" / "validation.json").read_text())["checks"]) == len(
        validation.CHECKS), "the report must hold every check"


def test_the_steady_state_study_is_current():
    assert stamped(DOCS / "steady_state.md") == studies.steady_state_stamp(), \
        "docs/steady_state.md is stale: cogov steady-state"


def test_the_policy_effects_study_is_current():
    found = stamped(DOCS / "policy_effects.md")
    digest = read_stamp(found).get("posterior")
    assert digest, "docs/policy_effects.md must report the effects under the posterior too"
    from sim.experiments.posterior import Posterior

    posterior = Posterior.read(DOCS / "calibration" / "street_posterior.parquet")
    assert digest == posterior.digest, "docs/policy_effects.md used another posterior than the published one"
    assert found == studies.policy_effects_stamp(digest), \
        "docs/policy_effects.md is stale: cogov policy-effects --posterior docs/calibration/street_posterior.parquet"


def test_the_seed_cases_are_current():
    spec = importlib.util.spec_from_file_location("cases", ROOT / "experiments" / "cases.py")
    cases = importlib.util.module_from_spec(spec)
    sys.modules["cases"] = cases
    spec.loader.exec_module(cases)
    text = (DOCS / "cases.md").read_text(encoding="utf-8")
    blocks = {m.group("case"): m.group("body") for m in cases.BLOCK.finditer(text)}
    assert set(blocks) == set(cases.CASES)
    for name, body in blocks.items():
        assert cases.inputs_stamp() in body, \
            f"docs/cases.md ({name}) is stale: python experiments/cases.py --doc docs/cases.md"


def test_the_published_calibration_is_current():
    pytest.importorskip("pyabc")
    from sim.calibration.publish import calibration_stamp

    found = stamped_block(DOCS / "calibration.md", "street")
    assert found == calibration_stamp(ROOT / "experiments" / "calibration" / "street.yaml"), \
        "docs/calibration.md is stale: cogov calibrate experiments/calibration/street.yaml, then publish-calibration"
    assert (DOCS / "calibration" / "street_posterior.parquet").is_file()


def stamped_block(path: Path, name: str) -> str:
    text = path.read_text(encoding="utf-8")
    m = re.search(rf"<!-- posterior:{name} -->\n(.*?)<!-- /posterior:{name} -->", text, re.S)
    assert m, f"{path.relative_to(ROOT)} has no posterior:{name} block"
    stamps = re.findall(r"<!-- inputs: .*? -->", m.group(1))
    assert stamps, f"the posterior:{name} block of {path.relative_to(ROOT)} is empty: publish the calibration"
    return stamps[0]


def test_calibrated_defaults_are_the_published_posterior_means():
    """A default whose source says it is a posterior mean is that mean (3 significant figures)."""
    import numpy as np
    import pandas as pd

    from sim.docgen import parameters
    from sim.schema import CALIBRATED

    posterior = pd.read_parquet(DOCS / "calibration" / "street_posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    weights = last["weight"] / last["weight"].sum()
    defaults = {p.path: p.default for p in parameters() if p.source == CALIBRATED}
    calibrated = list(defaults)
    assert sorted(calibrated) == sorted(c for c in posterior.columns if c not in ("weight", "generation"))
    assert "posterior mean" in CALIBRATED
    for path in calibrated:
        mean = float(np.sum(weights * last[path]))
        assert defaults[path] == float(f"{mean:.3g}"), f"{path}: default is not the posterior mean {mean:.3g}"

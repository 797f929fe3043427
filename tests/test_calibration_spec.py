"""Calibration files: bad input fails in one line before any simulation; posterior draws are reproducible."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.calibration import spec as spec_module
from sim.calibration.posterior import posterior_draws
from sim.calibration.spec import load_calibration, to_yaml
from sim.errors import UserError

GOOD = {
    "name": "street",
    "base": "baseline",
    "set": {"population.residents": 50000, "population.communities": 10, "funding.ngos": 10,
            "simulation.resident_agents": False},
    "parameters": {
        "workforce.burnout_gain": {"prior": "uniform", "low": 0.01, "high": 0.1},
        "workforce.admin_share": {"prior": "normal", "mean": 0.35, "sd": 0.1},
        "workforce.quit_burnout_effect": {"prior": "lognormal", "median": 1.5, "sigma": 0.5},
    },
    "targets": {"sw_turnover_rate": {"range": [0.15, 0.25], "source": "DOMAIN: ~20%/yr turnover"},
                "sw_burnout_mean": {"value": 0.4, "source": "assumption for the test"}},
    "held_out": {"sw_first_year_quit_rate": {"range": [0.3, 0.6], "source": "DOMAIN: trainees quit more"}},
    "population": 100,
    "generations": 5,
    "seed": 3,
}


def changed(**parts):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    for dotted, value in parts.items():
        node = data
        *head, last = dotted.split("/")
        for key in head:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return data


def refused(data) -> str:
    with pytest.raises(UserError) as err:
        load_calibration(data)
    text = str(err.value)
    assert "\n" not in text and err.value.exit_code == 2
    return text


def test_good_spec_resolves_with_schema_bounds_and_units():
    resolved = load_calibration(GOOD)
    problem = resolved.problem
    assert problem.parameters == list(GOOD["parameters"])
    admin = problem.priors["workforce.admin_share"]
    assert (admin.low, admin.high) == (0.0, 1.0)
    assert problem.units["workforce.burnout_gain"] == "burnout/week per unit overload"
    assert problem.units["workforce.admin_share"] == "share of hours"
    assert problem.simulator.scenario["population"]["residents"] == 50000
    assert problem.fingerprint() == load_calibration(GOOD).problem.fingerprint()
    assert problem.fingerprint() != load_calibration(changed(seed=4)).problem.fingerprint()
    assert problem.fingerprint() == load_calibration(changed(generations=9)).problem.fingerprint()
    joined = changed()
    joined["parameters"] = {k.replace(".", "__"): v for k, v in joined["parameters"].items()}
    assert load_calibration(joined).problem.fingerprint() == problem.fingerprint()


def test_spec_file_is_read_from_yaml(tmp_path):
    path = tmp_path / "street.yaml"
    path.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    assert load_calibration(path).spec.name == "street"
    path.write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(UserError, match="appears twice"):
        load_calibration(path)


def test_documented_example_is_a_valid_spec_and_round_trips():
    text = spec_module.__doc__.split("::\n", 1)[1].split("\n\n", 1)[0]
    resolved = load_calibration(yaml.safe_load(text))
    assert resolved.problem.parameters[0] == "workforce.base_quit_rate_per_year"
    again = load_calibration(yaml.safe_load(to_yaml(resolved.spec)))
    assert again.problem.fingerprint() == resolved.problem.fingerprint()
    assert to_yaml(resolved.spec).startswith("name: street-turnover\n")


def test_unknown_parameter_path_is_refused_with_a_hint():
    data = changed()
    data["parameters"]["workforce.burnout_gian"] = {"prior": "uniform", "low": 0.01, "high": 0.1}
    text = refused(data)
    assert "parameters.workforce.burnout_gian" in text and "did you mean 'workforce.burnout_gain'" in text


def test_prior_outside_the_schema_bounds_is_refused():
    text = refused(changed(**{"parameters/workforce.admin_share": {"prior": "uniform", "low": 0.2, "high": 1.5}}))
    assert "parameters.workforce.admin_share" in text and "outside the schema's bounds [0, 1]" in text
    text = refused(changed(**{"parameters/workforce.admin_share": {"prior": "normal", "mean": 0.3, "sd": 0.1,
                                                                   "low": -0.1}}))
    assert "outside the schema's bounds" in text


def test_unknown_kpi_is_refused_with_a_hint():
    text = refused(changed(**{"targets/sw_turnover_rat": {"value": 0.2, "source": "x"}}))
    assert "targets.sw_turnover_rat" in text and "did you mean 'sw_turnover_rate'" in text
    assert "held_out.nope" in refused(changed(**{"held_out/nope": {"value": 1, "source": "x"}}))


@pytest.mark.parametrize(("parts", "words"), [
    ({"parameters/workforce.target_caseload": {"prior": "uniform", "low": 10, "high": 20}}, "real-valued"),
    ({"parameters/workforce": {"prior": "uniform", "low": 0, "high": 1}}, "section, not a parameter"),
    ({"parameters/workforce.admin_share": {"prior": "beta", "a": 1}}, "unknown prior 'beta'"),
    ({"parameters/workforce.admin_share": {"prior": "uniform", "low": 0.5, "high": 0.2}}, "low < high"),
    ({"parameters/workforce.admin_share": {"prior": "normal", "mean": 5.0, "sd": 0.1}}, "of its mass"),
    ({"parameters/workforce.share_casework": {"prior": "uniform", "low": 0.4, "high": 0.7}}, "invalid scenario"),
    ({"generations": None}, "when to stop"),
    ({"targets/sw_burnout_mean": {"value": 0.4}}, "source"),
    ({"targets/sw_burnout_mean": {"value": 0.4, "range": [0, 1], "source": "x"}}, "either 'value' or"),
    ({"held_out/sw_burnout_mean": {"value": 0.4, "source": "x"}}, "both a target and a held-out"),
    ({"set/simulation.seed": 5}, "master 'seed'"),
    ({"set/workforce.admin_share": 0.3}, "both calibrated and fixed"),
    ({"set/population.residentz": 5}, "set.population.residentz"),
    ({"base": "no_such_scenario"}, "base"),
    ({"populaton": 5}, "unknown field 'populaton'"),
])
def test_bad_spec_is_one_line(parts, words):
    assert words in refused(changed(**parts))


def test_posterior_draws_are_weighted_and_reproducible(tmp_path):
    path = tmp_path / "posterior.parquet"
    pd.DataFrame({"a.x": [1.0, 2.0, 3.0, 9.0], "b.y": [10.0, 20.0, 30.0, 90.0],
                  "weight": [0.5, 0.5, 0.9, 0.1], "generation": [0, 0, 1, 1]}).to_parquet(path, index=False)
    draws = posterior_draws(path, 2000, seed=1)
    assert draws == posterior_draws(path, 2000, seed=1)
    assert draws != posterior_draws(path, 2000, seed=2)
    assert set(draws[0]) == {"a.x", "b.y"}
    assert {(d["a.x"], d["b.y"]) for d in draws} == {(3.0, 30.0), (9.0, 90.0)}
    share = np.mean([d["a.x"] == 3.0 for d in draws])
    assert abs(share - 0.9) < 3 * math.sqrt(0.9 * 0.1 / 2000)
    assert {d["a.x"] for d in posterior_draws(path, 50, seed=1, generation=0)} <= {1.0, 2.0}
    with pytest.raises(UserError, match="not found"):
        posterior_draws(tmp_path / "missing.parquet", 5, seed=1)

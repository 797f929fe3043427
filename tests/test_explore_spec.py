"""Optimisation files: a good file resolves to levers and scores; every mistake is one line naming its field."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.errors import UserError
from sim.explore.spec import load_optimize

KNOWN_KPIS = {"resolution_rate": (0.0, 1.0), "sw_turnover_rate": (0.0, math.inf), "coverage_vulnerable": (0.0, 1.0),
              "mean_wait_weeks": (0.0, math.inf)}

GOOD = {
    "name": "street-staffing",
    "scenario": "baseline",
    "set": {"population.residents": 2000},
    "weeks": 104,
    "levers": {
        "workforce.posts_per_1000_residents": {"type": "real", "low": 0.5, "high": 3.0},
        "workforce.salary_ratio": {"type": "real", "low": 0.6, "high": 1.2},
        "workforce.hours_per_week": {"type": "integer", "low": 35, "high": 45},
        "funding.contract_term_years": {"type": "choice", "options": [3, 1, 5], "floor": 1},
        "deliberation.enabled": {"type": "bool"},
    },
    "budget": {"yuan_per_year": 1_500_000},
    "uncertainty": {"ranges": {"workforce.base_quit_rate_per_year": [0.06, 0.12]}, "draws": 10, "replications": 2,
                    "holdout_draws": 50},
    "objectives": [
        {"kpi": "resolution_rate", "direction": "maximise", "robustness": {"metric": "percentile", "q": 10}},
        {"kpi": "sw_turnover_rate", "direction": "minimise", "robustness": {"metric": "mean_and_spread"},
         "range": [0, 1]},
        {"kpi": "coverage_vulnerable", "direction": "maximise",
         "robustness": {"metric": "satisficing", "threshold": 0.6}},
    ],
    "search": {"population": 24, "generations": 10, "seeds": [1, 2, 3]},
}


def staffing_cost(base, levers) -> float:
    """Yuan per year for a community of 2,000: posts at 80,000 yuan times the pay ratio, plus meetings."""
    posts = 2.0 * levers["workforce.posts_per_1000_residents"]
    return (posts * 80_000.0 * levers["workforce.salary_ratio"] * levers["workforce.hours_per_week"] / 40
            + 20_000.0 * levers["deliberation.enabled"] + 5_000.0 * (levers["funding.contract_term_years"] == 1))


def load(data, **kwargs):
    return load_optimize(data, known_kpis=KNOWN_KPIS, cost=staffing_cost, **kwargs)


def test_good_spec_resolves_to_levers_scores_and_budget():
    resolved = load(GOOD)
    levers = {lever.name: lever for lever in resolved.levers}
    assert list(levers) == list(GOOD["levers"])
    assert (levers["workforce.salary_ratio"].kind, levers["workforce.salary_ratio"].floor) == ("real", 0.6)
    assert (levers["workforce.hours_per_week"].kind, levers["workforce.hours_per_week"].lower) == ("integer", 35)
    assert levers["funding.contract_term_years"].options == (3, 1, 5)
    assert levers["funding.contract_term_years"].floor == 1
    assert levers["deliberation.enabled"].floor is False
    assert [(s.name, s.direction) for s in resolved.scores] == [
        ("resolution_rate_p10", "maximise"), ("sw_turnover_rate", "minimise"), ("sw_turnover_rate_sd", "minimise"),
        ("coverage_vulnerable_satisficing", "maximise")]
    assert resolved.budget == 1_500_000 and resolved.scenario.name == "baseline.yaml"
    assert resolved.posterior is None and resolved.uncertain == ["workforce.base_quit_rate_per_year"]
    assert [(s.lower, s.upper) for s in resolved.scores] == [(0, 1), (0, 1), (0, 0.5), (0, 1)]


def test_spec_file_is_read_from_yaml_with_paths_beside_it(tmp_path):
    posterior_file(tmp_path / "posterior.parquet", ["workforce.base_quit_rate_per_year"])
    data = copy.deepcopy(GOOD)
    data["uncertainty"].update(posterior="posterior.parquet", ranges=None)
    path = tmp_path / "staffing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    resolved = load(path)
    assert resolved.source == str(path) and resolved.posterior == tmp_path / "posterior.parquet"
    path.write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(UserError, match="appears twice"):
        load(path)


def changed(edit) -> dict:
    data = copy.deepcopy(GOOD)
    edit(data)
    return data


def lever(path, spec):
    return lambda d: d["levers"].__setitem__(path, spec)


REFUSED = [
    ("unknown lever path", lever("workforce.salary_ratoi", {"type": "real", "low": 0.6, "high": 1.0}),
     "levers.workforce.salary_ratoi", "did you mean 'workforce.salary_ratio'?"),
    ("section as lever", lever("workforce", {"type": "real", "low": 0, "high": 1}), "levers.workforce",
     "names a section"),
    ("low below the schema", lever("workforce.salary_ratio", {"type": "real", "low": 0.01, "high": 1.0}),
     "levers.workforce.salary_ratio.low", "must be at least 0.05"),
    ("high above the schema", lever("workforce.posts_per_1000_residents", {"type": "real", "low": 1, "high": 150}),
     "levers.workforce.posts_per_1000_residents.high", "must be at least 0 and at most 100"),
    ("real lever on a whole-number field", lever("funding.contract_term_years", {"type": "real", "low": 1, "high": 5}),
     "levers.funding.contract_term_years.type", "use type: integer"),
    ("setup-only lever", lever("funding.ngos", {"type": "integer", "low": 1, "high": 5}), "levers.funding.ngos",
     "funding.ngos is read only when the model is built (setup)"),
    ("bool lever on a number", lever("workforce.salary_ratio", {"type": "bool"}), "levers.workforce.salary_ratio.type",
     "needs a true/false parameter"),
    ("integer lever on a flag", lever("deliberation.enabled", {"type": "integer", "low": 0, "high": 1}),
     "levers.deliberation.enabled.type", "needs a numeric parameter"),
    ("option outside the schema", lever("funding.contract_term_years", {"type": "choice", "options": [1, 3, 50]}),
     "levers.funding.contract_term_years.options[2]", "must be at most 10"),
    ("fractional option on a whole number", lever("funding.contract_term_years",
                                                  {"type": "choice", "options": [1, 2.5]}),
     "levers.funding.contract_term_years.options[1]", "must be a whole number"),
    ("text option on a number", lever("workforce.salary_ratio", {"type": "choice", "options": [0.8, "high"]}),
     "levers.workforce.salary_ratio.options[1]", "must be a number"),
    ("unknown lever type", lever("workforce.salary_ratio", {"type": "float", "low": 0.6, "high": 1}),
     "levers.workforce.salary_ratio.type", "unknown lever type 'float'; allowed: real, integer"),
    ("missing lever type", lever("workforce.salary_ratio", {"low": 0.6, "high": 1}),
     "levers.workforce.salary_ratio.type", "needs a 'type'; allowed: real, integer, choice, bool"),
    ("bounds on a bool lever", lever("deliberation.enabled", {"type": "bool", "low": 0}),
     "levers.deliberation.enabled.low", "unknown field 'low'"),
    ("empty range", lever("workforce.salary_ratio", {"type": "real", "low": 1.0, "high": 0.8}),
     "levers.workforce.salary_ratio", "low (1) must be below high (0.8)"),
    ("non-numeric bound", lever("workforce.salary_ratio", {"type": "real", "low": "low", "high": 1}),
     "levers.workforce.salary_ratio.low", "must be a number"),
    ("lever fixed by set", lambda d: d["set"].__setitem__("workforce.salary_ratio", 0.9),
     "levers.workforce.salary_ratio", "both a lever and fixed by 'set'"),
    ("seed as lever", lever("simulation.seed", {"type": "integer", "low": 0, "high": 9}), "levers.simulation.seed",
     "run seeds come from the search"),
    ("unknown set path", lambda d: d["set"].__setitem__("population.residens", 10), "set.population.residens",
     "did you mean 'population.residents'?"),
    ("bad set value", lambda d: d["set"].__setitem__("population.residents", -5), "set.population.residents",
     "must be a whole number from 1"),
    ("unknown scenario", lambda d: d.__setitem__("scenario", "baseline_typo"), "scenario", "did you mean"),
    ("unknown KPI", lambda d: d["objectives"][1].__setitem__("kpi", "sw_turnover"), "objectives[1].kpi",
     "unknown KPI 'sw_turnover'; did you mean 'sw_turnover_rate'?"),
    ("unknown direction", lambda d: d["objectives"][0].__setitem__("direction", "maximize"),
     "objectives[0].direction", "must be one of 'maximise', 'minimise'"),
    ("percentile without q", lambda d: d["objectives"][0].__setitem__("robustness", {"metric": "percentile"}),
     "objectives[0].robustness.q", "is required but missing"),
    ("q on the mean", lambda d: d["objectives"][0].__setitem__("robustness", {"metric": "mean", "q": 10}),
     "objectives[0].robustness.q", "unknown field 'q'"),
    ("unknown metric", lambda d: d["objectives"][0].__setitem__("robustness", {"metric": "median"}),
     "objectives[0].robustness.metric", "unknown robustness metric 'median'"),
    ("repeated objective", lambda d: d["objectives"].append({"kpi": "sw_turnover_rate", "direction": "minimise",
                                                             "range": [0, 2]}),
     "objectives[3]", "repeats the objective 'sw_turnover_rate'"),
    ("budget no mix meets", lambda d: d["budget"].__setitem__("yuan_per_year", 40_000), "budget.yuan_per_year",
     "no lever mix meets it"),
    ("negative budget", lambda d: d["budget"].__setitem__("yuan_per_year", -1), "budget.yuan_per_year",
     "must be a number above 0"),
    ("misspelt section", lambda d: d.__setitem__("budjet", d.pop("budget")), "budjet",
     "unknown field 'budjet'; did you mean 'budget'?"),
    ("unknown budget field", lambda d: d["budget"].__setitem__("over_years", 3), "budget.over_years",
     "unknown field 'over_years'"),
    ("repeated seed", lambda d: d["search"].__setitem__("seeds", [1, 1]), "search.seeds", "a seed is listed twice"),
    ("population too small", lambda d: (d["search"].__setitem__("population", 4),
                                        d["objectives"].append({"kpi": "mean_wait_weeks", "direction": "minimise",
                                                                "range": [0, 20]})),
     "search.population", "too few for 5 objectives"),
    ("missing posterior", lambda d: d["uncertainty"].update(posterior="nowhere.parquet", ranges=None),
     "uncertainty.posterior", "no posterior file"),
    ("posterior and ranges", lambda d: d["uncertainty"].__setitem__("posterior", "p.parquet"), "uncertainty",
     "give a posterior or ranges, not both"),
    ("several draws of nothing", lambda d: d["uncertainty"].__setitem__("ranges", None), "uncertainty",
     "draws must be 1 (got 10)"),
    ("hold-out no larger", lambda d: d["uncertainty"].__setitem__("holdout_draws", 10), "uncertainty",
     "holdout_draws (10) must be 0 or more than draws (10)"),
    ("range of a lever", lambda d: d["uncertainty"]["ranges"].__setitem__("workforce.salary_ratio", [0.6, 0.7]),
     "uncertainty.ranges.workforce.salary_ratio", "is a lever; it cannot be uncertain too"),
    ("range outside the schema", lambda d: d["uncertainty"]["ranges"].__setitem__("workforce.base_quit_rate_per_year",
                                                                                [-1, 0.2]),
     "uncertainty.ranges.workforce.base_quit_rate_per_year", "outside the schema's bounds"),
    ("range on a setup parameter", lambda d: d["uncertainty"]["ranges"].__setitem__(
        "workforce.local_average_wage_yuan_year", [60000, 90000]),
     "uncertainty.ranges.workforce.local_average_wage_yuan_year", "read only when the model is built"),
    ("range reversed", lambda d: d["uncertainty"]["ranges"].__setitem__("workforce.quit_pay_elasticity", [0.3, 0.1]),
     "uncertainty.ranges", "the low end (0.3) must be below the high end (0.1)"),
    ("unbounded KPI without a range", lambda d: d["objectives"][1].pop("range"), "objectives[1].range",
     "is required: sw_turnover_rate has no upper bound"),
    ("balance on itself", lever("workforce.share_coordination", {"type": "real", "low": 0.05, "high": 0.2,
                                                                "balance": "workforce.share_coordination"}),
     "levers.workforce.share_coordination.balance", "cannot balance itself"),
    ("balance on a lever", lever("workforce.share_coordination", {"type": "real", "low": 0.05, "high": 0.2,
                                                                 "balance": "workforce.salary_ratio"}),
     "levers.workforce.share_coordination.balance", "workforce.salary_ratio is already a lever"),
    ("unbalanced shares", lever("workforce.share_coordination", {"type": "real", "low": 0.05, "high": 0.2}),
     "levers.workforce.share_coordination.low", "must sum to 1"),
    ("balance that would go negative", lever("workforce.share_coordination",
                                             {"type": "real", "low": 0.05, "high": 0.7,
                                              "balance": "workforce.share_casework"}),
     "levers.workforce.share_coordination.high", "the scenario refuses 0.7"),
    ("discover on an unknown KPI", lambda d: d.__setitem__("discover", {"kpi": "turnover", "fail": "> 0.3"}),
     "discover.kpi", "unknown KPI 'turnover'"),
    ("discover with a bad rule", lambda d: d.__setitem__("discover", {"kpi": "sw_turnover_rate", "fail": "high"}),
     "discover.fail", "expected a comparison"),
    ("no draws", lambda d: d["uncertainty"].__setitem__("draws", 0), "uncertainty.draws",
     "must be a whole number at least 1"),
    ("unsafe name", lambda d: d.__setitem__("name", "../up"), "name", "file-name-safe"),
]


@pytest.mark.parametrize("case, edit, field, message", REFUSED, ids=[case[0] for case in REFUSED])
def test_mistakes_are_refused_in_one_line_naming_the_field(case, edit, field, message):
    data = changed(edit)
    with pytest.raises(UserError) as err:
        load(data)
    text = str(err.value)
    assert "\n" not in text and err.value.exit_code == 2
    assert err.value.source == data["name"] and err.value.field == field, text
    assert text.startswith(f"{data['name']}: {field}: ")
    assert message in text, text


def test_the_budget_check_uses_the_cost_function_at_every_floor():
    seen = []

    def cost(base, levers):
        seen.append(dict(levers))
        return staffing_cost(base, levers)

    load_optimize(GOOD, known_kpis=KNOWN_KPIS, cost=cost)
    assert seen == [{"workforce.posts_per_1000_residents": 0.5, "workforce.salary_ratio": 0.6,
                     "workforce.hours_per_week": 35, "funding.contract_term_years": 1, "deliberation.enabled": False}]
    with pytest.raises(UserError, match="the levers cost 4.7 万元/year, over the budget of 4 万元/year"):
        load(changed(lambda d: d["budget"].__setitem__("yuan_per_year", 40_000)))


def posterior_file(path, columns):
    """A small posterior as ``cogov calibrate`` writes it: parameter columns, ``weight`` and ``generation``."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({name: rng.uniform(0.05, 0.15, 8) for name in columns})
    frame["weight"] = 1 / 8
    frame["generation"] = 0
    frame.to_parquet(path, index=False)
    return path


def test_the_documented_example_is_a_valid_file(tmp_path):
    from sim.explore import spec

    example = spec.__doc__.split("An example::")[1].split("\n\nLever kinds")[0]
    data = yaml.safe_load(example)
    assert data["uncertainty"]["posterior"].endswith("posterior.parquet")
    data["uncertainty"]["posterior"] = str(posterior_file(tmp_path / "posterior.parquet",
                                                          ["workforce.base_quit_rate_per_year"]))
    resolved = load_optimize(data, known_kpis=KNOWN_KPIS, cost=lambda base, levers: 0.0)
    assert [lever.kind for lever in resolved.levers] == ["real", "real", "real", "choice"]
    assert [s.name for s in resolved.scores] == ["resolution_rate_p10", "sw_turnover_rate"]
    assert resolved.uncertain == ["workforce.base_quit_rate_per_year"]
    assert resolved.fail is not None and str(resolved.fail) == "> 0.3"


def test_a_balanced_lever_moves_its_balance_the_other_way_and_the_status_quo_is_the_scenario():
    data = changed(lever("workforce.share_coordination", {"type": "real", "low": 0.05, "high": 0.3,
                                                          "balance": "workforce.share_casework"}))
    resolved = load(data)
    assert resolved.balances == {"workforce.share_coordination": ("workforce.share_casework", pytest.approx(0.65))}
    changes = resolved.overrides({"workforce.share_coordination": 0.25, "workforce.salary_ratio": 0.7})
    assert changes["workforce.share_casework"] == pytest.approx(0.4) and changes["workforce.salary_ratio"] == 0.7
    quo = resolved.status_quo()
    assert quo["workforce.share_coordination"] == 0.1 and quo["workforce.salary_ratio"] == 0.64
    assert quo["funding.contract_term_years"] == 1


@pytest.mark.parametrize("columns, message", [
    (["workforce.base_quit_rate"], "column 'workforce.base_quit_rate' of posterior.parquet does not match the "
                                   "scenario's parameters: unknown field 'base_quit_rate'"),
    (["population.share_aged_60_plus"], "read only when the model is built"),
    (["workforce.salary_ratio"], "column 'workforce.salary_ratio' of posterior.parquet is a lever"),
    (["workforce.admin_share"], "column 'workforce.admin_share' of posterior.parquet is fixed by 'set'"),
])
def test_a_posterior_that_does_not_match_the_scenario_is_refused(tmp_path, columns, message):
    path = posterior_file(tmp_path / "posterior.parquet", columns)
    data = changed(lambda d: (d["uncertainty"].update(posterior=str(path), ranges=None),
                              d["set"].__setitem__("workforce.admin_share", 0.3)))
    with pytest.raises(UserError) as err:
        load(data)
    assert err.value.field == "uncertainty.posterior" and message in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_a_posterior_without_its_columns_is_refused(tmp_path):
    path = tmp_path / "posterior.parquet"
    pd.DataFrame({"workforce.base_quit_rate_per_year": [0.1]}).to_parquet(path)
    data = changed(lambda d: d["uncertainty"].update(posterior=str(path), ranges=None))
    with pytest.raises(UserError, match="is not a posterior"):
        load(data)

"""Conservation of money, people and needs, checked by hand from the weekly series.

The model checks its own invariants every week when
``simulation.check_invariants`` is on; these tests run with it on and also
recompute each balance from the published outputs, so that a slip in the
model's own check, or in what it records, is caught too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import outputs
from sim.errors import InvariantError
from sim.model import CommunityModel
from sim.scenario import bundled_scenarios, load_scenario

SHRINK = {"population.residents": 2000, "simulation.horizon_weeks": 240,
          "simulation.warmup_weeks": 20, "simulation.check_invariants": True}
"""Bundled scenarios, shrunk to run in about a second each (long enough for the funding cut's week)."""

MANY_COMMUNITIES = {"population.communities": 4, "funding.ngos": 2}
"""For the district-scale scenarios: keep a few staff per agency at 2,000 residents."""

STRESS = {
    "turnover": {
        "workforce.posts_per_1000_residents": 10, "workforce.salary_ratio": 0.3,
        "workforce.burnout_gain": 0.3, "workforce.hiring_lag_weeks": 2,
        "volunteers.motivation_decay_per_week": 0.05,
    },
    "contracts_lost": {
        "population.communities": 3, "funding.ngos": 3, "workforce.posts_per_1000_residents": 6,
        "funding.renewal_floor": 0.0, "funding.renewal_ceiling": 0.05,
        "funding.incumbent_win_probability": 0.2, "funding.procurement_gap_weeks": 4,
    },
    "money_runs_short": {
        "workforce.posts_per_1000_residents": 6, "funding.initial_cash_months": 0,
        "funding.instalments_per_year": 1, "funding.budget_multiplier": 0.6,
        "community_fund.initial_balance_yuan": 0, "community_fund.charity_market_yuan_year": 500,
        "community_fund.activity_cost_yuan": 2000, "enterprises.partners_per_1000_residents": 0,
    },
}
"""Extreme settings that drive the flows the balances are about: hires, quits,
layoffs, closed agencies, drop-outs, a community fund that runs dry."""

SHARES = ("sw_burnout_mean", "sw_satisfaction_mean", "trust_mean", "belonging_mean", "wellbeing_mean",
          "volunteer_coverage_mean", "coverage_vulnerable", "coverage_elderly_alone")
SUMMARY_SHARES = ("sw_vacancy_rate", "coverage_vulnerable", "coverage_elderly_alone", "trust_mean",
                  "belonging_mean", "wellbeing_mean", "volunteer_rate", "sw_burnout_mean",
                  "sw_satisfaction_mean")


def run_checked(source, overrides):
    """Run with the weekly check on; return the model, its weekly frame and its week-0 stocks."""
    model = CommunityModel(load_scenario(source, overrides))
    start = {
        "agency_cash": sum(n.cash for n in model.ngos),
        "community_fund": float(model.world.fund.balance.sum()),
        "headcount": len(model.workers),
        "volunteers": int(model.volunteers.active.sum()),
        "open_needs": int(model.needs.open.sum()),
    }
    model.run()
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return model, frame, start


def assert_balances(model, frame: pd.DataFrame, start: dict) -> None:
    """Every balance, every week, from the published weekly series."""
    c = frame.cumsum()
    scale = max(1.0, float(frame["money_in_government"].sum()))

    agencies = (start["agency_cash"] + c.money_in_government + c.money_in_foundation
                + c.money_moved_fund_to_agencies - c.money_moved_agencies_to_fund
                - c.money_out_salaries - c.money_out_overhead - c.money_out_training - c.money_out_bonuses
                - c.money_out_returned_to_funder - c.money_out_closed_agency_reserves)
    np.testing.assert_allclose(agencies, frame.ngo_cash, rtol=0, atol=1e-9 * scale,
                               err_msg="agencies: contracts + grants != spent + cash held")
    fund = (start["community_fund"] + c.money_in_enterprise + c.money_in_charity_market
            + c.money_moved_agencies_to_fund - c.money_moved_fund_to_agencies
            - c.money_out_activities - c.money_out_assistance)
    np.testing.assert_allclose(fund, frame.community_fund, rtol=0, atol=1e-9 * scale,
                               err_msg="community fund: donations + sales != spent + balance")

    heads = start["headcount"] + c.sw_hires - c.sw_quits - c.sw_layoffs
    np.testing.assert_array_equal(heads, frame.sw_headcount, "hires - separations != headcount change")
    active = start["volunteers"] + c.volunteer_recruits - c.volunteer_dropouts
    np.testing.assert_array_equal(active, frame.volunteers_active, "recruits - drop-outs != change")
    needs = start["open_needs"] + c.needs_arisen - c.needs_resolved - c.needs_dropped - c.needs_exited
    np.testing.assert_array_equal(needs, frame.open_needs, "arisen != resolved + lapsed + ended elsewhere + open")
    assert model.residents.n == model.params.population.residents

    staffed = frame.sw_headcount > 0
    worker_means = [c for c in frame.columns if c.startswith("sw_") and c.endswith("_mean")]
    assert frame.loc[staffed, worker_means].notna().all().all() and frame.loc[~staffed, worker_means].isna().all().all()
    values = frame.drop(columns=worker_means).to_numpy(dtype=float)
    assert np.isfinite(values).all(), "non-finite weekly output"
    terms = [c for c in frame.columns if c.startswith("quit_term_")]
    negative = [col for col in frame.columns if col not in terms and (frame[col] < 0).any()]
    assert not negative, f"negative stocks or flows: {negative}"
    outside = [col for col in SHARES if not frame.loc[staffed, col].between(0, 1).all()]
    assert not outside, f"shares outside [0, 1]: {outside}"
    summary = model.summary()
    for o in outputs.KPIS:
        lo, hi = o.bounds
        assert math.isnan(summary[o.name]) or lo <= summary[o.name] <= hi, o.name
    assert all(0 <= summary[k] <= 1 for k in SUMMARY_SHARES if math.isfinite(summary[k]))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenarios_conserve_money_people_and_needs(name):
    overrides = dict(SHRINK)
    if load_scenario(name).population.communities > 2:
        overrides.update(MANY_COMMUNITIES)
    model, frame, start = run_checked(name, overrides)
    assert len(frame) == 240
    assert_balances(model, frame, start)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(STRESS))
def test_balances_hold_under_stress(name):
    model, frame, start = run_checked("baseline", {**SHRINK, **STRESS[name]})
    assert_balances(model, frame, start)
    totals = frame.sum()
    exercised = {
        "turnover": totals.sw_hires > 0 and totals.sw_quits > 0 and totals.volunteer_dropouts > 0,
        "contracts_lost": totals.contracts_lost > 0 and totals.ngo_failures > 0
        and totals.sw_layoffs > 0 and totals.money_out_closed_agency_reserves > 0,
        "money_runs_short": totals.sw_layoffs > 0 and (frame.community_fund < 2000).any(),
    }[name]
    assert exercised, "the stress settings no longer drive the flows this test is about"


def _tamper_money(model):
    model.ngos[0].cash += 100.0


def _tamper_fund(model):
    model.world.fund.balance[0] += 100.0


def _tamper_hires(model):
    model.datacollector.totals["sw_hires"] += 1


def _tamper_recruits(model):
    model.datacollector.totals["volunteer_recruits"] += 1


def _tamper_needs(model):
    model.datacollector.totals["needs_arisen"] += 1


def _tamper_trust(model):
    model.residents.trust[0] = 1.5


def _tamper_output(model):
    model.datacollector.last["trust_mean"] = float("nan")


@pytest.mark.parametrize("tamper, message", [
    (_tamper_money, "money held"), (_tamper_fund, "money held"), (_tamper_hires, "headcount"),
    (_tamper_recruits, "volunteer"), (_tamper_needs, "arisen"), (_tamper_trust, "trust"),
    (_tamper_output, "non-finite"),
])
def test_the_weekly_check_catches_each_kind_of_violation(tamper, message):
    """The model's own check is not vacuous: each broken balance is reported."""
    model = CommunityModel(load_scenario("baseline", {"population.residents": 500,
                                                      "simulation.horizon_weeks": 10,
                                                      "simulation.warmup_weeks": 0}))
    model.run(3)
    model.check_invariants()
    tamper(model)
    with pytest.raises(InvariantError, match=message):
        model.check_invariants()

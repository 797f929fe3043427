"""Agency finance, the steady state and the indicators: each rule on a case where the answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import CommunityModel, run_scenario
from sim.agents import Contract
from sim.scenario import STREET, load_scenario
from sim.stats import km_median, mean_ci
from sim.submodels import funding, staffing

SMALL = {"population": {"residents": 3000}, "simulation": {"horizon_weeks": 120, "warmup_weeks": 20,
                                                            "check_invariants": True, "resident_agents": False}}


def scenario(**sections):
    data = {k: dict(v) for k, v in SMALL.items()}
    for key, value in sections.items():
        data.setdefault(key, {}).update(value) if isinstance(value, dict) else data.__setitem__(key, value)
    return data


# Contracts -------------------------------------------------------------------------------------------
def test_an_indexed_multi_year_contract_pays_more_each_year():
    c = Contract(value_per_year=100_000.0, posts=1, start_week=0, end_week=156, instalments=12, indexation=1.07)
    amounts = [c.amount(i) for i in range(12)]
    assert amounts[0] == pytest.approx(25_000.0)
    assert amounts[4] == pytest.approx(25_000.0 * 1.07) and amounts[8] == pytest.approx(25_000.0 * 1.07 ** 2)
    assert c.total == pytest.approx(100_000.0 * (1 + 1.07 + 1.07 ** 2))


def test_the_street_budget_is_priced_with_the_contract_rule():
    s = load_scenario("baseline", {**STREET, "funding.contract_term_years": 3, "funding.contract_indexation": 1.0})
    per_agency = funding.contract_value(5, 0, s.funding)
    assert per_agency == pytest.approx(400_000.0)
    assert funding.budget_per_year(s) == pytest.approx(10 * per_agency * (1 + 1.07 + 1.07 ** 2) / 3)


# Agency budgets --------------------------------------------------------------------------------------
def test_no_agency_gives_notice_while_its_cash_covers_the_payroll_to_the_end_of_the_contract(monkeypatch):
    """The weekly invariant (checked in every week by simulation.check_invariants) in a cut that bites.

    A layoff without notice (this week's payroll cannot be paid) never happens while the contract has
    more than the notice period left, where the agency's look-ahead gives notice in time. Contracts are
    evaluated before the week's payroll, so a renewal's first instalment arrives before it is paid.
    """
    emergencies: list[tuple[int, int | None]] = []
    lay_off = staffing.lay_off

    def recorded(rosters, ngo, n, *args, emergency=False, **kwargs):
        if emergency:
            ctx = args[-1]
            c = ngo.contract
            emergencies.append((ctx.week, None if c is None else c.weeks_left(ctx.week)))
        return lay_off(rosters, ngo, n, *args, emergency=emergency, **kwargs)

    futile: list[tuple[int, int]] = []
    notify = funding.notify

    def watched(ngo, outlook, staff, labour, ctx):
        before = len(labour.notices)
        notify(ngo, outlook, staff, labour, ctx)
        if len(labour.notices) > before and outlook.weeks <= ctx.p.funding.layoff_notice_weeks:
            futile.append((ctx.week, outlook.weeks))

    monkeypatch.setattr(staffing, "lay_off", recorded)
    monkeypatch.setattr(funding, "notify", watched)
    m = CommunityModel(load_scenario("funding_cut", {**STREET, "population.residents": 20000,
                                                     "population.communities": 4, "funding.ngos": 4,
                                                     "simulation.check_invariants": True}, weeks=300))
    m.run()
    notices = m.world.labour.notices
    assert notices, "a 30% cut must lead to some notices"
    assert all(projected < 0 for _, _, projected in notices)
    assert len(emergencies) == m.datacollector.totals["sw_emergency_layoffs"]
    notice = m.params.funding.layoff_notice_weeks
    assert all(left is None or 0 < left <= notice for _, left in emergencies), emergencies
    assert not futile, f"notices that end after the projection's last week: {futile}"


def test_layoffs_come_with_notice_and_are_spread_over_weeks_not_synchronised():
    """Agencies lay off when their own money runs short, not all in one week because a price crossed a line."""
    m = CommunityModel(load_scenario("funding_cut", {**STREET, "simulation.check_invariants": False}, weeks=416))
    per_week: dict[int, set[int]] = {}
    m.run()
    for week, agency, _ in m.world.labour.notices:
        per_week.setdefault(week, set()).add(agency)
    worst = max(len(a) for a in per_week.values())
    assert worst <= 5, f"{worst} of 10 agencies gave notice in the same week"


def test_grant_money_smaller_than_a_post_adds_up_to_an_extra_post():
    extra = {"funding": {"foundation_grant_yuan_per_1000_residents_year": 15_000, "surplus_use": "posts"}}
    with_grant = CommunityModel(scenario(**extra, workforce={"base_quit_rate_per_year": 0.0}))
    without = CommunityModel(scenario(workforce={"base_quit_rate_per_year": 0.0}))
    with_grant.run(120)
    without.run(120)
    # 45,000 yuan a year is about half a post: it adds up, and for most of the run funds one more worker.
    def headcount(m):
        return np.asarray(m.datacollector.columns["sw_headcount"], dtype=float)

    more = headcount(with_grant) - headcount(without)
    assert (more >= 1).mean() > 0.5 and more.mean() >= 0.4, more
    assert with_grant.world.accounts.total_in["foundation"] > 0


def test_reserves_stay_bounded_and_surplus_goes_back_to_the_funder():
    r = run_scenario("baseline", weeks=416, overrides={"population.residents": 5000})
    months = r.summary["ngo_reserve_months"]
    assert 0 < months < load_scenario("baseline").funding.reserve_cap_months + 2
    assert r.summary["money_out_returned_to_funder_per_year"] > 0


# Steady state ------------------------------------------------------------------------------------------
def test_every_stock_has_an_outflow():
    """Needs end elsewhere at any severity, registrations lapse, partners leave."""
    r = run_scenario("baseline", weeks=260, overrides={"enterprises.closure_per_year": 0.5,
                                                       "enterprises.partners_per_1000_residents": 2.0,
                                                       "enterprises.recruit_per_1000_residents_year": 1.0})
    s = r.summary
    assert s["needs_exited_per_year"] > 0
    assert r.timeseries["volunteer_deregistrations"].sum() > 0
    assert s["enterprise_exits_per_year"] > 0


# Indicators ---------------------------------------------------------------------------------------------
def test_waiting_measures_rise_when_service_collapses():
    """The median wait counts needs still waiting (censored), so it does not fall when workers go."""
    common = {"population.residents": 5000, "simulation.resident_agents": False}
    base = run_scenario("baseline", weeks=260, overrides=common).summary
    none = run_scenario("baseline", weeks=260, overrides={**common, "workforce.posts_per_1000_residents": 0.0}).summary
    assert none["ledger_age_mean_weeks"] > base["ledger_age_mean_weeks"]
    assert none["resolution_rate"] < base["resolution_rate"]
    assert math.isnan(none["sw_burnout_mean"]) and math.isnan(none["sw_pay_ratio_mean"])


def test_km_median_counts_censored_needs():
    assert km_median([1, 2, 3, 4, 5], [1, 1, 1, 1, 1]) == 3
    assert km_median([1, 2, 3, 4, 5], [1, 0, 1, 0, 1]) == 5
    assert math.isnan(km_median([4, 4, 4], [0, 0, 0]))


def test_bounded_shares_and_their_intervals_stay_in_their_bounds():
    r = run_scenario("deliberation", weeks=200, overrides={"population.residents": 3000})
    assert 0 <= r.summary["dispute_resolution_share"] <= 1
    m, lo, hi = mean_ci([0.98, 0.99, 1.0], bounds=(0.0, 1.0))
    assert hi == 1.0 and lo < m


def test_eldercare_is_read_off_separately():
    s = run_scenario("aging_estate", weeks=200).summary
    for key in ("backlog_mean_eldercare", "resolution_rate_eldercare", "wait_median_weeks_eldercare"):
        assert key in s and np.isfinite(s[key])
    assert s["backlog_mean_eldercare"] > s["backlog_mean_children_youth"]


# Career levers -------------------------------------------------------------------------------------------
def test_training_certifies_and_the_ladder_raises_pay():
    plain = CommunityModel(scenario(workforce={"certified_share": 0.0, "base_quit_rate_per_year": 0.0}))
    career = CommunityModel(scenario(workforce={"certified_share": 0.0, "base_quit_rate_per_year": 0.0,
                                                "training_hours_per_year": 80, "ladder_step_years": 1.0}))
    plain.run(120)
    career.run(120)
    share = [sum(w.certified for w in m.workers) / len(m.workers) for m in (plain, career)]
    assert share[1] > share[0]
    pay = [np.mean([w.salary for w in m.workers]) for m in (plain, career)]
    assert pay[1] > pay[0] * 1.05
    assert career.datacollector.totals["sw_certified"] > plain.datacollector.totals["sw_certified"]


# Scale -----------------------------------------------------------------------------------------------------
def test_partners_follow_residents_not_communities():
    small = load_scenario("baseline", {"population.residents": 5000, "enterprises.closure_per_year": 0.0})
    big = load_scenario("baseline", {"population.residents": 50000, "enterprises.closure_per_year": 0.0})
    counts = []
    for s in (small, big):
        m = CommunityModel(s)
        counts.append(len(m.enterprises) / s.population.residents * 1000)
    assert counts[0] == pytest.approx(counts[1], abs=0.1)

"""Funding: purchase-of-service contracts (政府购买服务), grants, salaries, layoffs.

The street office buys services through contracts of one to three years,
paid in instalments and evaluated at the end on delivered services and
residents' trust; renewal is likely after a good evaluation but never sure. A
contract that is not renewed is re-tendered after a gap: the incumbent may win
it back, or lose it, lay off its staff and close while a new agency takes
over. Agencies pay salaries and overhead from cash and lay off staff when they
cannot pay.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..agents import NGO, Contract
from . import workforce

if TYPE_CHECKING:
    from ..model import CommunityModel


def contract_posts(model: CommunityModel, ngo: NGO) -> int:
    size = model.residents.community_size
    residents = math.fsum(size[c] / model.ngos_per_community[c] for c in ngo.communities)
    return int(round(model.s.workforce.posts_per_1000_residents * residents / 1000.0))


def cost_per_worker_year(model: CommunityModel) -> float:
    p = model.s.workforce
    return (p.salary_ratio * model.local_wage * (1.0 + p.on_cost_share)
            + model.s.funding.overhead_per_post_yuan_year)


def grants_per_year(model: CommunityModel, ngo: NGO) -> float:
    return model.s.funding.foundation_grant_yuan_year * len(ngo.communities)


def sign(model: CommunityModel, ngo: NGO, start_week: int) -> Contract:
    f = model.s.funding
    posts = contract_posts(model, ngo)
    growth = (1.0 + f.budget_growth_per_year) ** (start_week / 52.0)
    value = posts * f.contract_value_per_post_yuan_year * f.budget_multiplier * growth
    term = 52 * f.contract_term_years
    ngo.contract = Contract(value_per_year=value, posts=posts, start_week=start_week,
                            end_week=start_week + term,
                            instalments=f.instalments_per_year * f.contract_term_years,
                            resolved_at_start=ngo.resolved)
    ngo.tender_week = None
    return ngo.contract


def affordable_posts(model: CommunityModel, ngo: NGO) -> int:
    """Posts the agency can keep: the contract's posts plus posts foundation grants pay for,
    as far as income covers them."""
    c = ngo.contract
    if c is None or model.week < c.start_week or ngo.failed:
        return 0
    cost = cost_per_worker_year(model)
    grants = grants_per_year(model, ngo)
    income = c.value_per_year + grants
    return max(0, min(c.posts + int(math.floor(grants / cost)), int(math.floor(income / cost))))


def check_affordability(model: CommunityModel) -> None:
    """Warn when the contracts specify more posts than their value pays for."""
    cost = cost_per_worker_year(model)
    f = model.s.funding
    value = f.contract_value_per_post_yuan_year * f.budget_multiplier
    if value < cost and model.s.workforce.posts_per_1000_residents > 0:
        warnings.warn(
            f"funding.contract_value_per_post_yuan_year ({value:,.0f} after budget_multiplier) "
            f"is below the cost of a post ({cost:,.0f} yuan/year at workforce.salary_ratio "
            f"{model.s.workforce.salary_ratio:g}); agencies will fill fewer posts than funded",
            UserWarning, stacklevel=3)


def setup(model: CommunityModel) -> None:
    """Agencies, their first contracts and staff in post at week 0."""
    f = model.s.funding
    n_c = model.residents.n_communities
    if f.ngos <= n_c:
        groups = [list(range(n_c))[i::f.ngos] for i in range(f.ngos)]
    else:
        groups = [[i % n_c] for i in range(f.ngos)]
    model.ngos_per_community = np.bincount([c for g in groups for c in g], minlength=n_c)
    check_affordability(model)
    for comms in groups:
        ngo = NGO(model, comms, cash=0.0)
        sign(model, ngo, 0)
        posts = affordable_posts(model, ngo)
        ngo.cash = f.initial_cash_months / 12.0 * posts * cost_per_worker_year(model)
        model.accounts.initial_held += ngo.cash
        for _ in range(posts):
            tenure = int(model.rng.exponential(model.s.workforce.initial_tenure_mean_weeks))
            workforce.new_worker(model, ngo, tenure_weeks=tenure)
    model.tally.reset()


def pay_in(model: CommunityModel) -> None:
    """Contract instalments and foundation grants reach the agencies."""
    for ngo in model.ngos:
        c = ngo.contract
        while c is not None and c.instalment_due(model.week):
            amount = c.total / c.instalments
            ngo.cash += amount
            c.paid += 1
            model.accounts.receive("government", amount)
        grant = grants_per_year(model, ngo) / 52.0
        if grant > 0 and not ngo.failed:
            ngo.cash += grant
            model.accounts.receive("foundation", grant)


def _payroll(model: CommunityModel, staff: list) -> float:
    p = model.s.workforce
    overhead = model.s.funding.overhead_per_post_yuan_year
    return math.fsum(w.salary * (1.0 + p.on_cost_share) + overhead for w in staff) / 52.0


def lay_off(model: CommunityModel, ngo: NGO, n: int) -> None:
    """Last in, first out."""
    staff = sorted(ngo.workers, key=lambda w: (w.tenure_weeks, w.wid))
    for w in staff[:n]:
        workforce.separate(model, w, "layoff")


def pay_out(model: CommunityModel) -> None:
    """Salaries and overhead; layoffs when posts or cash run short."""
    p = model.s.workforce
    for ngo in model.ngos:
        staff = ngo.workers
        c = ngo.contract
        if c is not None and model.week >= c.start_week:
            excess = len(staff) - affordable_posts(model, ngo)
            if excess > 0:
                lay_off(model, ngo, excess)
                staff = ngo.workers
        while staff and _payroll(model, staff) > ngo.cash + 1e-6:
            lay_off(model, ngo, 1)
            staff = ngo.workers
        salaries = math.fsum(w.salary * (1.0 + p.on_cost_share) for w in staff) / 52.0
        overhead = len(staff) * model.s.funding.overhead_per_post_yuan_year / 52.0
        ngo.cash -= salaries + overhead
        model.accounts.spend("salaries", salaries)
        model.accounts.spend("overhead", overhead)
        ngo.resolved += int(model.tally.resolved_by_community[ngo.communities].sum())


def evaluation_score(model: CommunityModel, ngo: NGO) -> float:
    c = ngo.contract
    f = model.s.funding
    years = (c.end_week - c.start_week) / 52.0
    expected = max(c.posts * f.deliverable_resolved_per_post_year * years, 1.0)
    delivered = min((ngo.resolved - c.resolved_at_start) / expected, 1.0)
    r = model.residents
    in_area = np.isin(r.community, ngo.communities)
    satisfaction = float(r.trust[in_area].mean()) if in_area.any() else 0.0
    return 0.5 * delivered + 0.5 * satisfaction


def contracts(model: CommunityModel) -> None:
    """End-of-term evaluation, renewal, re-tender, closure of agencies that lose."""
    f = model.s.funding
    for ngo in list(model.ngos):
        c = ngo.contract
        if c is not None and model.week >= c.end_week:
            score = evaluation_score(model, ngo)
            model.tally.add("contracts_ended", 1)
            p_renew = f.renewal_floor + (f.renewal_ceiling - f.renewal_floor) * score
            if model.rng.random() < p_renew:
                sign(model, ngo, model.week)
                model.tally.add("contracts_renewed", 1)
            else:
                ngo.contract = None
                ngo.tender_week = model.week + f.procurement_gap_weeks
                model.tally.add("contracts_lost", 1)
        if ngo.contract is None and ngo.tender_week is not None and model.week >= ngo.tender_week:
            if model.rng.random() < f.incumbent_win_probability:
                sign(model, ngo, model.week)
            else:
                close(model, ngo)
                successor = NGO(model, ngo.communities, cash=0.0)
                sign(model, successor, model.week)


def close(model: CommunityModel, ngo: NGO) -> None:
    """An agency that lost its contract lays off its staff and closes."""
    lay_off(model, ngo, len(ngo.workers))
    if ngo.cash > 0:
        model.accounts.spend("closed_agency_reserves", ngo.cash)
    ngo.cash = 0.0
    ngo.failed = True
    model.tally.add("ngo_failures", 1)
    ngo.remove()

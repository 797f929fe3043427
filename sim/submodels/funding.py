"""Funding: purchase-of-service contracts (政府购买服务), grants, salaries, layoffs.

The street office buys services through contracts of one to three years,
paid in instalments and evaluated at the end on delivered services and
residents' trust; renewal is likely after a good evaluation but never sure. A
contract that is not renewed is re-tendered after a gap: the incumbent may win
it back, or lose it, lay off its staff and close while a new agency takes
over. Agencies fill the posts their income pays for, pay salaries and overhead
from cash, and lay off staff when they cannot pay.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..accounts import Accounts
from ..agents import NGO, Contract
from ..state import (
    Context,
    LabourMarket,
    NeedState,
    Residents,
    Rosters,
    StreetOffice,
    VolunteerState,
)
from . import staffing


def contract_posts(office: StreetOffice, r: Residents, ngo: NGO, ctx: Context) -> int:
    size = r.community_size
    residents = math.fsum(size[c] / office.ngos_per_community[c] for c in ngo.communities)
    return int(round(ctx.p.workforce.posts_per_1000_residents * residents / 1000.0))


def cost_per_worker_year(labour: LabourMarket, ctx: Context) -> float:
    p = ctx.p.workforce
    return (p.salary_ratio * labour.local_wage * (1.0 + p.on_cost_share)
            + ctx.p.funding.overhead_per_post_yuan_year)


def grants_per_year(ngo: NGO, ctx: Context) -> float:
    return ctx.p.funding.foundation_grant_yuan_year * len(ngo.communities)


def sign(ngo: NGO, start_week: int, office: StreetOffice, r: Residents, ctx: Context) -> Contract:
    f = ctx.p.funding
    posts = contract_posts(office, r, ngo, ctx)
    growth = (1.0 + f.budget_growth_per_year) ** (start_week / 52.0)
    value = posts * f.contract_value_per_post_yuan_year * f.budget_multiplier * growth
    term = 52 * f.contract_term_years
    ngo.contract = Contract(value_per_year=value, posts=posts, start_week=start_week,
                            end_week=start_week + term,
                            instalments=f.instalments_per_year * f.contract_term_years,
                            resolved_at_start=ngo.resolved)
    ngo.tender_week = None
    return ngo.contract


def affordable_posts(ngo: NGO, labour: LabourMarket, ctx: Context) -> int:
    """Posts the agency can keep: the contract's posts plus posts foundation grants pay for,
    as far as income covers them."""
    c = ngo.contract
    if c is None or ctx.week < c.start_week or ngo.failed:
        return 0
    cost = cost_per_worker_year(labour, ctx)
    grants = grants_per_year(ngo, ctx)
    income = c.value_per_year + grants
    return max(0, min(c.posts + int(math.floor(grants / cost)), int(math.floor(income / cost))))


def check_affordability(labour: LabourMarket, ctx: Context) -> None:
    """Warn when the contracts specify more posts than their value pays for."""
    cost = cost_per_worker_year(labour, ctx)
    f = ctx.p.funding
    value = f.contract_value_per_post_yuan_year * f.budget_multiplier
    if value < cost and ctx.p.workforce.posts_per_1000_residents > 0:
        warnings.warn(
            f"funding.contract_value_per_post_yuan_year ({value:,.0f} after budget_multiplier) "
            f"is below the cost of a post ({cost:,.0f} yuan/year at workforce.salary_ratio "
            f"{ctx.p.workforce.salary_ratio:g}); agencies will fill fewer posts than funded",
            UserWarning, stacklevel=3)


def setup(rosters: Rosters, office: StreetOffice, labour: LabourMarket, accounts: Accounts, r: Residents,
          ctx: Context) -> None:
    """Agencies, their first contracts and staff in post at week 0."""
    f = ctx.p.funding
    n_c = r.n_communities
    if f.ngos <= n_c:
        groups = [list(range(n_c))[i::f.ngos] for i in range(f.ngos)]
    else:
        groups = [[i % n_c] for i in range(f.ngos)]
    office.ngos_per_community = np.bincount([c for g in groups for c in g], minlength=n_c)
    check_affordability(labour, ctx)
    for comms in groups:
        ngo = NGO(rosters.model, comms, cash=0.0)
        sign(ngo, 0, office, r, ctx)
        posts = affordable_posts(ngo, labour, ctx)
        ngo.cash = f.initial_cash_months / 12.0 * posts * cost_per_worker_year(labour, ctx)
        accounts.initial_held += ngo.cash
        for _ in range(posts):
            tenure = int(ctx.rng.exponential(ctx.p.workforce.initial_tenure_mean_weeks))
            staffing.new_worker(rosters, labour, ngo, r, ctx, tenure_weeks=tenure)
    ctx.tally.reset()


def pay_in(rosters: Rosters, accounts: Accounts, ctx: Context) -> None:
    """Contract instalments and foundation grants reach the agencies."""
    for ngo in rosters.ngos:
        c = ngo.contract
        while c is not None and c.instalment_due(ctx.week):
            amount = c.total / c.instalments
            ngo.cash += amount
            c.paid += 1
            accounts.receive("government", amount)
        grant = grants_per_year(ngo, ctx) / 52.0
        if grant > 0 and not ngo.failed:
            ngo.cash += grant
            accounts.receive("foundation", grant)


def recruit(rosters: Rosters, labour: LabourMarket, r: Residents, ctx: Context) -> None:
    """Each agency opens vacancies for the posts it can pay for; the labour market fills them."""
    for ngo in rosters.ngos:
        if not ngo.failed:
            staffing.hire(rosters, labour, ngo, affordable_posts(ngo, labour, ctx), r, ctx)


def _payroll(staff: list, ctx: Context) -> float:
    p = ctx.p.workforce
    overhead = ctx.p.funding.overhead_per_post_yuan_year
    return math.fsum(w.salary * (1.0 + p.on_cost_share) + overhead for w in staff) / 52.0


def pay_out(rosters: Rosters, accounts: Accounts, labour: LabourMarket, needs: NeedState, r: Residents,
            vol: VolunteerState, ctx: Context) -> None:
    """Salaries and overhead; layoffs when posts or cash run short."""
    p = ctx.p.workforce
    for ngo in rosters.ngos:
        staff = rosters.staff(ngo)
        c = ngo.contract
        if c is not None and ctx.week >= c.start_week:
            excess = len(staff) - affordable_posts(ngo, labour, ctx)
            if excess > 0:
                staffing.lay_off(rosters, ngo, excess, needs, r, vol, labour, ctx)
                staff = rosters.staff(ngo)
        while staff and _payroll(staff, ctx) > ngo.cash + 1e-6:
            staffing.lay_off(rosters, ngo, 1, needs, r, vol, labour, ctx)
            staff = rosters.staff(ngo)
        salaries = math.fsum(w.salary * (1.0 + p.on_cost_share) for w in staff) / 52.0
        overhead = len(staff) * ctx.p.funding.overhead_per_post_yuan_year / 52.0
        ngo.cash -= salaries + overhead
        accounts.spend("salaries", salaries)
        accounts.spend("overhead", overhead)
        ngo.resolved += int(ctx.tally.resolved_by_community[ngo.communities].sum())


def evaluation_score(ngo: NGO, r: Residents, ctx: Context) -> float:
    c = ngo.contract
    f = ctx.p.funding
    years = (c.end_week - c.start_week) / 52.0
    expected = max(c.posts * f.deliverable_resolved_per_post_year * years, 1.0)
    delivered = min((ngo.resolved - c.resolved_at_start) / expected, 1.0)
    in_area = np.isin(r.community, ngo.communities)
    satisfaction = float(r.trust[in_area].mean()) if in_area.any() else 0.0
    weight = f.evaluation_delivery_weight
    return weight * delivered + (1.0 - weight) * satisfaction


def contracts(rosters: Rosters, office: StreetOffice, accounts: Accounts, labour: LabourMarket,
              needs: NeedState, r: Residents, vol: VolunteerState, ctx: Context) -> None:
    """End-of-term evaluation, renewal, re-tender, closure of agencies that lose."""
    f = ctx.p.funding
    rng = ctx.rng
    for ngo in list(rosters.ngos):
        c = ngo.contract
        if c is not None and ctx.week >= c.end_week:
            score = evaluation_score(ngo, r, ctx)
            ctx.tally.add("contracts_ended", 1)
            p_renew = f.renewal_floor + (f.renewal_ceiling - f.renewal_floor) * score
            if rng.random() < p_renew:
                sign(ngo, ctx.week, office, r, ctx)
                ctx.tally.add("contracts_renewed", 1)
            else:
                ngo.contract = None
                ngo.tender_week = ctx.week + f.procurement_gap_weeks
                ctx.tally.add("contracts_lost", 1)
        if ngo.contract is None and ngo.tender_week is not None and ctx.week >= ngo.tender_week:
            if rng.random() < f.incumbent_win_probability:
                sign(ngo, ctx.week, office, r, ctx)
            else:
                close(rosters, ngo, accounts, labour, needs, r, vol, ctx)
                successor = NGO(rosters.model, ngo.communities, cash=0.0)
                sign(successor, ctx.week, office, r, ctx)


def close(rosters: Rosters, ngo: NGO, accounts: Accounts, labour: LabourMarket, needs: NeedState,
          r: Residents, vol: VolunteerState, ctx: Context) -> None:
    """An agency that lost its contract lays off its staff and closes."""
    staffing.lay_off(rosters, ngo, len(rosters.staff(ngo)), needs, r, vol, labour, ctx)
    if ngo.cash > 0:
        accounts.spend("closed_agency_reserves", ngo.cash)
    ngo.cash = 0.0
    ngo.failed = True
    ctx.tally.add("ngo_failures", 1)
    ngo.remove()

"""Funding and agency finance: purchase-of-service contracts (政府购买服务), grants, payroll, reserves.

The street office buys services through contracts of one to three years,
paid in instalments and evaluated at the end on delivered services and
residents' trust; renewal is likely after a good evaluation but never sure. A
contract that is not renewed is re-tendered after a gap: the incumbent may win
it back, or lose it, lay off its staff and close while a new agency takes
over. A contract's value is set at signing (a budget cut bites then) and may
be indexed within a multi-year term.

Each agency runs a budget from its own state, looking ahead to the end of its
contract: the cash it holds, the instalments still to come, grants and support
from the community fund, against the payroll it actually pays (salaries with
on-costs, overhead indexed to wages, training). It fills a post only when the
projection covers the payroll to the end of the contract plus a reserve; it
gives layoff notice only when the projection shows cash running out, and lays
off at once only when this week's payroll cannot be paid. A projected reserve
above a cap is released (returned to the funder, paid as bonuses, given to the
community fund or kept for extra posts), so reserves stay bounded and money
smaller than a post adds up.
"""

from __future__ import annotations

import math

import numpy as np

from .. import schema
from ..accounts import Accounts, CommunityFund
from ..agents import NGO, Contract, SocialWorker
from ..errors import warn_once
from ..schema import Scenario
from ..state import (
    Context,
    LabourMarket,
    NeedState,
    Residents,
    Rosters,
    StreetOffice,
    VolunteerState,
)
from . import pay, staffing


def agency_groups(n_communities: int, ngos: int) -> list[list[int]]:
    """Which communities each agency serves: communities shared out in turn, or agencies sharing one."""
    if ngos <= n_communities:
        return [list(range(n_communities))[i::ngos] for i in range(ngos)]
    return [[i % n_communities] for i in range(ngos)]


def posts_for(residents: float, s: Scenario) -> int:
    """Posts the street office buys for this many residents."""
    return int(round(s.workforce.posts_per_1000_residents * residents / 1000.0))


def contract_posts(office: StreetOffice, r: Residents, ngo: NGO, ctx: Context) -> int:
    """Posts the street office buys for the residents an agency serves."""
    size = r.community_size
    return posts_for(math.fsum(size[c] / office.ngos_per_community[c] for c in ngo.communities), ctx.p)


def contract_value(posts: int, start_week: int, f: schema.Funding) -> float:
    """First-year value of a contract for ``posts`` signed in ``start_week``: the one cost rule the
    street office uses (:func:`budget_per_year` prices a whole policy with it)."""
    growth = (1.0 + f.budget_growth_per_year) ** (start_week / 52.0)
    return posts * f.contract_value_per_post_yuan_year * f.budget_multiplier * growth


def term_mean_factor(f: schema.Funding) -> float:
    """A contract's mean yearly value over its term, relative to its first year (indexation)."""
    step = 1.0 + f.budget_growth_per_year * f.contract_indexation
    return math.fsum(step ** y for y in range(f.contract_term_years)) / f.contract_term_years


def budget_per_year(s: Scenario, start_week: int = 0) -> float:
    """Purchase-of-service spending a year that a scenario's settings imply, by the street office's
    own rules (posts per agency, value per post, budget multiplier, indexation over the term), for
    contracts signed in ``start_week``, at the expected community sizes (residents shared evenly)."""
    n_c = min(s.population.communities, s.population.residents)
    groups = agency_groups(n_c, s.funding.ngos)
    per_community = np.bincount([c for g in groups for c in g], minlength=n_c)
    size = s.population.residents / n_c
    value = math.fsum(contract_value(posts_for(math.fsum(size / per_community[c] for c in g), s), start_week,
                                     s.funding) for g in groups)
    return value * term_mean_factor(s.funding)


def overhead_per_post(labour: LabourMarket, ctx: Context) -> float:
    """Yearly overhead of a filled post, indexed to the local wage."""
    f = ctx.p.funding
    index = labour.local_wage / ctx.p.workforce.local_average_wage_yuan_year
    return f.overhead_per_post_yuan_year * index ** f.overhead_indexation


def worker_cost_per_week(w: SocialWorker, overhead: float, ctx: Context, training: float | None = None) -> float:
    """What one worker costs the agency a week: salary with on-costs, overhead, training (``training``:
    :func:`pay.training_cost_per_year`, passed in by a caller that prices many workers)."""
    if training is None:
        training = pay.training_cost_per_year(ctx)
    return (w.salary * (1.0 + ctx.p.workforce.on_cost_share) + overhead + training) / 52.0


def post_cost_per_year(labour: LabourMarket, ctx: Context) -> float:
    """Yearly cost of a new post at today's pay standard (grade 0, uncertified)."""
    p = ctx.p.workforce
    return (p.salary_ratio * labour.local_wage * (1.0 + p.on_cost_share) + overhead_per_post(labour, ctx)
            + pay.training_cost_per_year(ctx))


def other_income_per_year(ngo: NGO, r: Residents, ctx: Context) -> float:
    """Foundation grants to the agency (per resident served)."""
    residents = float(sum(r.community_size[c] for c in ngo.communities))
    return ctx.p.funding.foundation_grant_yuan_per_1000_residents_year * residents / 1000.0


def sign(ngo: NGO, start_week: int, office: StreetOffice, r: Residents, ctx: Context) -> Contract:
    f = ctx.p.funding
    posts = contract_posts(office, r, ngo, ctx)
    term = 52 * f.contract_term_years
    ngo.contract = Contract(value_per_year=contract_value(posts, start_week, f), posts=posts,
                            start_week=start_week, end_week=start_week + term,
                            instalments=f.instalments_per_year * f.contract_term_years,
                            resolved_at_start=ngo.resolved,
                            indexation=1.0 + f.budget_growth_per_year * f.contract_indexation)
    ngo.tender_week = None
    return ngo.contract


class Outlook:
    """An agency's budget looking ahead to the end of its contract (at least the notice period).

    The projected cash path, week by week: cash now, plus the instalments as they fall due and
    grants, minus the payroll of the staff (those under notice until their notice ends). When the
    agency plans a hire it looks ``funding.planning_horizon_weeks`` ahead, counting on renewal at the
    current value beyond the contract's end; layoffs and releases look only to the contract's end.
    """

    def __init__(self, ngo: NGO, staff: list[SocialWorker], labour: LabourMarket, r: Residents, ctx: Context,
                 planning: bool = False):
        f = ctx.p.funding
        c = ngo.contract
        left = c.weeks_left(ctx.week) if c is not None else 0
        weeks = max(left, f.layoff_notice_weeks, f.planning_horizon_weeks if planning else 1, 1)
        inflow = np.full(weeks, other_income_per_year(ngo, r, ctx) / 52.0)
        inflow[0] = 0.0
        if c is not None:
            for i in range(c.paid, c.instalments):
                offset = math.ceil(c.due_week(i)) - ctx.week
                inflow[min(max(offset, 0), weeks - 1)] += c.amount(i)
            if weeks > left:
                inflow[left:] += c.value_per_year / 52.0  # renewal at the current value, when planning
        overhead = overhead_per_post(labour, ctx)
        outflow = np.zeros(weeks)
        self.kept_payroll = 0.0
        self.costs: dict[int, float] = {}
        training = pay.training_cost_per_year(ctx)
        for w in staff:
            cost = self.costs[w.wid] = worker_cost_per_week(w, overhead, ctx, training)
            if w.notice_until is None:
                self.kept_payroll += cost
            else:
                outflow[:max(min(w.notice_until - ctx.week, weeks), 0)] += cost
        outflow += self.kept_payroll
        self.path = ngo.cash + np.cumsum(inflow) - np.cumsum(outflow)
        """Projected cash after each week's payroll, this week first."""
        self.weeks = weeks
        self.new_post = post_cost_per_year(labour, ctx) / 52.0
        self.reserve_weeks = f.reserve_target_months * 52.0 / 12.0
        self.cap_weeks = f.reserve_cap_months * 52.0 / 12.0

    def end_cash(self) -> float:
        """Projected cash at the end, with the staff as they are."""
        return float(self.path[-1])

    def affordable_new(self) -> int:
        """New posts the projection covers at every week, with the reserve target kept."""
        spare = self.path - self.reserve_weeks * self.kept_payroll
        per_post = self.new_post * (np.arange(1, self.weeks + 1) + self.reserve_weeks)
        return max(int(math.floor(float(np.min(spare / per_post)))), 0)

    def surplus(self) -> float:
        """Projected cash above the reserve cap at its lowest point ahead."""
        return float(np.min(self.path)) - self.cap_weeks * self.kept_payroll

    def cut(self, w: SocialWorker, notice: int) -> None:
        """The path with ``w`` leaving after ``notice`` weeks (a layoff notice)."""
        cost = self.costs[w.wid]
        saved = np.zeros(self.weeks)
        saved[min(notice, self.weeks):] = cost
        self.path = self.path + np.cumsum(saved)
        self.kept_payroll -= cost


def kept(ngo_staff: list[SocialWorker]) -> list[SocialWorker]:
    return [w for w in ngo_staff if w.notice_until is None]


def check_affordability(labour: LabourMarket, ctx: Context) -> None:
    """Warn (once per process) when the contracts pay less per post than a post costs."""
    cost = post_cost_per_year(labour, ctx)
    f = ctx.p.funding
    value = f.contract_value_per_post_yuan_year * f.budget_multiplier
    if value < cost and ctx.p.workforce.posts_per_1000_residents > 0:
        warn_once(
            f"funding.contract_value_per_post_yuan_year ({value:,.0f} after budget_multiplier) "
            f"is below the cost of a post ({cost:,.0f} yuan/year at workforce.salary_ratio "
            f"{ctx.p.workforce.salary_ratio:g}); agencies will fill fewer posts than funded",
            UserWarning, key="contract_below_post_cost", stacklevel=3)


def setup(rosters: Rosters, office: StreetOffice, labour: LabourMarket, accounts: Accounts, r: Residents,
          ctx: Context) -> None:
    """Agencies, their first contracts and staff in post at week 0."""
    f = ctx.p.funding
    n_c = r.n_communities
    groups = agency_groups(n_c, f.ngos)
    office.ngos_per_community = np.bincount([c for g in groups for c in g], minlength=n_c)
    check_affordability(labour, ctx)
    cost = post_cost_per_year(labour, ctx)
    for comms in groups:
        ngo = NGO(rosters.model, comms, cash=0.0)
        c = sign(ngo, 0, office, r, ctx)
        income = c.value_per_year + other_income_per_year(ngo, r, ctx)
        posts = max(0, min(c.posts, int(math.floor(income / cost))))
        ngo.cash = f.initial_cash_months / 12.0 * posts * cost
        accounts.initial_held += ngo.cash
        for _ in range(posts):
            tenure = int(ctx.rng.exponential(ctx.p.workforce.initial_tenure_mean_weeks))
            staffing.new_worker(rosters, labour, ngo, r, ctx, tenure_weeks=tenure)
    ctx.tally.reset()


def pay_in(rosters: Rosters, office: StreetOffice, accounts: Accounts, fund: CommunityFund, r: Residents,
           ctx: Context) -> None:
    """Contract instalments, foundation grants and community-fund support reach the agencies."""
    share = ctx.p.community_fund.staff_support_share_per_year / 52.0
    for ngo in rosters.ngos:
        c = ngo.contract
        while c is not None and c.instalment_due(ctx.week):
            amount = c.amount(c.paid)
            ngo.cash += amount
            c.paid += 1
            accounts.receive("government", amount)
        if ngo.failed:
            continue
        grant = other_income_per_year(ngo, r, ctx) / 52.0
        if grant > 0:
            ngo.cash += grant
            accounts.receive("foundation", grant)
        if share > 0:
            support = fund.balance[ngo.communities] * share / np.maximum(
                office.ngos_per_community[ngo.communities], 1)
            fund.balance[ngo.communities] -= support
            ngo.cash += float(support.sum())
            accounts.move("fund_to_agencies", float(support.sum()))


def recruit(rosters: Rosters, labour: LabourMarket, r: Residents, ctx: Context) -> None:
    """Each agency opens vacancies for the posts its budget covers; the labour market fills them."""
    for ngo in rosters.ngos:
        if ngo.failed:
            continue
        c = ngo.contract
        everyone = rosters.staff(ngo)
        staff = kept(everyone)
        if c is None or ctx.week < c.start_week:
            ngo.posts_target = 0
        elif len(staff) < len(everyone):
            ngo.posts_target = len(staff)  # no hiring while layoff notices run
        else:
            cap = math.inf if ctx.p.funding.surplus_use == "posts" else c.posts
            if len(staff) >= cap:
                ngo.posts_target = len(staff)  # every funded post filled: no new post, whatever the budget
            else:
                outlook = Outlook(ngo, everyone, labour, r, ctx, planning=True)
                ngo.posts_target = int(min(len(staff) + outlook.affordable_new(), max(cap, len(staff))))
        staffing.hire(rosters, labour, ngo, ngo.posts_target, r, ctx, staff_kept=len(staff))


def pay_out(rosters: Rosters, accounts: Accounts, fund: CommunityFund, labour: LabourMarket, needs: NeedState,
            r: Residents, vol: VolunteerState, ctx: Context) -> None:
    """Layoffs whose notice ends, notices when the budget runs short, payroll, and surplus released."""
    f = ctx.p.funding
    for ngo in rosters.ngos:
        for w in [w for w in rosters.staff(ngo) if w.notice_until is not None and w.notice_until <= ctx.week]:
            staffing.separate(w, "layoff", needs, r, vol, labour, ctx)
        staff = rosters.staff(ngo)
        rescind(ngo, staff, labour, r, ctx)
        outlook = Outlook(ngo, staff, labour, r, ctx)
        if outlook.end_cash() < 0:
            notify(ngo, outlook, staff, labour, ctx)
        overhead = overhead_per_post(labour, ctx)
        while staff and math.fsum(worker_cost_per_week(w, overhead, ctx) for w in staff) > ngo.cash + 1e-6:
            staffing.lay_off(rosters, ngo, 1, needs, r, vol, labour, ctx, emergency=True)
            staff = rosters.staff(ngo)
        p = ctx.p.workforce
        salaries = math.fsum(w.salary * (1.0 + p.on_cost_share) for w in staff) / 52.0
        overheads = len(staff) * overhead / 52.0
        training = len(staff) * pay.training_cost_per_year(ctx) / 52.0
        ngo.cash -= salaries + overheads + training
        accounts.spend("salaries", salaries)
        accounts.spend("overhead", overheads)
        accounts.spend("training", training)
        ngo.resolved += int(ctx.tally.resolved_by_community[ngo.communities].sum())
        if staff and f.surplus_use != "posts":
            release(ngo, Outlook(ngo, staff, labour, r, ctx), staff, accounts, fund, r, ctx)


def notify(ngo: NGO, outlook: Outlook, staff: list[SocialWorker], labour: LabourMarket, ctx: Context) -> None:
    """Give layoff notice, last in first out, until the projection no longer runs out of cash.

    A notice that would end only after the projection's last week saves nothing within it (the last
    ``layoff_notice_weeks`` of a term): none is given then. The agency waits for the evaluation, and
    if its cash cannot pay a week's payroll before it, the shortfall is an emergency layoff.
    """
    notice = ctx.p.funding.layoff_notice_weeks
    if notice >= outlook.weeks:
        return
    for w in sorted(kept(staff), key=lambda w: (w.tenure_weeks, w.wid)):
        if outlook.end_cash() >= 0:
            break
        labour.notices.append((ctx.week, ngo.unique_id, outlook.end_cash()))
        w.notice_until = ctx.week + notice
        outlook.cut(w, notice)
        ctx.tally.add("sw_layoff_notices", 1)


def rescind(ngo: NGO, staff: list[SocialWorker], labour: LabourMarket, r: Residents, ctx: Context) -> None:
    """Notices are withdrawn, most senior first, as far as the budget covers the workers again (a contract
    renewed or won back)."""
    for w in sorted((w for w in staff if w.notice_until is not None), key=lambda w: (-w.tenure_weeks, w.wid)):
        until, w.notice_until = w.notice_until, None
        if Outlook(ngo, staff, labour, r, ctx).end_cash() < 0:
            w.notice_until = until
            return
        ctx.tally.add("sw_notices_withdrawn", 1)


def release(ngo: NGO, outlook: Outlook, staff: list[SocialWorker], accounts: Accounts, fund: CommunityFund,
            r: Residents, ctx: Context) -> None:
    """A projected reserve above the cap is released now, as ``funding.surplus_use`` says."""
    amount = min(outlook.surplus(), ngo.cash)
    if amount <= 1.0:
        return
    ngo.cash -= amount
    use = ctx.p.funding.surplus_use
    if use == "funder":
        accounts.spend("returned_to_funder", amount)
    elif use == "pay":
        accounts.spend("bonuses", amount)
        each = amount / len(staff)
        for w in staff:
            w.bonus_recent += each
    else:
        size = r.community_size[ngo.communities].astype(float)
        fund.balance[ngo.communities] += amount * size / size.sum()
        accounts.move("agencies_to_fund", amount)


def evaluation_score(ngo: NGO, r: Residents, ctx: Context) -> float:
    c = ngo.contract
    f = ctx.p.funding
    expected = max(c.posts * f.deliverable_resolved_per_post_year * c.years, 1.0)
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

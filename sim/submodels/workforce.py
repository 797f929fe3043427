"""Social workers' week and pay: time use, burnout, satisfaction, quits, wages.

Time: a 40-hour week loses the admin share (行政化) first; the rest splits
into outreach, case work, groups, activities and volunteer coordination, and
a deliberation meeting's facilitation comes out of the activity hours. A
light caseload gets the planned case hours (up to a per-case maximum), so
more staff resolve cases faster, with diminishing returns.
Productivity grows with experience (new hires are slower) and falls with
burnout. When the hours demanded (admin, planned work and the caseload) exceed
contracted hours, workers put in overtime up to a limit and burnout rises;
supervision (督导) speeds recovery.

Quits: a weekly hazard from a yearly rate, higher in the first year, with pay
relative to the local average wage (direct elasticity), job satisfaction,
burnout and job insecurity (months left on the employer's contract).

Pay, the career ladder and certification are in :mod:`.pay`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ledger
from ..agents import NGO, SocialWorker
from ..state import (
    Context,
    Disputes,
    LabourMarket,
    NeedState,
    Residents,
    Rosters,
    VolunteerState,
    WeekHours,
)
from . import deliberation, pay, staffing


def productivity(w: SocialWorker, ctx: Context) -> float:
    p = ctx.p.workforce
    ramp = 1.0 - 0.5 ** (w.experience_weeks / p.experience_halflife_weeks)
    return ((p.new_hire_productivity + (1.0 - p.new_hire_productivity) * ramp)
            * (1.0 - p.burnout_productivity_loss * w.burnout) * pay.productivity_factor(w, ctx))


def allocate_time(hours: WeekHours, rosters: Rosters, needs: NeedState, disputes: Disputes,
                  labour: LabourMarket, n_communities: int, ctx: Context) -> None:
    """Split each worker's week; sum hours per community; set each case's weekly hours."""
    p = ctx.p.workforce
    workers = rosters.workers
    per_case = np.zeros(labour.next_wid, dtype=np.float32)
    caseload = np.bincount(needs.worker[ledger.held(needs)], minlength=labour.next_wid).tolist()
    admin = p.admin_share * p.hours_per_week
    rest = max(p.hours_per_week - admin - p.training_hours_per_year / 52.0, 0.0)
    planned_case = rest * p.share_casework
    wid = np.empty(len(workers), dtype=np.int64)
    comm = np.empty(len(workers), dtype=np.int64)
    delivered_by = np.empty(len(workers))
    for i, w in enumerate(workers):
        w.productivity = productivity(w, ctx)
        w.caseload = caseload[w.wid]
        demanded_case = w.caseload * p.hours_per_case_week
        w.demanded_hours = admin + rest - planned_case + demanded_case
        if demanded_case >= planned_case:
            delivered = min(demanded_case, planned_case + p.max_overtime_share * p.hours_per_week)
        else:
            delivered = min(planned_case, w.caseload * p.max_hours_per_case_week)
        if w.caseload:
            per_case[w.wid] = delivered * w.productivity / w.caseload
        wid[i], comm[i], delivered_by[i] = w.wid, w.community, delivered
    heads = np.bincount(comm, minlength=n_communities).astype(np.float64)
    activities = heads * (rest * p.share_activities)
    hours.meeting = deliberation.meetings(disputes, activities, ctx)
    facilitation = np.where(hours.meeting, ctx.p.deliberation.facilitation_hours, 0.0)
    hours.outreach = heads * (rest * p.share_outreach)
    hours.groups = heads * (rest * p.share_groups)
    hours.activities = activities - facilitation
    hours.coordination = heads * (rest * p.share_coordination)
    hours.casework = np.bincount(comm, weights=delivered_by, minlength=n_communities)
    hours.per_case = per_case
    hours.wid = wid
    hours.community = comm
    hours.case_hours = np.full(len(workers), planned_case)


def insecurity(ngo: NGO, ctx: Context) -> float:
    horizon = ctx.p.workforce.insecurity_horizon_months
    return min(max(1.0 - ngo.months_left(ctx.week) / horizon, 0.0), 1.0)


def quit_terms(w: SocialWorker, labour: LabourMarket, ctx: Context) -> tuple[float, float, float, float, float]:
    """The log quit rate's terms above the base rate: first year, pay, satisfaction, burnout, insecurity."""
    p = ctx.p.workforce
    first = math.log(p.first_year_quit_multiplier) if w.in_first_year and p.first_year_quit_multiplier > 0 else 0.0
    return (first, -p.quit_pay_elasticity * math.log(pay.pay_ratio(w, labour) / p.reference_salary_ratio),
            p.quit_satisfaction_effect * (p.neutral_satisfaction - w.satisfaction),
            p.quit_burnout_effect * w.burnout, p.quit_insecurity_effect * insecurity(w.employer, ctx))


QUIT_TERMS = ("first_year", "pay", "satisfaction", "burnout", "insecurity")
"""Names of the terms, for the weekly counters ``quit_term_<name>_sum``."""


def annual_quit_rate(w: SocialWorker, labour: LabourMarket, ctx: Context) -> float:
    p = ctx.p.workforce
    rate = p.base_quit_rate_per_year
    if w.in_first_year:
        rate *= p.first_year_quit_multiplier
    rate *= (pay.pay_ratio(w, labour) / p.reference_salary_ratio) ** (-p.quit_pay_elasticity)
    return rate * math.exp(p.quit_satisfaction_effect * (p.neutral_satisfaction - w.satisfaction)
                           + p.quit_burnout_effect * w.burnout
                           + p.quit_insecurity_effect * insecurity(w.employer, ctx))


def update(rosters: Rosters, labour: LabourMarket, needs: NeedState, r: Residents, vol: VolunteerState,
           ctx: Context) -> None:
    """Burnout, satisfaction and quits for every worker."""
    p = ctx.p.workforce
    admin_excess = max(p.admin_share - p.admin_neutral_share, 0.0)
    recovery = p.burnout_recovery + p.supervision_coverage * p.supervision_recovery
    leavers = []
    for w in rosters.workers:
        overload = max(w.demanded_hours / p.hours_per_week - 1.0, 0.0)
        w.burnout += p.burnout_gain * overload + p.burnout_admin_gain * admin_excess
        w.burnout -= recovery * w.burnout
        w.burnout = min(max(w.burnout, 0.0), 1.0)
        w.satisfaction = min(max(
            p.neutral_satisfaction + p.satisfaction_pay_weight * (pay.pay_ratio(w, labour) - p.reference_salary_ratio)
            - p.satisfaction_burnout_weight * w.burnout
            - p.satisfaction_admin_weight * admin_excess, 0.0), 1.0)
        w.tenure_weeks += 1
        w.experience_weeks += 1
        annual = annual_quit_rate(w, labour, ctx)
        ctx.tally.add("quit_hazard_sum", annual)
        ctx.tally.add("quit_hazard_n", 1)
        for name, term in zip(QUIT_TERMS, quit_terms(w, labour, ctx), strict=True):
            ctx.tally.add(f"quit_term_{name}_sum", term)
        weekly = 1.0 - math.exp(-annual / 52.0)
        if ctx.rng.random() < weekly:
            leavers.append(w)
    for w in leavers:
        staffing.separate(w, "quit", needs, r, vol, labour, ctx)

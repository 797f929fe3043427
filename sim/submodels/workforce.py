"""Social workers' week and the labour market: time use, burnout, quits, hiring.

Time: a 40-hour week loses the admin share (行政化) first; the rest splits
into outreach, case work, groups, activities and volunteer coordination. A
light caseload gets the planned case hours (up to a per-case maximum), so
more staff resolve cases faster, with diminishing returns.
Productivity grows with experience (new hires are slower) and falls with
burnout. When the hours demanded (admin, planned work and the caseload) exceed
contracted hours, workers put in overtime up to a limit and burnout rises;
supervision (督导) speeds recovery.

Quits: a weekly hazard from a yearly rate, higher in the first year, with pay
relative to the local average wage (direct elasticity), job satisfaction,
burnout and job insecurity (months left on the employer's contract).
A leaver's open cases go back to the ledger and those residents lose trust.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import ledger
from ..agents import NGO, SocialWorker
from ..population import N_TYPES

if TYPE_CHECKING:
    from ..model import CommunityModel


@dataclass
class CommunityHours:
    """Worker hours per community this week, by use."""

    outreach: np.ndarray
    groups: np.ndarray
    activities: np.ndarray
    coordination: np.ndarray
    casework: np.ndarray


@dataclass
class WorkforceArrays:
    """This week's workers as arrays (index = position in ``model.workers``)."""

    wid: np.ndarray
    community: np.ndarray
    case_hours: np.ndarray


def productivity(model: CommunityModel, w: SocialWorker) -> float:
    p = model.s.workforce
    ramp = 1.0 - 0.5 ** (w.experience_weeks / p.experience_halflife_weeks)
    return (p.new_hire_productivity + (1.0 - p.new_hire_productivity) * ramp) * (1.0 - 0.5 * w.burnout)


def allocate_time(model: CommunityModel) -> None:
    """Split each worker's week; sum hours per community; set each case's weekly hours."""
    p = model.s.workforce
    n_c = model.residents.n_communities
    workers = model.workers
    per_case = np.zeros(model.next_wid, dtype=np.float32)
    caseload = np.bincount(model.needs.worker[ledger.held(model)], minlength=model.next_wid).tolist()
    admin = p.admin_share * p.hours_per_week
    rest = p.hours_per_week - admin
    planned_case = rest * p.share_casework
    wid = np.empty(len(workers), dtype=np.int64)
    comm = np.empty(len(workers), dtype=np.int64)
    delivered_by = np.empty(len(workers))
    for i, w in enumerate(workers):
        w.productivity = productivity(model, w)
        c = w.community
        w.caseload = caseload[w.wid]
        demanded_case = w.caseload * p.hours_per_case_week
        w.demanded_hours = admin + rest - planned_case + demanded_case
        if demanded_case >= planned_case:
            delivered = min(demanded_case, planned_case + p.max_overtime_share * p.hours_per_week)
        else:
            delivered = min(planned_case, w.caseload * p.max_hours_per_case_week)
        if w.caseload:
            per_case[w.wid] = delivered * w.productivity / w.caseload
        wid[i], comm[i], delivered_by[i] = w.wid, c, delivered
    heads = np.bincount(comm, minlength=n_c).astype(np.float64)
    model.hours = CommunityHours(
        outreach=heads * (rest * p.share_outreach),
        groups=heads * (rest * p.share_groups),
        activities=heads * (rest * p.share_activities),
        coordination=heads * (rest * p.share_coordination),
        casework=np.bincount(comm, weights=delivered_by, minlength=n_c),
    )
    model.case_hours_per_case = per_case
    model.workforce_arrays = WorkforceArrays(wid, comm, np.full(len(workers), planned_case))


def pay_ratio(model: CommunityModel, w: SocialWorker) -> float:
    return w.salary / model.local_wage


def insecurity(model: CommunityModel, ngo: NGO) -> float:
    horizon = model.s.workforce.insecurity_horizon_months
    return min(max(1.0 - ngo.months_left() / horizon, 0.0), 1.0)


def annual_quit_rate(model: CommunityModel, w: SocialWorker) -> float:
    p = model.s.workforce
    rate = p.base_quit_rate_per_year
    if w.in_first_year:
        rate *= p.first_year_quit_multiplier
    rate *= (pay_ratio(model, w) / p.reference_salary_ratio) ** (-p.quit_pay_elasticity)
    return rate * math.exp(p.quit_satisfaction_effect * (0.5 - w.satisfaction)
                           + p.quit_burnout_effect * w.burnout
                           + p.quit_insecurity_effect * insecurity(model, w.employer))


def update(model: CommunityModel) -> None:
    """Burnout, satisfaction and quits for every worker; then fill vacancies."""
    p = model.s.workforce
    admin_excess = max(p.admin_share - 0.2, 0.0)
    recovery = p.burnout_recovery + p.supervision_coverage * p.supervision_recovery
    leavers = []
    for w in model.workers:
        overload = max(w.demanded_hours / p.hours_per_week - 1.0, 0.0)
        w.burnout += p.burnout_gain * overload + p.burnout_admin_gain * admin_excess
        w.burnout -= recovery * w.burnout
        w.burnout = min(max(w.burnout, 0.0), 1.0)
        w.satisfaction = min(max(
            0.5 + p.satisfaction_pay_weight * (pay_ratio(model, w) - p.reference_salary_ratio)
            - p.satisfaction_burnout_weight * w.burnout
            - p.satisfaction_admin_weight * admin_excess, 0.0), 1.0)
        w.tenure_weeks += 1
        w.experience_weeks += 1
        annual = annual_quit_rate(model, w)
        model.tally.add("quit_hazard_sum", annual)
        model.tally.add("quit_hazard_n", 1)
        weekly = 1.0 - math.exp(-annual / 52.0)
        if model.rng.random() < weekly:
            leavers.append(w)
    for w in leavers:
        separate(model, w, "quit")
    for ngo in model.ngos:
        hire(model, ngo)


def separate(model: CommunityModel, w: SocialWorker, reason: str) -> None:
    """A worker leaves: cases go back to the ledger, their residents lose trust."""
    needs = model.needs
    cases = np.flatnonzero(needs.worker == w.wid)
    needs.worker[cases] = -1
    r = model.residents
    who = cases // N_TYPES
    r.trust[who] = np.maximum(r.trust[who] - model.s.workforce.handover_trust_loss, 0.0)
    vol = model.volunteers
    vol.coordinator[vol.coordinator == w.wid] = -1
    model.tally.add("sw_quits" if reason == "quit" else "sw_layoffs", 1)
    model.tally.add("cases_handed_back", len(cases))
    model.separations.append((model.week, w.tenure_weeks, reason, w.in_first_year))
    w.remove()


def hiring_lag(model: CommunityModel) -> int:
    p = model.s.workforce
    mean = p.hiring_lag_weeks * (p.reference_salary_ratio / p.salary_ratio) ** p.hiring_lag_pay_exponent
    return int(math.ceil(model.rng.exponential(mean))) if mean > 0 else 0


def hire(model: CommunityModel, ngo: NGO) -> None:
    """Open vacancies up to the affordable posts; fill those whose search has ended."""
    if ngo.failed:
        return
    target = model.funding.affordable_posts(model, ngo)
    staff = ngo.workers
    open_needed = target - len(staff) - len(ngo.vacancies)
    if open_needed < 0:
        del ngo.vacancies[max(len(ngo.vacancies) + open_needed, 0):]
    for _ in range(max(open_needed, 0)):
        ngo.vacancies.append(model.week + hiring_lag(model))
    due = [v for v in ngo.vacancies if v <= model.week]
    ngo.vacancies = [v for v in ngo.vacancies if v > model.week]
    for _ in due:
        new_worker(model, ngo)


def new_worker(model: CommunityModel, ngo: NGO, tenure_weeks: int = 0) -> SocialWorker:
    p = model.s.workforce
    counts = {c: 0 for c in ngo.communities}
    for w in ngo.workers:
        counts[w.community] = counts.get(w.community, 0) + 1
    size = model.residents.community_size
    community = min(ngo.communities, key=lambda c: (counts[c] / max(size[c], 1), c))
    w = SocialWorker(model, ngo, community, salary=p.salary_ratio * model.local_wage,
                     certified=bool(model.rng.random() < p.certified_share),
                     experience_weeks=float(tenure_weeks), tenure_weeks=tenure_weeks)
    model.tally.add("sw_hires", 1)
    return w


def pay_review(model: CommunityModel) -> None:
    """Yearly pay review: salaries follow local wage growth by the indexation share."""
    p = model.s.workforce
    for w in model.workers:
        w.salary *= 1.0 + p.salary_indexation * p.wage_growth_per_year


def reset_pay(model: CommunityModel) -> None:
    """A new pay standard (e.g. a timeline pay raise) applies to everyone at once."""
    p = model.s.workforce
    for w in model.workers:
        w.salary = max(w.salary, p.salary_ratio * model.local_wage)

"""Who joins and leaves an agency's staff: hiring after a search, separations, layoffs.

Agencies decide how many posts they can fill (:mod:`.funding`); the labour
market fills a vacancy after a search whose mean length grows as pay falls
below the reference (``workforce.hiring_lag_pay_exponent``). A leaver's open
cases go back to the ledger and those residents lose trust (broken continuity).
"""

from __future__ import annotations

import math

import numpy as np

from ..agents import NGO, SocialWorker
from ..schema import N_TYPES
from ..state import Context, LabourMarket, NeedState, Residents, Rosters, Separation, VolunteerState
from . import pay


def new_worker(rosters: Rosters, labour: LabourMarket, ngo: NGO, r: Residents, ctx: Context,
               tenure_weeks: int = 0) -> SocialWorker:
    """A worker joins ``ngo`` in its least-staffed community (per resident) at today's pay standard."""
    p = ctx.p.workforce
    counts = ngo.headcount
    size = r.community_size
    community = min(ngo.communities, key=lambda c: (counts[c] / max(size[c], 1), c))
    counts[community] += 1
    certified = bool(ctx.rng.random() < p.certified_share)
    grade = pay.grade_for(tenure_weeks, ctx)
    w = SocialWorker(rosters.model, labour.next_wid, ngo, community,
                     salary=pay.pay_standard(grade, certified, labour, ctx), certified=certified,
                     satisfaction=p.neutral_satisfaction, experience_weeks=float(tenure_weeks),
                     tenure_weeks=tenure_weeks)
    w.grade = grade
    labour.next_wid += 1
    ctx.tally.add("sw_hires", 1)
    return w


def hiring_lag(ctx: Context) -> int:
    p = ctx.p.workforce
    mean = p.hiring_lag_weeks * (p.reference_salary_ratio / p.salary_ratio) ** p.hiring_lag_pay_exponent
    return int(math.ceil(ctx.rng.exponential(mean))) if mean > 0 else 0


def hire(rosters: Rosters, labour: LabourMarket, ngo: NGO, target: int, r: Residents, ctx: Context,
         staff_kept: int) -> None:
    """Open vacancies up to ``target`` posts for ``staff_kept`` workers staying (or close surplus ones);
    fill those whose search has ended."""
    open_needed = target - staff_kept - len(ngo.vacancies)
    if open_needed < 0:
        del ngo.vacancies[max(len(ngo.vacancies) + open_needed, 0):]
    for _ in range(max(open_needed, 0)):
        ngo.vacancies.append(ctx.week + hiring_lag(ctx))
    due = [v for v in ngo.vacancies if v <= ctx.week]
    ngo.vacancies = [v for v in ngo.vacancies if v > ctx.week]
    for _ in due:
        new_worker(rosters, labour, ngo, r, ctx)


def separate(w: SocialWorker, reason: str, needs: NeedState, r: Residents, vol: VolunteerState,
             labour: LabourMarket, ctx: Context) -> None:
    """A worker leaves: cases go back to the ledger, their residents lose trust."""
    cases = (needs.worker == w.wid).nonzero()[0]
    needs.worker[cases] = -1
    who = cases // N_TYPES
    r.trust[who] = np.maximum(r.trust[who] - ctx.p.workforce.handover_trust_loss, 0.0)
    vol.coordinator[vol.coordinator == w.wid] = -1
    ctx.tally.add("sw_quits" if reason == "quit" else "sw_layoffs", 1)
    ctx.tally.add("cases_handed_back", len(cases))
    labour.separations.append(Separation(ctx.week, w.tenure_weeks, reason, w.in_first_year))
    w.employer.headcount[w.community] -= 1
    w.remove()


def lay_off(rosters: Rosters, ngo: NGO, n: int, needs: NeedState, r: Residents, vol: VolunteerState,
            labour: LabourMarket, ctx: Context, emergency: bool = False) -> None:
    """Lay off ``n`` workers at once, last in first out (those already under notice first).

    An emergency layoff (this week's payroll cannot be paid) is counted apart.
    """
    staff = sorted(rosters.staff(ngo), key=lambda w: (w.notice_until is None, w.tenure_weeks, w.wid))
    for w in staff[:n]:
        if emergency:
            ctx.tally.add("sw_emergency_layoffs", 1)
        separate(w, "layoff", needs, r, vol, labour, ctx)

"""Serving needs: case work (个案), group work (小组), activities (社区活动),
volunteer tasks, enterprise in-kind services and small assistance from the
community fund.

Social workers hold cases; a case gets its share of the worker's delivered
case hours each week and closes when its effort is done. Light needs go to
volunteers, enterprise partners and the community fund first; workers take
new cases from the ledger in priority order, up to their caseload target, and
beyond it (to the maximum) only for urgent needs.
"""

from __future__ import annotations

import numpy as np

from .. import ledger
from ..accounts import CommunityFund
from ..agents import Enterprise
from ..network import SocialNetwork
from ..population import draw_elderly_alone
from ..sampling import sample_blocks
from ..schema import N_TYPES, NEED_TYPES
from ..state import Context, NeedState, Residents, VolunteerState, WeekHours
from . import needs as needs_mod

T = {t: k for k, t in enumerate(NEED_TYPES)}
VOLUNTEER_TYPES = np.array([T["eldercare"], T["children_youth"]])
GROUP_TYPES = np.array([T["eldercare"], T["children_youth"], T["family"], T["employment"]])


def casework(needs: NeedState, r: Residents, hours: WeekHours, ctx: Context) -> None:
    """Progress on held cases; finished ones are resolved."""
    held = ledger.held(needs)
    if len(held) == 0:
        return
    per_case = hours.per_case[needs.worker[held]]
    needs.effort_left[held] -= per_case
    done = held[needs.effort_left[held] <= 0]
    ctx.tally.add("served_case", len(held))
    needs_mod.resolve(needs, r, done, "case", ctx)


def _community(flat: np.ndarray, r: Residents) -> np.ndarray:
    return r.community[flat // N_TYPES]


def enterprise_services(needs: NeedState, r: Residents, enterprises: list[Enterprise], ctx: Context) -> None:
    p = ctx.p.enterprises
    capacity = np.zeros(r.n_communities * N_TYPES)
    for e in enterprises:
        types = e.need_types
        for t in types:
            capacity[e.community * N_TYPES + t] += p.services_per_week * e.engagement / len(types)
    if not capacity.any():
        return
    flat = ledger.waiting(needs, max_severity=p.max_severity)
    group = _community(flat, r) * N_TYPES + flat % N_TYPES
    take = ledger.take_by_priority(group, ledger.priority(needs, r, flat, ctx),
                                   np.ones(len(flat)), np.floor(capacity))
    needs_mod.resolve(needs, r, flat[take], "enterprise", ctx)
    ctx.tally.add("served_enterprise", len(take))
    # Eldercare services not used on ledger needs go to elderly residents living alone as
    # regular services (理发、保洁、义诊, seed 001).
    used = np.bincount(group[take], minlength=len(capacity)).reshape(-1, N_TYPES)
    spare = np.maximum(capacity.reshape(-1, N_TYPES) - used, 0.0)[:, T["eldercare"]]
    routine = draw_elderly_alone(ctx.rng, r, spare)
    r.last_contact[routine] = ctx.week
    r.wellbeing[routine] = np.minimum(r.wellbeing[routine] + p.routine_wellbeing_gain, 1.0)
    ctx.tally.add("served_enterprise", len(routine))


def assistance(needs: NeedState, r: Residents, fund: CommunityFund, ctx: Context) -> None:
    """Small cash assistance (帮困) from the community fund for mild hardship."""
    cf = ctx.p.community_fund
    if cf.assistance_yuan <= 0:
        return
    flat = ledger.waiting(needs, types=np.array([T["hardship"]]), max_severity=cf.assistance_max_severity)
    if len(flat) == 0:
        return
    capacity = np.floor(fund.balance / cf.assistance_yuan)
    take = ledger.take_by_priority(_community(flat, r), ledger.priority(needs, r, flat, ctx),
                                   np.ones(len(flat)), capacity)
    chosen = flat[take]
    spent = np.bincount(_community(chosen, r), minlength=len(capacity)) * cf.assistance_yuan
    fund.spend(spent, "assistance")
    needs_mod.resolve(needs, r, chosen, "assistance", ctx)


def volunteer_tasks(needs: NeedState, r: Residents, vol: VolunteerState, ctx: Context) -> None:
    """Coordinated volunteers take light eldercare and children's needs, also light cases a
    worker holds (两工联动: the worker leads, volunteers do the visits and errands)."""
    p = ctx.p.volunteers
    capacity = vol.task_hours * p.effort_efficiency
    if not capacity.any():
        return
    flat = ledger.listed(needs)
    flat = flat[(needs.severity[flat] <= p.max_task_severity)
                & np.isin(flat % N_TYPES, VOLUNTEER_TYPES)]
    take = ledger.take_by_priority(_community(flat, r), ledger.priority(needs, r, flat, ctx),
                                   needs.effort_left[flat].astype(np.float64), capacity)
    needs_mod.resolve(needs, r, flat[take], "volunteer", ctx)
    ctx.tally.add("served_volunteer", len(take))


def group_work(needs: NeedState, r: Residents, hours: WeekHours, ctx: Context) -> None:
    s = ctx.p.services
    seats = np.floor(hours.groups / s.hours_per_group_session) * s.group_size
    if not seats.any():
        return
    flat = ledger.waiting(needs, types=GROUP_TYPES)
    take = ledger.take_by_priority(_community(flat, r), ledger.priority(needs, r, flat, ctx),
                                   np.ones(len(flat)), seats)
    chosen = flat[take]
    needs.effort_left[chosen] -= s.group_effort_hours
    who = chosen // N_TYPES
    r.belonging[who] = np.minimum(r.belonging[who] + s.activity_belonging_gain, 1.0)
    r.last_contact[who] = ctx.week
    r.reached[who] = True
    ctx.tally.add("served_group", len(chosen))
    needs_mod.resolve(needs, r, chosen[needs.effort_left[chosen] <= 0], "group", ctx)


def assign_cases(needs: NeedState, r: Residents, hours: WeekHours, ctx: Context) -> None:
    """Workers take new cases from the ledger: free slots first, then urgent overflow."""
    if len(hours.wid) == 0:
        return
    p = ctx.p.workforce
    caseload = np.bincount(needs.worker[ledger.held(needs)], minlength=len(hours.per_case))
    held = caseload[hours.wid]
    target = np.minimum(p.target_caseload, np.floor(hours.case_hours / p.hours_per_case_week))
    target = np.maximum(target, 0).astype(np.int64)
    free = np.maximum(target - held, 0)
    overflow = np.maximum(p.max_caseload - np.maximum(held, target), 0)
    for slots, urgent_only in ((free, False), (overflow, True)):
        if not slots.any():
            continue
        flat = ledger.waiting(needs)
        if urgent_only:
            flat = flat[needs.severity[flat] >= ctx.p.needs.urgent_threshold]
        if len(flat) == 0:
            continue
        slot_owner = np.repeat(hours.wid, slots)
        slot_group = np.repeat(hours.community, slots)
        pos, owner = ledger.assign_slots(_community(flat, r), ledger.priority(needs, r, flat, ctx),
                                         slot_group, slot_owner)
        needs.worker[flat[pos]] = owner
        r.last_contact[flat[pos] // N_TYPES] = ctx.week
        ctx.tally.add("cases_opened", len(pos))


def draw_attendance(r: Residents, seats: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each resident attends with probability min(rate x willingness, 1), ``seats[c]`` expected.

    Drawn at the community's highest willingness, then kept in proportion to
    one's own (thinning), so the cost grows with attendance, not residents.
    """
    total, top = r.willingness_sum, r.willingness_max
    rate = np.divide(seats, total, out=np.zeros_like(total), where=total > 0)
    ceiling = np.minimum(rate * top, 1.0)
    pos, c = sample_blocks(rng, r.community_start, r.community_size, ceiling)
    p = np.minimum(rate[c] * r.willingness[pos], 1.0)
    return pos[rng.random(len(pos)) * ceiling[c] < p]


def activities(r: Residents, hours: WeekHours, fund: CommunityFund, network: SocialNetwork,
               ctx: Context) -> None:
    """Community activities: attendance, belonging, trust, new ties; materials from the fund."""
    s = ctx.p.services
    n_act = np.floor(hours.activities / s.hours_per_activity)
    if not n_act.any():
        return
    cost = n_act * ctx.p.community_fund.activity_cost_yuan
    funded = np.where(fund.balance >= cost, 1.0, s.unfunded_attendance_share)
    fund.spend(np.where(funded == 1.0, cost, 0.0), "activities")
    seats = n_act * s.attendees_per_activity * funded
    attend = draw_attendance(r, seats, ctx.rng)
    r.belonging[attend] = np.minimum(r.belonging[attend] + s.activity_belonging_gain, 1.0)
    r.trust[attend] = np.minimum(r.trust[attend] + s.activity_trust_gain, 1.0)
    r.last_contact[attend] = ctx.week
    r.reached[attend] = True
    ctx.tally.add("served_activity", len(attend))
    ctx.tally.add("activities_held", float(n_act.sum()))
    network.add_ties(attend, r.community[attend], n_act * s.new_ties_per_activity, ctx.rng, ctx.tally)

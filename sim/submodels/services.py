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

from typing import TYPE_CHECKING

import numpy as np

from .. import ledger
from ..population import N_TYPES, sample_blocks
from ..schema import NEED_TYPES
from . import discovery
from . import needs as needs_mod

if TYPE_CHECKING:
    from ..model import CommunityModel

T = {t: k for k, t in enumerate(NEED_TYPES)}
VOLUNTEER_TYPES = np.array([T["eldercare"], T["children_youth"]])
GROUP_TYPES = np.array([T["eldercare"], T["children_youth"], T["family"], T["employment"]])


def casework(model: CommunityModel) -> None:
    """Progress on held cases; finished ones are resolved."""
    needs = model.needs
    held = ledger.held(model)
    if len(held) == 0:
        return
    per_case = model.case_hours_per_case[needs.worker[held]]
    needs.effort_left[held] -= per_case
    done = held[needs.effort_left[held] <= 0]
    model.tally.add("served_case", len(held))
    needs_mod.resolve(model, done, "case")


def _community(flat: np.ndarray, model: CommunityModel) -> np.ndarray:
    return model.residents.community[flat // N_TYPES]


def enterprise_services(model: CommunityModel) -> None:
    n_c = model.residents.n_communities
    capacity = np.zeros(n_c * N_TYPES)
    for e in model.enterprises:
        types = e.need_types
        for t in types:
            capacity[e.community * N_TYPES + t] += (model.s.enterprises.services_per_week
                                                    * e.engagement / len(types))
    if not capacity.any():
        return
    flat = ledger.waiting(model, max_severity=model.s.enterprises.max_severity)
    group = _community(flat, model) * N_TYPES + flat % N_TYPES
    take = ledger.take_by_priority(group, ledger.priority(model, flat),
                                   np.ones(len(flat)), np.floor(capacity))
    needs_mod.resolve(model, flat[take], "enterprise")
    model.tally.add("served_enterprise", len(take))
    # Eldercare services not used on ledger needs go to elderly residents living alone as
    # regular services (理发、保洁、义诊, seed 001).
    used = np.bincount(group[take], minlength=len(capacity)).reshape(-1, N_TYPES)
    spare = np.maximum(capacity.reshape(-1, N_TYPES) - used, 0.0)[:, T["eldercare"]]
    routine = discovery.draw_elder_visits(model, spare)
    r = model.residents
    r.last_contact[routine] = model.week
    r.wellbeing[routine] = np.minimum(r.wellbeing[routine] + model.s.volunteers.visit_wellbeing_gain, 1.0)
    model.tally.add("served_enterprise", len(routine))


def assistance(model: CommunityModel) -> None:
    """Small cash assistance (帮困) from the community fund for mild hardship."""
    cf = model.s.community_fund
    if cf.assistance_yuan <= 0:
        return
    flat = ledger.waiting(model, types=np.array([T["hardship"]]),
                          max_severity=cf.assistance_max_severity)
    if len(flat) == 0:
        return
    capacity = np.floor(model.fund.balance / cf.assistance_yuan)
    take = ledger.take_by_priority(_community(flat, model), ledger.priority(model, flat),
                                   np.ones(len(flat)), capacity)
    chosen = flat[take]
    spent = np.bincount(_community(chosen, model), minlength=len(capacity)) * cf.assistance_yuan
    model.fund.spend(spent, "assistance")
    needs_mod.resolve(model, chosen, "assistance")


def volunteer_tasks(model: CommunityModel) -> None:
    """Coordinated volunteers take light eldercare and children's needs, also light cases a
    worker holds (两工联动: the worker leads, volunteers do the visits and errands)."""
    vol = model.s.volunteers
    capacity = model.volunteer_task_hours * vol.effort_efficiency
    if not capacity.any():
        return
    needs = model.needs
    flat = ledger.listed(model)
    flat = flat[(needs.severity[flat] <= vol.max_task_severity)
                & np.isin(flat % N_TYPES, VOLUNTEER_TYPES)]
    take = ledger.take_by_priority(_community(flat, model), ledger.priority(model, flat),
                                   model.needs.effort_left[flat].astype(np.float64), capacity)
    needs_mod.resolve(model, flat[take], "volunteer")
    model.tally.add("served_volunteer", len(take))


def group_work(model: CommunityModel) -> None:
    s = model.s.services
    seats = np.floor(model.hours.groups / s.hours_per_group_session) * s.group_size
    if not seats.any():
        return
    flat = ledger.waiting(model, types=GROUP_TYPES)
    take = ledger.take_by_priority(_community(flat, model), ledger.priority(model, flat),
                                   np.ones(len(flat)), seats)
    chosen = flat[take]
    needs = model.needs
    needs.effort_left[chosen] -= s.group_effort_hours
    r = model.residents
    who = chosen // N_TYPES
    r.belonging[who] = np.minimum(r.belonging[who] + s.activity_belonging_gain, 1.0)
    r.last_contact[who] = model.week
    model.reached[who] = True
    model.tally.add("served_group", len(chosen))
    needs_mod.resolve(model, chosen[needs.effort_left[chosen] <= 0], "group")


def assign_cases(model: CommunityModel) -> None:
    """Workers take new cases from the ledger: free slots first, then urgent overflow."""
    w = model.workforce_arrays
    if len(w.wid) == 0:
        return
    p = model.s.workforce
    caseload = np.bincount(model.needs.worker[ledger.held(model)], minlength=model.next_wid)
    held = caseload[w.wid]
    target = np.minimum(p.target_caseload, np.floor(w.case_hours / p.hours_per_case_week))
    target = np.maximum(target, 0).astype(np.int64)
    free = np.maximum(target - held, 0)
    overflow = np.maximum(p.max_caseload - np.maximum(held, target), 0)
    for slots, urgent_only in ((free, False), (overflow, True)):
        if not slots.any():
            continue
        flat = ledger.waiting(model)
        if urgent_only:
            flat = flat[model.needs.severity[flat] >= model.s.needs.urgent_threshold]
        if len(flat) == 0:
            continue
        slot_owner = np.repeat(w.wid, slots)
        slot_group = np.repeat(w.community, slots)
        pos, owner = ledger.assign_slots(_community(flat, model), ledger.priority(model, flat),
                                         slot_group, slot_owner)
        model.needs.worker[flat[pos]] = owner
        model.residents.last_contact[flat[pos] // N_TYPES] = model.week
        model.tally.add("cases_opened", len(pos))


def willingness_by_community(model: CommunityModel) -> tuple[np.ndarray, np.ndarray]:
    """Sum and maximum of willingness per community (fixed from the start), built once."""
    cached = getattr(model, "willingness_by_community_cache", None)
    if cached is None:
        r = model.residents
        w = r.willingness.astype(np.float64)
        cached = (np.bincount(r.community, weights=w, minlength=r.n_communities),
                  np.maximum.reduceat(w, r.community_start) if r.n else np.zeros(0))
        model.willingness_by_community_cache = cached
    return cached


def draw_attendance(model: CommunityModel, seats: np.ndarray) -> np.ndarray:
    """Each resident attends with probability min(rate x willingness, 1), ``seats[c]`` expected.

    Drawn at the community's highest willingness, then kept in proportion to
    one's own (thinning), so the cost grows with attendance, not residents.
    """
    r = model.residents
    total, top = willingness_by_community(model)
    rate = np.divide(seats, total, out=np.zeros_like(total), where=total > 0)
    ceiling = np.minimum(rate * top, 1.0)
    pos, c = sample_blocks(model.rng, r.community_start, r.community_size, ceiling)
    p = np.minimum(rate[c] * r.willingness[pos], 1.0)
    return pos[model.rng.random(len(pos)) * ceiling[c] < p]


def activities(model: CommunityModel) -> None:
    """Community activities: attendance, belonging, trust, new ties; materials from the fund."""
    s = model.s.services
    r = model.residents
    n_act = np.floor(model.hours.activities / s.hours_per_activity)
    if not n_act.any():
        return
    cost = n_act * model.s.community_fund.activity_cost_yuan
    funded = np.where(model.fund.balance >= cost, 1.0, 0.5)
    model.fund.spend(np.where(funded == 1.0, cost, 0.0), "activities")
    seats = n_act * s.attendees_per_activity * funded
    attend = draw_attendance(model, seats)
    r.belonging[attend] = np.minimum(r.belonging[attend] + s.activity_belonging_gain, 1.0)
    r.trust[attend] = np.minimum(r.trust[attend] + s.activity_trust_gain, 1.0)
    r.last_contact[attend] = model.week
    model.reached[attend] = True
    model.tally.add("served_activity", len(attend))
    model.tally.add("activities_held", float(n_act.sum()))
    model.social.add_ties(model, attend, n_act * s.new_ties_per_activity)

"""Volunteers (志愿者): recruitment, coordination, motivation and drop-out.

Adults with a strong sense of belonging who are reached by an activity, a
group or a visit may start volunteering. Motivation decays every week and is
restored by coordination and recognition from social workers (两工联动); below
a threshold a volunteer stops (stays registered, no longer active). Life
events (moving, health, work) end some volunteering whatever the coordination. Only the
coordinated share of volunteer hours is matched to ledger tasks; elder
visiting (低龄助高龄) is done by trained younger-old volunteers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..agents import Volunteer

if TYPE_CHECKING:
    from ..model import CommunityModel


@dataclass
class VolunteerState:
    """Volunteer arrays, indexed by resident id."""

    n: int
    registered: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    motivation: np.ndarray = field(init=False)
    hours: np.ndarray = field(init=False)
    elder_visitor: np.ndarray = field(init=False)
    coordinator: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.registered = np.zeros(self.n, dtype=bool)
        self.active = np.zeros(self.n, dtype=bool)
        self.motivation = np.zeros(self.n, dtype=np.float32)
        self.hours = np.zeros(self.n, dtype=np.float32)
        self.elder_visitor = np.zeros(self.n, dtype=bool)
        self.coordinator = np.full(self.n, -1, dtype=np.int64)


def enrol(model: CommunityModel, who: np.ndarray) -> None:
    """Make these residents active volunteers."""
    if len(who) == 0:
        return
    vol = model.volunteers
    p = model.s.volunteers
    r = model.residents
    new_views = who[~vol.registered[who]]
    vol.registered[who] = True
    vol.active[who] = True
    vol.motivation[who] = model.rng.uniform(0.6, 1.0, len(who))
    vol.hours[who] = p.hours_per_week
    younger_old = (r.age[who] >= 60) & (r.age[who] < 75)
    vol.elder_visitor[who] = younger_old & (model.rng.random(len(who)) < p.elder_visiting_skill_share)
    assign_coordinators(model, who)
    for i in new_views:
        Volunteer(model, int(i))


def assign_coordinators(model: CommunityModel, who: np.ndarray) -> None:
    w = model.workforce_arrays
    comm = model.residents.community[who]
    coord = np.full(len(who), -1, dtype=np.int64)
    if len(w.wid):
        order = np.argsort(w.community, kind="stable")
        wc, wid = w.community[order], w.wid[order]
        lo = np.searchsorted(wc, comm, side="left")
        hi = np.searchsorted(wc, comm, side="right")
        has = hi > lo
        pick = lo + (model.rng.random(len(who)) * (hi - lo)).astype(np.int64)
        coord[has] = wid[pick[has]]
    model.volunteers.coordinator[who] = coord


def setup(model: CommunityModel) -> None:
    p = model.s.volunteers
    r = model.residents
    vol = model.volunteers
    adult = np.flatnonzero(r.age >= 18)
    registered = adult[model.rng.random(len(adult)) < p.initial_registered_share]
    active = registered[model.rng.random(len(registered)) < p.initial_active_share]
    enrol(model, active)
    dormant = np.setdiff1d(registered, active)
    vol.registered[dormant] = True
    for i in dormant:
        Volunteer(model, int(i))


def coverage(model: CommunityModel) -> np.ndarray:
    """Share of each community's active volunteers that coordination hours support."""
    p = model.s.volunteers
    r = model.residents
    active = np.bincount(r.community[np.flatnonzero(model.volunteers.active)], minlength=r.n_communities)
    capacity = model.hours.coordination * p.volunteers_per_coordination_hour
    return np.where(active > 0, np.minimum(capacity / np.maximum(active, 1), 1.0), 1.0)


def plan_hours(model: CommunityModel) -> None:
    """This week's volunteer hours per community: matched tasks and elder visits."""
    p = model.s.volunteers
    vol = model.volunteers
    r = model.residents
    cov = coverage(model)
    model.volunteer_coverage = cov
    matched = cov + (1.0 - cov) * p.uncoordinated_effectiveness
    n_c = r.n_communities
    act = np.flatnonzero(vol.active)
    hours = vol.hours[act]
    visit_hours = hours * vol.elder_visitor[act] * p.elder_visit_share
    task_hours = hours - visit_hours
    comm = r.community[act]
    model.volunteer_visit_hours = np.bincount(comm, weights=visit_hours, minlength=n_c) * matched
    model.volunteer_task_hours = np.bincount(comm, weights=task_hours, minlength=n_c) * matched


def update(model: CommunityModel) -> None:
    """Motivation, drop-out, then recruitment of residents reached this week."""
    p = model.s.volunteers
    vol = model.volunteers
    r = model.residents
    act = np.flatnonzero(vol.active)
    if len(act):
        cov = model.volunteer_coverage[r.community[act]]
        noise = model.rng.normal(0.0, p.motivation_noise, len(act))
        m = vol.motivation[act]
        m = m + p.recognition_gain_per_week * cov * (1.0 - m) - p.motivation_decay_per_week * m + noise
        vol.motivation[act] = np.clip(m, 0.0, 1.0)
        life_event = model.rng.random(len(act)) < 1.0 - (1.0 - p.life_event_dropout_per_year) ** (1 / 52)
        quit_ = act[(vol.motivation[act] < p.dropout_threshold) | life_event]
        vol.active[quit_] = False
        vol.hours[quit_] = 0.0
        model.tally.add("volunteer_dropouts", len(quit_))
    cand = np.flatnonzero(model.reached & ~vol.active & (r.age >= 18)
                          & (r.belonging >= p.belonging_threshold))
    join = cand[model.rng.random(len(cand)) < p.recruit_probability * r.willingness[cand]]
    enrol(model, join)
    model.tally.add("volunteer_recruits", len(join))

"""Volunteers (志愿者): recruitment, coordination, motivation, drop-out and elder visits.

Adults with a strong sense of belonging who are reached by an activity, a
group or a visit may start volunteering. Motivation decays every week and is
restored by coordination and recognition from social workers (两工联动); below
a threshold a volunteer stops (stays registered, no longer active). Life
events (moving, health, work) end some volunteering whatever the coordination. Only the
coordinated share of volunteer hours is matched to ledger tasks; elder
visiting (低龄助高龄) is done by trained younger-old volunteers.
"""

from __future__ import annotations

import numpy as np

from ..agents import Volunteer
from ..population import draw_elderly_alone
from ..state import Context, Residents, Rosters, VolunteerState, WeekHours


def enrol(vol: VolunteerState, r: Residents, hours: WeekHours, rosters: Rosters, who: np.ndarray,
          ctx: Context) -> None:
    """Make these residents active volunteers, each with a coordinator from their community's staff."""
    if len(who) == 0:
        return
    p = ctx.p.volunteers
    new_views = who[~vol.has_view[who]]
    vol.has_view[who] = True
    vol.registered[who] = True
    vol.active[who] = True
    vol.motivation[who] = ctx.rng.uniform(p.new_motivation_min, 1.0, len(who))
    vol.hours[who] = p.hours_per_week
    vol.elder_visitor[who] = r.younger_old[who] & (ctx.rng.random(len(who)) < p.elder_visiting_skill_share)
    assign_coordinators(vol, r, hours, who, ctx.rng)
    for i in new_views:
        Volunteer(rosters.model, int(i))


def assign_coordinators(vol: VolunteerState, r: Residents, hours: WeekHours, who: np.ndarray,
                        rng: np.random.Generator) -> None:
    comm = r.community[who]
    coord = np.full(len(who), -1, dtype=np.int64)
    if len(hours.wid):
        order = np.argsort(hours.community, kind="stable")
        wc, wid = hours.community[order], hours.wid[order]
        lo = np.searchsorted(wc, comm, side="left")
        hi = np.searchsorted(wc, comm, side="right")
        has = hi > lo
        pick = lo + (rng.random(len(who)) * (hi - lo)).astype(np.int64)
        coord[has] = wid[pick[has]]
    vol.coordinator[who] = coord


def setup(vol: VolunteerState, r: Residents, hours: WeekHours, rosters: Rosters, ctx: Context) -> None:
    """Registered volunteers at week 0, some of them active."""
    p = ctx.p.volunteers
    adult = r.adult.nonzero()[0]
    registered = adult[ctx.rng.random(len(adult)) < p.initial_registered_share]
    active = registered[ctx.rng.random(len(registered)) < p.initial_active_share]
    enrol(vol, r, hours, rosters, active, ctx)
    dormant = np.setdiff1d(registered, active)
    vol.registered[dormant] = True
    vol.has_view[dormant] = True
    for i in dormant:
        Volunteer(rosters.model, int(i))


def coverage(vol: VolunteerState, r: Residents, hours: WeekHours, ctx: Context) -> np.ndarray:
    """Share of each community's active volunteers that coordination hours support."""
    p = ctx.p.volunteers
    active = np.bincount(r.community[vol.active.nonzero()[0]], minlength=r.n_communities)
    capacity = hours.coordination * p.volunteers_per_coordination_hour
    return np.where(active > 0, np.minimum(capacity / np.maximum(active, 1), 1.0), 1.0)


def plan_hours(vol: VolunteerState, r: Residents, hours: WeekHours, ctx: Context) -> None:
    """This week's volunteer hours per community: matched tasks and elder visits."""
    p = ctx.p.volunteers
    cov = coverage(vol, r, hours, ctx)
    vol.coverage = cov
    matched = cov + (1.0 - cov) * p.uncoordinated_effectiveness
    n_c = r.n_communities
    act = vol.active.nonzero()[0]
    given = vol.hours[act]
    visit_hours = given * vol.elder_visitor[act] * p.elder_visit_share
    task_hours = given - visit_hours
    comm = r.community[act]
    vol.visit_hours = np.bincount(comm, weights=visit_hours, minlength=n_c) * matched
    vol.task_hours = np.bincount(comm, weights=task_hours, minlength=n_c) * matched


def visit_elders(vol: VolunteerState, r: Residents, ctx: Context) -> np.ndarray:
    """Companionship visits to elderly residents living alone (低龄助高龄); returns who was visited."""
    p = ctx.p.volunteers
    visited = draw_elderly_alone(ctx.rng, r, vol.visit_hours * p.visits_per_hour)
    r.last_contact[visited] = ctx.week
    r.wellbeing[visited] = np.minimum(r.wellbeing[visited] + p.visit_wellbeing_gain, 1.0)
    ctx.tally.add("served_volunteer", len(visited))
    return visited


def update(vol: VolunteerState, r: Residents, hours: WeekHours, rosters: Rosters, ctx: Context) -> None:
    """Motivation, drop-out, then recruitment of residents reached this week."""
    p = ctx.p.volunteers
    rng = ctx.rng
    act = vol.active.nonzero()[0]
    if len(act):
        cov = vol.coverage[r.community[act]]
        noise = rng.normal(0.0, p.motivation_noise, len(act))
        m = vol.motivation[act]
        m = m + p.recognition_gain_per_week * cov * (1.0 - m) - p.motivation_decay_per_week * m + noise
        vol.motivation[act] = np.clip(m, 0.0, 1.0)
        life_event = rng.random(len(act)) < 1.0 - (1.0 - p.life_event_dropout_per_year) ** (1 / 52)
        quit_ = act[(vol.motivation[act] < p.dropout_threshold) | life_event]
        vol.active[quit_] = False
        vol.hours[quit_] = 0.0
        ctx.tally.add("volunteer_dropouts", len(quit_))
    dormant = (vol.registered & ~vol.active).nonzero()[0]
    lapsed = dormant[rng.random(len(dormant)) < 1.0 - (1.0 - p.registration_lapse_per_year) ** (1.0 / 52.0)]
    vol.registered[lapsed] = False
    ctx.tally.add("volunteer_deregistrations", len(lapsed))
    cand = (r.reached & ~vol.active & r.adult
                          & (r.belonging >= p.belonging_threshold)).nonzero()[0]
    join = cand[rng.random(len(cand)) < p.recruit_probability * r.willingness[cand]]
    enrol(vol, r, hours, rosters, join, ctx)
    ctx.tally.add("volunteer_recruits", len(join))

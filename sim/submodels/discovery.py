"""Finding needs: self-report, outreach visits (入户走访), elder visiting and referrals.

Found needs join the ledger (台账). A resident who reports, or who is visited
and found in need, has all their open needs recorded at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..population import N_TYPES

if TYPE_CHECKING:
    from ..model import CommunityModel


def mark_found(model: CommunityModel, residents: np.ndarray) -> int:
    """Record every open, unfound need of these residents; returns how many."""
    if len(residents) == 0:
        return 0
    needs = model.needs
    flat = (residents[:, None] * N_TYPES + np.arange(N_TYPES)).ravel()
    new = flat[needs.open[flat] & ~needs.found[flat]]
    needs.found[new] = True
    needs.found_week[new] = model.week
    model.tally.add("needs_found", len(new))
    return len(new)


def with_unfound_needs(model: CommunityModel) -> np.ndarray:
    needs = model.needs
    return (needs.by_resident(needs.open) & ~needs.by_resident(needs.found)).any(axis=1)


def draw_visits(model: CommunityModel, visits: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Residents visited this week: ``visits[c]`` expected visits per community, by weight."""
    r = model.residents
    total = np.bincount(r.community, weights=weight, minlength=r.n_communities)
    rate = np.divide(visits, total, out=np.zeros_like(total), where=total > 0)
    p = np.minimum(rate[r.community] * weight, 1.0)
    return np.flatnonzero(model.rng.random(r.n) < p)


def find(model: CommunityModel) -> None:
    d = model.s.discovery
    r = model.residents
    unfound = with_unfound_needs(model)
    # Self-report at the service station, more likely with trust.
    cand = np.flatnonzero(unfound)
    report = cand[model.rng.random(len(cand)) < d.self_report_per_week * r.trust[cand]]
    model.tally.add("found_self_report", mark_found(model, report))
    # Outreach visits by social workers, aimed at vulnerable residents.
    weight = 1.0 + d.vulnerability_targeting * r.vulnerable
    visited = draw_visits(model, model.hours.outreach * d.visits_per_outreach_hour, weight)
    r.last_contact[visited] = model.week
    model.reached[visited] = True
    detected = visited[model.rng.random(len(visited)) < d.visit_detection]
    model.tally.add("found_outreach", mark_found(model, detected))
    model.tally.add("outreach_visits", len(visited))
    # Younger-old volunteers visit elderly residents living alone (低龄助高龄).
    vol = model.s.volunteers
    elder_alone = (r.age >= 60) & r.lives_alone
    visits = model.volunteer_visit_hours * vol.visits_per_hour
    v_visited = draw_visits(model, visits, elder_alone.astype(np.float64))
    r.last_contact[v_visited] = model.week
    r.wellbeing[v_visited] = np.minimum(r.wellbeing[v_visited] + vol.visit_wellbeing_gain, 1.0)
    v_detected = v_visited[model.rng.random(len(v_visited)) < d.visit_detection]
    model.tally.add("found_volunteer", mark_found(model, v_detected))
    model.tally.add("served_volunteer", len(v_visited))
    # Referrals along ties from engaged neighbours (volunteers, trusting and belonging).
    engaged = (model.volunteers.active | ((r.trust > 0.7) & (r.belonging > 0.6))).astype(np.float32)
    ties = model.neighbour_sum(engaged)
    cand = np.flatnonzero(unfound & (ties > 0))
    p = 1.0 - (1.0 - d.referral_per_tie) ** ties[cand]
    referred = cand[model.rng.random(len(cand)) < p]
    model.tally.add("found_referral", mark_found(model, referred))

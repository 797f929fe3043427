"""Finding needs: self-report, outreach visits (入户走访), elder visiting and referrals.

Found needs join the ledger (台账). A resident who reports, or who is visited
and found in need, has all their open needs recorded at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import ledger
from ..population import N_TYPES, sample_blocks

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
    """Residents (sorted) with at least one open need not yet on the ledger."""
    needs = model.needs
    resident = np.flatnonzero(needs.open & ~needs.found) // N_TYPES
    return resident[ledger.run_starts(resident)]


@dataclass
class VisitFrames:
    """Who can be visited, fixed at the start: vulnerability and living alone do not change."""

    vulnerable: np.ndarray
    """Vulnerable residents per community."""
    elder_alone: np.ndarray
    """Elderly residents living alone, by community."""
    elder_start: np.ndarray
    elder_size: np.ndarray


def visit_frames(model: CommunityModel) -> VisitFrames:
    frames = getattr(model, "visit_frames", None)
    if frames is None:
        r = model.residents
        vulnerable = np.bincount(r.community[r.vulnerable], minlength=r.n_communities)
        elder = np.flatnonzero((r.age >= 60) & r.lives_alone)
        bounds = np.searchsorted(r.community[elder], np.arange(r.n_communities + 1))
        frames = VisitFrames(vulnerable, elder, bounds[:-1], np.diff(bounds))
        model.visit_frames = frames
    return frames


def outreach_weight(model: CommunityModel, who: np.ndarray) -> np.ndarray:
    r = model.residents
    vulnerable = (r.lives_alone[who] & (r.age[who] >= 60)) | r.disabled[who] | r.low_income[who]
    return 1.0 + model.s.discovery.vulnerability_targeting * vulnerable


def draw_outreach(model: CommunityModel, visits: np.ndarray) -> np.ndarray:
    """Residents visited by workers: ``visits[c]`` expected per community, by weight.

    Each resident is visited with probability min(rate x weight, 1): drawn at the
    community's highest weight, then kept in proportion to their own (thinning).
    """
    r = model.residents
    targeting = model.s.discovery.vulnerability_targeting
    total = r.community_size + targeting * visit_frames(model).vulnerable
    rate = np.divide(visits, total, out=np.zeros(len(total)), where=total > 0)
    top = 1.0 + max(targeting, 0.0)
    ceiling = np.minimum(rate * top, 1.0)
    pos, c = sample_blocks(model.rng, r.community_start, r.community_size, ceiling)
    p = np.minimum(rate[c] * outreach_weight(model, pos), 1.0)
    return pos[model.rng.random(len(pos)) * ceiling[c] < p]


def draw_elder_visits(model: CommunityModel, visits: np.ndarray) -> np.ndarray:
    """Elderly residents living alone visited by volunteers: ``visits[c]`` expected per community."""
    f = visit_frames(model)
    p = np.divide(visits, f.elder_size, out=np.zeros(len(visits)), where=f.elder_size > 0)
    pos, _ = sample_blocks(model.rng, f.elder_start, f.elder_size, p)
    return f.elder_alone[pos]


def find(model: CommunityModel) -> None:
    d = model.s.discovery
    r = model.residents
    unfound = with_unfound_needs(model)
    # Self-report at the service station, more likely with trust.
    report = unfound[model.rng.random(len(unfound)) < d.self_report_per_week * r.trust[unfound]]
    model.tally.add("found_self_report", mark_found(model, report))
    # Outreach visits by social workers, aimed at vulnerable residents.
    visited = draw_outreach(model, model.hours.outreach * d.visits_per_outreach_hour)
    r.last_contact[visited] = model.week
    model.reached[visited] = True
    detected = visited[model.rng.random(len(visited)) < d.visit_detection]
    model.tally.add("found_outreach", mark_found(model, detected))
    model.tally.add("outreach_visits", len(visited))
    # Younger-old volunteers visit elderly residents living alone (低龄助高龄).
    vol = model.s.volunteers
    v_visited = draw_elder_visits(model, model.volunteer_visit_hours * vol.visits_per_hour)
    r.last_contact[v_visited] = model.week
    r.wellbeing[v_visited] = np.minimum(r.wellbeing[v_visited] + vol.visit_wellbeing_gain, 1.0)
    v_detected = v_visited[model.rng.random(len(v_visited)) < d.visit_detection]
    model.tally.add("found_volunteer", mark_found(model, v_detected))
    model.tally.add("served_volunteer", len(v_visited))
    # Referrals along ties from engaged neighbours (volunteers, trusting and belonging).
    if len(unfound) == 0:
        return
    engaged = (model.volunteers.active | ((r.trust > 0.7) & (r.belonging > 0.6))).astype(np.float32)
    ties = model.social.neighbour_sum(engaged, rows=unfound)
    cand = unfound[ties > 0]
    p = 1.0 - (1.0 - d.referral_per_tie) ** ties[ties > 0]
    referred = cand[model.rng.random(len(cand)) < p]
    model.tally.add("found_referral", mark_found(model, referred))

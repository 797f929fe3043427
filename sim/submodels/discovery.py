"""Finding needs: self-report, outreach visits (入户走访), elder visits and referrals.

Found needs join the ledger (台账). A resident who reports, or who is visited
and found in need, has all their open needs recorded at once.
"""

from __future__ import annotations

import numpy as np

from .. import ledger
from ..network import SocialNetwork
from ..sampling import sample_blocks
from ..schema import N_TYPES
from ..state import Context, NeedState, Residents, VolunteerState, WeekHours
from . import volunteering


def mark_found(needs: NeedState, residents: np.ndarray, ctx: Context) -> int:
    """Record every open, unfound need of these residents; returns how many."""
    if len(residents) == 0:
        return 0
    flat = (residents[:, None] * N_TYPES + np.arange(N_TYPES)).ravel()
    new = flat[needs.open[flat] & ~needs.found[flat]]
    needs.found[new] = True
    needs.found_week[new] = ctx.week
    ctx.tally.add("needs_found", len(new))
    return len(new)


def with_unfound_needs(needs: NeedState) -> np.ndarray:
    """Residents (sorted) with at least one open need not yet on the ledger."""
    resident = (needs.open & ~needs.found).nonzero()[0] // N_TYPES
    return resident[ledger.run_starts(resident)]


def outreach_weight(r: Residents, who: np.ndarray, targeting: float) -> np.ndarray:
    vulnerable = (r.lives_alone[who] & r.elderly[who]) | r.disabled[who] | r.low_income[who]
    return 1.0 + targeting * vulnerable


def draw_outreach(r: Residents, visits: np.ndarray, ctx: Context) -> np.ndarray:
    """Residents visited by workers: ``visits[c]`` expected per community, by weight.

    Each resident is visited with probability min(rate x weight, 1): drawn at the
    community's highest weight, then kept in proportion to their own (thinning).
    """
    targeting = ctx.p.discovery.vulnerability_targeting
    total = r.community_size + targeting * r.vulnerable_per_community
    rate = np.divide(visits, total, out=np.zeros(len(total)), where=total > 0)
    top = 1.0 + max(targeting, 0.0)
    ceiling = np.minimum(rate * top, 1.0)
    pos, c = sample_blocks(ctx.rng, r.community_start, r.community_size, ceiling)
    p = np.minimum(rate[c] * outreach_weight(r, pos, targeting), 1.0)
    return pos[ctx.rng.random(len(pos)) * ceiling[c] < p]


def find(needs: NeedState, r: Residents, vol: VolunteerState, hours: WeekHours, network: SocialNetwork,
         ctx: Context) -> None:
    d = ctx.p.discovery
    rng = ctx.rng
    tally = ctx.tally
    unfound = with_unfound_needs(needs)
    # Self-report at the service station, more likely with trust.
    report = unfound[rng.random(len(unfound)) < d.self_report_per_week * r.trust[unfound]]
    tally.add("found_self_report", mark_found(needs, report, ctx))
    # Outreach visits by social workers, aimed at vulnerable residents.
    visited = draw_outreach(r, hours.outreach * d.visits_per_outreach_hour, ctx)
    r.last_contact[visited] = ctx.week
    r.reached[visited] = True
    detected = visited[rng.random(len(visited)) < d.visit_detection]
    tally.add("found_outreach", mark_found(needs, detected, ctx))
    tally.add("outreach_visits", len(visited))
    # Younger-old volunteers visit elderly residents living alone (低龄助高龄) and notice needs too.
    v_visited = volunteering.visit_elders(vol, r, ctx)
    v_detected = v_visited[rng.random(len(v_visited)) < d.visit_detection]
    tally.add("found_volunteer", mark_found(needs, v_detected, ctx))
    # Referrals along ties from engaged neighbours (volunteers, trusting and belonging).
    if len(unfound) == 0:
        return
    engaged = (vol.active | ((r.trust > d.referral_trust_threshold)
                             & (r.belonging > d.referral_belonging_threshold))).astype(np.float32)
    ties = network.neighbour_sum(engaged, rows=unfound)
    cand = unfound[ties > 0]
    p = 1.0 - (1.0 - d.referral_per_tie) ** ties[ties > 0]
    referred = cand[rng.random(len(cand)) < p]
    tally.add("found_referral", mark_found(needs, referred, ctx))

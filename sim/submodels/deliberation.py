"""Public disputes and deliberation (协商议事).

Disputes over noise, parking, pets or elevators arise per community and wear
down everyone's trust while open (in proportion to disputes per 1,000
households). At each deliberation day (monthly by default, seed 001) adults
take part in proportion to their willingness and trust (fully at or above a
trust threshold); a
social worker facilitates. The chance a dispute is settled rises with
participants' trust, the community's belonging and a full meeting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import CommunityModel


def arise(model: CommunityModel) -> None:
    p = model.s.deliberation
    r = model.residents
    rate = p.disputes_per_1000_households_year * r.households_per_community / 1000.0 / 52.0
    new = model.rng.poisson(rate)
    model.disputes_open += new
    model.tally.add("disputes_arisen", int(new.sum()))
    per_1000 = model.disputes_open / np.maximum(r.households_per_community / 1000.0, 1e-9)
    loss = p.open_dispute_trust_loss * per_1000[r.community]
    r.trust -= loss.astype(np.float32)
    np.clip(r.trust, 0, 1, out=r.trust)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def meet(model: CommunityModel) -> None:
    p = model.s.deliberation
    if not p.enabled or model.week % p.meeting_interval_weeks != 0:
        return
    r = model.residents
    n_c = r.n_communities
    hold = (model.disputes_open > 0) & (model.hours.activities >= p.facilitation_hours)
    if not hold.any():
        return
    model.hours.activities[hold] -= p.facilitation_hours
    eligible = hold[r.community] & (r.age >= 18)
    trusting = np.minimum(r.trust / max(p.participation_trust_threshold, 1e-9), 1.0)
    attend = eligible & (model.rng.random(r.n) < p.invite_per_meeting * r.willingness * trusting)
    who = np.flatnonzero(attend)
    n_part = np.bincount(r.community[who], minlength=n_c)
    trust_sum = np.bincount(r.community[who], weights=r.trust[who], minlength=n_c)
    mean_trust = np.divide(trust_sum, n_part, out=np.zeros(n_c), where=n_part > 0)
    belonging = np.bincount(r.community, weights=r.belonging, minlength=n_c) / np.maximum(
        r.community_size, 1)
    quorum = np.minimum(n_part / p.representatives_needed, 1.0)
    logit = (p.base_resolution + p.trust_effect * (mean_trust - 0.5)
             + p.belonging_effect * (belonging - 0.5) + p.quorum_effect * quorum)
    prob = np.where(hold & (n_part > 0), sigmoid(logit), 0.0)
    model.tally.add("disputes_at_meetings", int(model.disputes_open[hold].sum()))
    settled = model.rng.binomial(model.disputes_open, prob)
    model.disputes_open -= settled
    model.tally.add("disputes_resolved", int(settled.sum()))
    model.tally.add("deliberation_meetings", int(hold.sum()))
    model.tally.add("deliberation_participants", len(who))
    gain = who[settled[r.community[who]] > 0]
    r.trust[gain] = np.minimum(r.trust[gain] + p.resolved_trust_gain, 1.0)
    r.belonging[gain] = np.minimum(r.belonging[gain] + p.resolved_trust_gain, 1.0)
    r.last_contact[who] = model.week
    model.reached[who] = True

"""Public disputes and deliberation (协商议事).

Disputes over noise, parking, pets or elevators arise per community and wear
down everyone's trust while open (in proportion to disputes per 1,000
households). At each deliberation day (monthly by default, seed 001) adults
take part in proportion to their willingness and trust (fully at or above a
trust threshold); a social worker facilitates, with hours set aside when the
week's time is allocated. The chance a dispute is settled rises with
participants' trust, the community's belonging and a full meeting.
"""

from __future__ import annotations

import numpy as np

from ..state import Context, Disputes, Residents, WeekHours


def arise(disputes: Disputes, r: Residents, ctx: Context) -> None:
    p = ctx.p.deliberation
    rate = p.disputes_per_1000_households_year * r.households_per_community / 1000.0 / 52.0
    new = ctx.rng.poisson(rate)
    disputes.open += new
    ctx.tally.add("disputes_arisen", int(new.sum()))
    per_1000 = disputes.open / np.maximum(r.households_per_community / 1000.0, 1e-9)
    loss = p.open_dispute_trust_loss * per_1000[r.community]
    r.trust -= loss.astype(np.float32)
    np.clip(r.trust, 0, 1, out=r.trust)


def meetings(disputes: Disputes, activity_hours: np.ndarray, ctx: Context) -> np.ndarray:
    """Communities that hold a deliberation meeting this week: a meeting day, open disputes, and
    activity hours enough to facilitate it."""
    p = ctx.p.deliberation
    if not p.enabled or ctx.week % p.meeting_interval_weeks != 0:
        return np.zeros(len(disputes.open), dtype=bool)
    return (disputes.open > 0) & (activity_hours >= p.facilitation_hours)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def meet(disputes: Disputes, r: Residents, hours: WeekHours, ctx: Context) -> None:
    hold = hours.meeting
    if not hold.any():
        return
    p = ctx.p.deliberation
    rng = ctx.rng
    n_c = r.n_communities
    eligible = hold[r.community] & r.adult
    trusting = np.minimum(r.trust / max(p.participation_trust_threshold, 1e-9), 1.0)
    attend = eligible & (rng.random(r.n) < p.invite_per_meeting * r.willingness * trusting)
    who = attend.nonzero()[0]
    n_part = np.bincount(r.community[who], minlength=n_c)
    trust_sum = np.bincount(r.community[who], weights=r.trust[who], minlength=n_c)
    mean_trust = np.divide(trust_sum, n_part, out=np.zeros(n_c), where=n_part > 0)
    belonging = np.bincount(r.community, weights=r.belonging, minlength=n_c) / np.maximum(
        r.community_size, 1)
    quorum = np.minimum(n_part / p.representatives_needed, 1.0)
    logit = (p.base_resolution + p.trust_effect * (mean_trust - 0.5)
             + p.belonging_effect * (belonging - 0.5) + p.quorum_effect * quorum)
    prob = np.where(hold & (n_part > 0), sigmoid(logit), 0.0)
    tally = ctx.tally
    tally.add("disputes_at_meetings", int(disputes.open[hold].sum()))
    settled = rng.binomial(disputes.open, prob)
    disputes.open -= settled
    tally.add("disputes_resolved", int(settled.sum()))
    tally.add("deliberation_meetings", int(hold.sum()))
    tally.add("deliberation_participants", len(who))
    gain = who[settled[r.community[who]] > 0]
    r.trust[gain] = np.minimum(r.trust[gain] + p.resolved_trust_gain, 1.0)
    r.belonging[gain] = np.minimum(r.belonging[gain] + p.resolved_trust_gain, 1.0)
    r.last_contact[who] = ctx.week
    r.reached[who] = True

"""Enterprise partners (社区合伙人): in-kind services and donations while engaged.

Engagement decays without recognition; recognition events (every quarter, by
default) restore it only where social workers have coordination hours. A
partner leaves when engagement falls below a threshold, or whatever its
engagement when the business closes or moves; new partners are signed while
coordination is staffed, in proportion to the residents (per 1,000), so a
larger community has more of them.
"""

from __future__ import annotations

import numpy as np

from ..accounts import CommunityFund
from ..agents import Enterprise
from ..state import Context, Residents, Rosters, WeekHours


def targets(r: Residents, ctx: Context) -> np.ndarray:
    """Expected partners per community: ``partners_per_1000_residents`` of its residents."""
    return ctx.p.enterprises.partners_per_1000_residents * r.community_size / 1000.0


def setup(rosters: Rosters, r: Residents, ctx: Context) -> None:
    p = ctx.p.enterprises
    for c, expected in enumerate(targets(r, ctx)):
        n = int(expected) + int(ctx.rng.random() < expected % 1)
        for _ in range(n):
            recruit(rosters, c, p.new_engagement_min, ctx.rng)


def recruit(rosters: Rosters, community: int, low: float, rng: np.random.Generator) -> Enterprise:
    """A new partner in ``community``, its engagement drawn between ``low`` and 1."""
    service = Enterprise.SERVICES[int(rng.integers(len(Enterprise.SERVICES)))]
    return Enterprise(rosters.model, community, service, engagement=float(rng.uniform(low, 1.0)))


def update(rosters: Rosters, hours: WeekHours, fund: CommunityFund, r: Residents, ctx: Context) -> None:
    p = ctx.p.enterprises
    week = ctx.week
    coordinated = hours.coordination > 0
    recognise = week > 0 and week % p.recognition_interval_weeks == 0
    closure = 1.0 - (1.0 - p.closure_per_year) ** (1.0 / 52.0)
    donations = np.zeros(len(coordinated))
    for e in list(rosters.enterprises):
        donations[e.community] += p.donation_yuan_year / 52.0 * e.engagement
        e.engagement -= p.engagement_decay_per_week
        if recognise and coordinated[e.community]:
            e.engagement = min(e.engagement + p.recognition_gain, 1.0)
        if e.engagement < p.exit_threshold or ctx.rng.random() < closure:
            ctx.tally.add("enterprise_exits", 1)
            e.remove()
    fund.receive(donations, "enterprise")
    rate = p.recruit_per_1000_residents_year * r.community_size / 1000.0 / 52.0
    joins = ctx.rng.random(len(coordinated)) < rate
    for c in (joins & coordinated).nonzero()[0]:
        recruit(rosters, int(c), p.new_engagement_min, ctx.rng)
        ctx.tally.add("enterprise_joins", 1)


def set_count(rosters: Rosters, r: Residents, ctx: Context) -> None:
    """Sign new partners or end the least engaged partnerships until each community has its target
    (rounded): a change of ``partners_per_1000_residents`` during a run."""
    low = ctx.p.enterprises.new_engagement_min
    for c, expected in enumerate(targets(r, ctx)):
        target = int(round(expected))
        present = sorted((e for e in rosters.enterprises if e.community == c), key=lambda e: e.engagement)
        for e in present[:max(len(present) - target, 0)]:
            e.remove()
        for _ in range(target - len(present)):
            recruit(rosters, c, low, ctx.rng)

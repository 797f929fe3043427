"""Enterprise partners (社区合伙人): in-kind services and donations while engaged.

Engagement decays without recognition; recognition events (every quarter, by
default) restore it only where social workers have coordination hours. A
partner leaves when engagement falls below a threshold; new partners are
signed while coordination is staffed.
"""

from __future__ import annotations

import numpy as np

from ..accounts import CommunityFund
from ..agents import Enterprise
from ..state import Context, Rosters, WeekHours


def setup(rosters: Rosters, n_communities: int, ctx: Context) -> None:
    p = ctx.p.enterprises
    for c in range(n_communities):
        n = int(p.partners_per_community) + int(ctx.rng.random() < p.partners_per_community % 1)
        for _ in range(n):
            recruit(rosters, c, p.new_engagement_min, ctx.rng)


def recruit(rosters: Rosters, community: int, low: float, rng: np.random.Generator) -> Enterprise:
    """A new partner in ``community``, its engagement drawn between ``low`` and 1."""
    service = Enterprise.SERVICES[int(rng.integers(len(Enterprise.SERVICES)))]
    return Enterprise(rosters.model, community, service, engagement=float(rng.uniform(low, 1.0)))


def update(rosters: Rosters, hours: WeekHours, fund: CommunityFund, ctx: Context) -> None:
    p = ctx.p.enterprises
    week = ctx.week
    coordinated = hours.coordination > 0
    recognise = week > 0 and week % p.recognition_interval_weeks == 0
    donations = np.zeros(len(coordinated))
    for e in list(rosters.enterprises):
        donations[e.community] += p.donation_yuan_year / 52.0 * e.engagement
        e.engagement -= p.engagement_decay_per_week
        if recognise and coordinated[e.community]:
            e.engagement = min(e.engagement + p.recognition_gain, 1.0)
        if e.engagement < p.exit_threshold:
            ctx.tally.add("enterprise_exits", 1)
            e.remove()
    fund.receive(donations, "enterprise")
    joins = ctx.rng.random(len(coordinated)) < p.recruit_per_year / 52.0
    for c in (joins & coordinated).nonzero()[0]:
        recruit(rosters, int(c), p.new_engagement_min, ctx.rng)
        ctx.tally.add("enterprise_joins", 1)


def set_count(rosters: Rosters, n_communities: int, per_community: int, low: float,
              rng: np.random.Generator) -> None:
    """Sign new partners or end the least engaged partnerships until each community has the target."""
    for c in range(n_communities):
        present = sorted((e for e in rosters.enterprises if e.community == c), key=lambda e: e.engagement)
        for e in present[:max(len(present) - per_community, 0)]:
            e.remove()
        for _ in range(per_community - len(present)):
            recruit(rosters, c, low, rng)

"""Enterprise partners (社区合伙人): in-kind services and donations while engaged.

Engagement decays without recognition; recognition events (every quarter, by
default) restore it only where social workers have coordination hours. A
partner leaves when engagement falls below a threshold; new partners are
signed while coordination is staffed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..agents import Enterprise

if TYPE_CHECKING:
    from ..model import CommunityModel


def setup(model: CommunityModel) -> None:
    p = model.s.enterprises
    for c in range(model.residents.n_communities):
        n = int(p.partners_per_community) + int(model.rng.random() < p.partners_per_community % 1)
        for _ in range(n):
            recruit(model, c)


def recruit(model: CommunityModel, community: int) -> Enterprise:
    service = Enterprise.SERVICES[int(model.rng.integers(len(Enterprise.SERVICES)))]
    return Enterprise(model, community, service, engagement=float(model.rng.uniform(0.6, 1.0)))


def update(model: CommunityModel) -> None:
    p = model.s.enterprises
    coordinated = model.hours.coordination > 0
    recognise = model.week > 0 and model.week % p.recognition_interval_weeks == 0
    donations = np.zeros(model.residents.n_communities)
    for e in list(model.enterprises):
        donations[e.community] += p.donation_yuan_year / 52.0 * e.engagement
        e.engagement -= p.engagement_decay_per_week
        if recognise and coordinated[e.community]:
            e.engagement = min(e.engagement + p.recognition_gain, 1.0)
        if e.engagement < p.exit_threshold:
            e.active = False
            model.tally.add("enterprise_exits", 1)
            e.remove()
    model.fund.receive(donations, "enterprise")
    joins = model.rng.random(len(coordinated)) < p.recruit_per_year / 52.0
    for c in np.flatnonzero(joins & coordinated):
        recruit(model, int(c))
        model.tally.add("enterprise_joins", 1)

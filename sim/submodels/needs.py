"""Needs (需求): arise as weekly hazards, escalate while waiting, lower wellbeing.

A resident holds at most one open need of each type. The yearly rate of a
type depends on eligibility (eldercare: 60+ or disabled; children/youth: under
18; employment: 18-59) and on risk factors (living alone, disability, low
income, age 80+). Unserved needs grow more severe and need more work; mild
ones may go away by themselves (counted as dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..population import N_TYPES, sample_blocks
from ..schema import NEED_TYPES

if TYPE_CHECKING:
    from ..model import CommunityModel

T = {t: k for k, t in enumerate(NEED_TYPES)}


def weekly_hazard(model: CommunityModel) -> np.ndarray:
    """Weekly probability that each (resident, type) need arises, flat."""
    p = model.s.needs
    r = model.residents
    rates = np.tile(np.asarray(p.hazard_per_year.as_list(), dtype=np.float64), (r.n, 1))
    eligible = np.ones_like(rates, dtype=bool)
    eligible[:, T["eldercare"]] = (r.age >= 60) | r.disabled
    eligible[:, T["children_youth"]] = r.age < 18
    eligible[:, T["employment"]] = (r.age >= 18) & (r.age < 60)
    rates *= eligible
    rates[r.lives_alone & (r.age >= 18)] *= p.risk_lives_alone
    rates[r.disabled] *= p.risk_disabled
    low = r.low_income
    for t in ("hardship", "employment", "family"):
        rates[low, T[t]] *= p.risk_low_income
    rates[r.age >= 80, T["eldercare"]] *= p.risk_age_80_plus
    return (1.0 - np.exp(-rates / 52.0)).astype(np.float32).ravel()


def effort_for(model: CommunityModel, flat: np.ndarray, severity: np.ndarray) -> np.ndarray:
    base = np.asarray(model.s.needs.effort_hours.as_list(), dtype=np.float32)
    return base[flat % N_TYPES] * (0.5 + severity)


def hazard_blocks(model: CommunityModel) -> tuple[np.ndarray, ...] | None:
    """Need slots sorted into blocks of equal weekly hazard, built once per hazard array.

    Hazards take few distinct values (need type times risk profile), so a week's
    new needs can be drawn block by block at a cost that grows with the number
    drawn. ``None`` when the values are too many for that to pay.
    """
    hazard = model.needs.weekly_hazard
    cached = getattr(model, "hazard_blocks_cache", None)
    if cached is None or cached[0] is not hazard:
        order = np.argsort(hazard, kind="stable").astype(np.int32)
        value = hazard[order]
        start = np.flatnonzero(np.r_[True, value[1:] != value[:-1]])
        blocks = None
        if len(start) * 8 <= len(hazard):
            blocks = (order, start, np.diff(np.r_[start, len(value)]), value[start].astype(np.float64))
        cached = (hazard, blocks)
        model.hazard_blocks_cache = cached
    return cached[1]


def arise(model: CommunityModel) -> None:
    needs = model.needs
    p = model.s.needs
    blocks = hazard_blocks(model)
    if blocks is None:
        u = model.rng.random(len(needs.open), dtype=np.float32)
        new = np.flatnonzero((u < needs.weekly_hazard) & ~needs.open)
    else:
        order, start, size, hazard = blocks
        pos, _ = sample_blocks(model.rng, start, size, hazard)
        drawn = np.sort(order[pos])
        new = drawn[~needs.open[drawn]].astype(np.int64)
    a = 2.0
    b = a * (1 - p.initial_severity_mean) / p.initial_severity_mean
    sev = model.rng.beta(a, b, len(new)).astype(np.float32)
    needs.open[new] = True
    needs.found[new] = False
    needs.severity[new] = sev
    needs.effort_left[new] = effort_for(model, new, sev)
    needs.arisen_week[new] = model.week
    needs.worker[new] = -1
    model.tally.add("needs_arisen", len(new))
    model.tally.arisen_by_type += np.bincount(new % N_TYPES, minlength=N_TYPES)


def resolve(model: CommunityModel, flat: np.ndarray, channel: str) -> None:
    """Close needs as resolved through a service channel."""
    if len(flat) == 0:
        return
    needs = model.needs
    r = model.residents
    s = model.s.services
    resident = flat // N_TYPES
    since_arisen = model.week - needs.arisen_week[flat]
    waited = np.where(needs.found[flat], model.week - needs.found_week[flat], 0)
    needs.open[flat] = False
    needs.found[flat] = False
    needs.worker[flat] = -1
    needs.severity[flat] = 0.0
    needs.effort_left[flat] = 0.0
    # Everyone else is already within [0, 1]: only the residents served need clipping.
    for arr, gain in ((r.trust, s.served_trust_gain), (r.wellbeing, s.served_wellbeing_gain)):
        np.add.at(arr, resident, gain)
        arr[resident] = np.minimum(np.maximum(arr[resident], 0.0), 1.0)
    r.last_contact[resident] = model.week
    model.tally.add("needs_resolved", len(flat))
    model.tally.add(f"resolved_{channel}", len(flat))
    model.tally.add("wait_weeks_sum", float(waited.sum()))
    model.tally.add("weeks_to_resolution_sum", float(since_arisen.sum()))
    model.tally.resolved_by_community += np.bincount(r.community[resident],
                                                     minlength=r.n_communities)


def progress(model: CommunityModel) -> None:
    """End of week: waiting needs escalate or lapse; wellbeing follows open severity."""
    needs = model.needs
    p = model.s.needs
    r = model.residents
    opened = np.flatnonzero(needs.open)
    waiting = opened[needs.worker[opened] < 0]
    if len(waiting):
        sev = needs.severity[waiting]
        lapse = model.rng.random(len(waiting)) < p.lapse_per_week * (1.0 - sev)
        dropped = waiting[lapse]
        needs.open[dropped] = False
        needs.found[dropped] = False
        needs.severity[dropped] = 0.0
        needs.effort_left[dropped] = 0.0
        model.tally.add("needs_dropped", len(dropped))
        keep = waiting[~lapse]
        old = needs.severity[keep]
        new = np.minimum(old + p.escalation_per_week, 1.0).astype(np.float32)
        needs.severity[keep] = new
        base = np.asarray(p.effort_hours.as_list(), dtype=np.float32)[keep % N_TYPES]
        needs.effort_left[keep] += base * (new - old)
    # Closed needs have severity 0, so the open ones (as of this morning) carry the sum.
    open_sev = np.bincount(opened // N_TYPES, weights=needs.severity[opened], minlength=r.n)
    target = 0.8 - p.wellbeing_loss_per_severity * open_sev + 0.1 * (r.belonging - 0.5)
    r.wellbeing += p.wellbeing_adjustment * (target - r.wellbeing)
    np.clip(r.wellbeing, 0, 1, out=r.wellbeing)

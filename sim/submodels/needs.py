"""Needs (需求): arise as weekly hazards, escalate while waiting, lower wellbeing.

A resident holds at most one open need of each type. The yearly rate of a
type depends on eligibility (eldercare: 60+ or disabled; children/youth: under
18; employment: 18-59) and on risk factors (living alone, disability, low
income, age 80+). Unserved needs grow more severe and need more work; mild
ones may go away by themselves (counted as dropped).
"""

from __future__ import annotations

import numpy as np

from .. import schema
from ..sampling import sample_blocks
from ..schema import N_TYPES, NEED_TYPES
from ..state import Context, NeedState, Residents

T = {t: k for k, t in enumerate(NEED_TYPES)}


def weekly_hazard(r: Residents, p: schema.Needs) -> np.ndarray:
    """Weekly probability that each (resident, type) need arises, flat."""
    rates = np.tile(np.asarray(p.hazard_per_year.as_list(), dtype=np.float64), (r.n, 1))
    eligible = np.ones_like(rates, dtype=bool)
    eligible[:, T["eldercare"]] = r.elderly | r.disabled
    eligible[:, T["children_youth"]] = ~r.adult
    eligible[:, T["employment"]] = r.adult & ~r.elderly
    rates *= eligible
    rates[r.lives_alone & r.adult] *= p.risk_lives_alone
    rates[r.disabled] *= p.risk_disabled
    low = r.low_income
    for t in ("hardship", "employment", "family"):
        rates[low, T[t]] *= p.risk_low_income
    rates[r.oldest_old, T["eldercare"]] *= p.risk_age_80_plus
    return (1.0 - np.exp(-rates / 52.0)).astype(np.float32).ravel()


def hazard_blocks(hazard: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """Need slots sorted into blocks of equal weekly hazard.

    Hazards take few distinct values (need type times risk profile), so a week's
    new needs can be drawn block by block at a cost that grows with the number
    drawn. ``None`` when the values are too many for that to pay.
    """
    order = np.argsort(hazard, kind="stable").astype(np.int32)
    value = hazard[order]
    start = (np.r_[True, value[1:] != value[:-1]]).nonzero()[0]
    if len(start) * 8 > len(hazard):
        return None
    return order, start, np.diff(np.r_[start, len(value)]), value[start].astype(np.float64)


def rebuild_hazard(needs: NeedState, r: Residents, p: schema.Needs) -> None:
    """Need rates changed (setup, or a policy event): recompute each slot's weekly chance."""
    needs.weekly_hazard = weekly_hazard(r, p)
    needs.hazard_blocks = hazard_blocks(needs.weekly_hazard)


def effort_for(p: schema.Needs, flat: np.ndarray, severity: np.ndarray) -> np.ndarray:
    base = np.asarray(p.effort_hours.as_list(), dtype=np.float32)
    return base[flat % N_TYPES] * (0.5 + severity)


def arise(needs: NeedState, ctx: Context) -> None:
    p = ctx.p.needs
    blocks = needs.hazard_blocks
    if blocks is None:
        u = ctx.rng.random(len(needs.open), dtype=np.float32)
        new = ((u < needs.weekly_hazard) & ~needs.open).nonzero()[0]
    else:
        order, start, size, hazard = blocks
        pos, _ = sample_blocks(ctx.rng, start, size, hazard)
        drawn = np.sort(order[pos])
        new = drawn[~needs.open[drawn]].astype(np.int64)
    a = p.initial_severity_shape
    b = a * (1 - p.initial_severity_mean) / p.initial_severity_mean
    sev = ctx.rng.beta(a, b, len(new)).astype(np.float32)
    needs.open[new] = True
    needs.found[new] = False
    needs.severity[new] = sev
    needs.effort_left[new] = effort_for(p, new, sev)
    needs.arisen_week[new] = ctx.week
    needs.worker[new] = -1
    ctx.tally.add("needs_arisen", len(new))
    ctx.tally.arisen_by_type += np.bincount(new % N_TYPES, minlength=N_TYPES)


def resolve(needs: NeedState, r: Residents, flat: np.ndarray, channel: str, ctx: Context) -> None:
    """Close needs as resolved through a service channel; their residents gain trust and wellbeing."""
    if len(flat) == 0:
        return
    s = ctx.p.services
    week = ctx.week
    resident = flat // N_TYPES
    since_arisen = week - needs.arisen_week[flat]
    found = needs.found[flat]
    waited = np.where(found, week - needs.found_week[flat], 0)
    ctx.tally.left_ledger(needs.found_week[flat[found]], week, True, flat[found] % N_TYPES)
    needs.open[flat] = False
    needs.found[flat] = False
    needs.worker[flat] = -1
    needs.severity[flat] = 0.0
    needs.effort_left[flat] = 0.0
    # Everyone else is already within [0, 1]: only the residents served need clipping.
    for arr, gain in ((r.trust, s.served_trust_gain), (r.wellbeing, s.served_wellbeing_gain)):
        np.add.at(arr, resident, gain)
        arr[resident] = np.minimum(np.maximum(arr[resident], 0.0), 1.0)
    r.last_contact[resident] = week
    tally = ctx.tally
    tally.add("needs_resolved", len(flat))
    tally.add(f"resolved_{channel}", len(flat))
    tally.add("wait_weeks_sum", float(waited.sum()))
    tally.add("weeks_to_resolution_sum", float(since_arisen.sum()))
    tally.resolved_by_community += np.bincount(r.community[resident], minlength=r.n_communities)
    tally.resolved_by_type += np.bincount(flat % N_TYPES, minlength=N_TYPES)


def close(needs: NeedState, flat: np.ndarray, ctx: Context) -> None:
    """Needs that end without being resolved (those on the ledger leave it unserved)."""
    listed = flat[needs.found[flat]]
    ctx.tally.left_ledger(needs.found_week[listed], ctx.week, False, listed % N_TYPES)
    needs.open[flat] = False
    needs.found[flat] = False
    needs.worker[flat] = -1
    needs.severity[flat] = 0.0
    needs.effort_left[flat] = 0.0


def progress(needs: NeedState, r: Residents, ctx: Context) -> None:
    """End of week: some open needs leave (at any severity), waiting ones escalate or lapse; wellbeing
    follows open severity."""
    p = ctx.p.needs
    opened = needs.open.nonzero()[0]
    base = 1.0 - (1.0 - p.exit_per_year) ** (1.0 / 52.0)
    listed_waiting = needs.found[opened] & (needs.worker[opened] < 0)
    extra = 1.0 - (1.0 - p.waiting_exit_per_year) ** (1.0 / 52.0)
    leaving = ctx.rng.random(len(opened)) < base + (1.0 - base) * extra * listed_waiting
    exited = opened[leaving]
    close(needs, exited, ctx)
    ctx.tally.add("needs_exited", len(exited))
    ctx.tally.exited_by_type += np.bincount(exited % N_TYPES, minlength=N_TYPES)
    staying = opened[~leaving]
    waiting = staying[needs.worker[staying] < 0]
    if len(waiting):
        sev = needs.severity[waiting]
        lapse = ctx.rng.random(len(waiting)) < p.lapse_per_week * (1.0 - sev)
        dropped = waiting[lapse]
        close(needs, dropped, ctx)
        ctx.tally.add("needs_dropped", len(dropped))
        ctx.tally.exited_by_type += np.bincount(dropped % N_TYPES, minlength=N_TYPES)
        keep = waiting[~lapse]
        old = needs.severity[keep]
        new = np.minimum(old + p.escalation_per_week, 1.0).astype(np.float32)
        needs.severity[keep] = new
        base = np.asarray(p.effort_hours.as_list(), dtype=np.float32)[keep % N_TYPES]
        needs.effort_left[keep] += base * (new - old)
    # Closed needs have severity 0, so the open ones (as of this morning) carry the sum.
    open_sev = np.bincount(opened // N_TYPES, weights=needs.severity[opened], minlength=r.n)
    target = (p.wellbeing_target - p.wellbeing_loss_per_severity * open_sev
              + p.wellbeing_belonging_effect * (r.belonging - 0.5))
    r.wellbeing += p.wellbeing_adjustment * (target - r.wellbeing)
    np.clip(r.wellbeing, 0, 1, out=r.wellbeing)

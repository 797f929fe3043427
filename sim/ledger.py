"""The community ledger (台账): found needs, served in priority order.

Priority rises with severity, the resident's vulnerability and weeks waited
("urgent ones at once, hardship cases with care", seed 001). Capacity is
shared out per group (a community, or a community and need type) by walking
down each group's list in priority order: all vectorised, no per-need loop.
"""

from __future__ import annotations

import numpy as np

from .schema import N_TYPES
from .state import Context, NeedState, Residents


def priority(needs: NeedState, r: Residents, flat: np.ndarray, ctx: Context) -> np.ndarray:
    p = ctx.p.needs
    resident = flat // N_TYPES
    waited = (ctx.week - needs.arisen_week[flat]) / 52.0
    return (p.priority_weight_severity * needs.severity[flat]
            + p.priority_weight_vulnerability * r.vulnerability[resident]
            + p.priority_weight_waiting * np.minimum(waited, p.priority_waiting_cap_years))


def listed(needs: NeedState) -> np.ndarray:
    """Flat indices of the needs on the ledger: found and open (held as a case or waiting).

    Found needs are few next to all (resident, type) slots, so everything else
    about the ledger is read at these indices rather than over whole arrays.
    """
    flat = needs.found.nonzero()[0]
    return flat[needs.open[flat]]


def held(needs: NeedState) -> np.ndarray:
    """Flat indices of needs held as a case by a worker."""
    flat = listed(needs)
    return flat[needs.worker[flat] >= 0]


def waiting(needs: NeedState, types: np.ndarray | None = None,
            max_severity: float | None = None) -> np.ndarray:
    """Flat indices of found, open needs not held as a case (the waiting list)."""
    flat = listed(needs)
    keep = needs.worker[flat] < 0
    if max_severity is not None:
        keep &= needs.severity[flat] <= max_severity
    if types is not None:
        allowed = np.zeros(N_TYPES, dtype=bool)
        allowed[types] = True
        keep &= allowed[flat % N_TYPES]
    return flat[keep]


def run_starts(values: np.ndarray) -> np.ndarray:
    """True where a run of equal values begins (``values`` sorted)."""
    new = np.empty(len(values), dtype=bool)
    new[:1] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    return new


def _runs(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First position of each run of equal values in sorted ``g``, and each item's run."""
    new = run_starts(g)
    return new.nonzero()[0], np.cumsum(new) - 1


def take_by_priority(group: np.ndarray, prio: np.ndarray, cost: np.ndarray,
                     capacity: np.ndarray) -> np.ndarray:
    """Positions (into the inputs) of items served within each group's capacity.

    Items are served in decreasing priority; an item is taken while the running
    cost of its group, itself included, stays within the group's capacity.
    """
    if len(group) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((-prio, group))
    g = group[order]
    running = np.cumsum(cost[order], dtype=np.float64)
    first, run = _runs(g)
    before = np.concatenate(([0.0], running))[first]
    within = running - before[run]
    return order[within <= capacity[g] + 1e-9]


def assign_slots(group: np.ndarray, prio: np.ndarray, slot_group: np.ndarray,
                 slot_owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match items to slots within each group, best priority first.

    Returns (positions of matched items, owner of each matched item's slot).
    """
    if len(group) == 0 or len(slot_group) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    n_groups = int(max(group.max(), slot_group.max())) + 1
    s_order = np.argsort(slot_group, kind="stable")
    slot_group, slot_owner = slot_group[s_order], slot_owner[s_order]
    slots_per_group = np.bincount(slot_group, minlength=n_groups)
    slot_start = np.cumsum(slots_per_group) - slots_per_group
    order = np.lexsort((-prio, group))
    g = group[order]
    first, run = _runs(g)
    rank = np.arange(len(g)) - first[run]
    ok = rank < slots_per_group[g]
    return order[ok], slot_owner[slot_start[g[ok]] + rank[ok]]

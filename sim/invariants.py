"""Weekly invariants: conservation of money, people and needs; no negative stocks; bounded states.

Checked every week when ``simulation.check_invariants`` is on; a broken one
raises :class:`~sim.errors.InvariantError` naming the week.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InvariantError
from .metrics import WeeklyRecord
from .state import World

WORKER_MEANS = ("sw_burnout_mean", "sw_satisfaction_mean", "sw_caseload_mean", "sw_pay_ratio_mean")
"""Weekly means over workers, undefined in a week without workers."""


def held_money(world: World) -> float:
    """Money held by agencies and community funds."""
    return math.fsum(n.cash for n in world.rosters.ngos) + float(world.fund.balance.sum())


def check(world: World, recorder: WeeklyRecord) -> None:
    week = world.ctx.week
    t = recorder.totals
    held = held_money(world)
    expected = world.accounts.expected_held()
    if not np.isclose(held, expected, rtol=1e-9, atol=1e-3):
        raise InvariantError(f"week {week}: money held {held:.2f} != in - out {expected:.2f}")
    workers = world.rosters.workers
    if t["sw_hires"] - t["sw_quits"] - t["sw_layoffs"] != len(workers) - recorder.headcount_start:
        raise InvariantError(f"week {week}: hires - separations != change in headcount")
    active = int(world.volunteers.active.sum())
    if t["volunteer_recruits"] - t["volunteer_dropouts"] != active - recorder.volunteers_start:
        raise InvariantError(f"week {week}: volunteer recruits - drop-outs != change")
    needs = world.needs
    open_now = int(needs.open.sum())
    if t["needs_arisen"] != t["needs_resolved"] + t["needs_dropped"] + t["needs_exited"] + open_now:
        raise InvariantError(f"week {week}: arisen != resolved + lapsed + ended elsewhere + open")
    if any(n.cash < -1e-6 for n in world.rosters.ngos) or (world.fund.balance < -1e-6).any():
        raise InvariantError(f"week {week}: negative money stock")
    r = world.residents
    for name in ("trust", "belonging", "wellbeing", "willingness"):
        arr = getattr(r, name)
        if not (np.all(arr >= 0) and np.all(arr <= 1)):
            raise InvariantError(f"week {week}: {name} outside [0, 1]")
    if (needs.found & ~needs.open).any() or ((needs.worker >= 0) & ~needs.found).any():
        raise InvariantError(f"week {week}: a case not on the ledger, or a closed need listed")
    sev = needs.severity
    if not (np.all(sev >= 0) and np.all(sev <= 1)):
        raise InvariantError(f"week {week}: severity outside [0, 1]")
    for w in workers:
        if not (0 <= w.burnout <= 1 and 0 <= w.satisfaction <= 1):
            raise InvariantError(f"week {week}: worker {w.wid} state outside [0, 1]")
    undefined = WORKER_MEANS if not workers else ()
    bad = [k for k, v in recorder.last.items() if not np.isfinite(v) and k not in undefined]
    if bad:
        raise InvariantError(f"week {week}: non-finite output {bad}")
    for w in world.labour.notices:
        if w[0] == week and not w[2] < 0:
            raise InvariantError(f"week {week}: agency {w[1]} gave layoff notice with cash projected to last")

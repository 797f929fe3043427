"""Money and weekly counters.

Money is conserved: every yuan that enters (by source) is either spent (by
use) or still held by an agency or a community fund. Money moving between
the two kinds of holder (a fund supporting posts, an agency's surplus given
to services) is a transfer, recorded apart. Counters are reset each week and
accumulated for the summary.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .schema import N_TYPES

SOURCES = ("government", "foundation", "enterprise", "charity_market")
USES = ("salaries", "overhead", "training", "bonuses", "activities", "assistance", "returned_to_funder",
        "closed_agency_reserves")
TRANSFERS = ("fund_to_agencies", "agencies_to_fund")


class Accounts:
    """Flows of money by source and by use, weekly and cumulative."""

    def __init__(self) -> None:
        self.total_in = dict.fromkeys(SOURCES, 0.0)
        self.total_out = dict.fromkeys(USES, 0.0)
        self.week_in = dict.fromkeys(SOURCES, 0.0)
        self.week_out = dict.fromkeys(USES, 0.0)
        self.total_moved = dict.fromkeys(TRANSFERS, 0.0)
        self.week_moved = dict.fromkeys(TRANSFERS, 0.0)
        self.initial_held = 0.0

    def move(self, transfer: str, amount: float) -> None:
        """Money passing from one holder to another (held money is unchanged)."""
        if amount < 0:
            raise ValueError(f"negative transfer {amount} ({transfer})")
        self.total_moved[transfer] += amount
        self.week_moved[transfer] += amount

    def receive(self, source: str, amount: float) -> None:
        if amount < 0:
            raise ValueError(f"negative income {amount} from {source}")
        self.total_in[source] += amount
        self.week_in[source] += amount

    def spend(self, use: str, amount: float) -> None:
        if amount < 0:
            raise ValueError(f"negative spending {amount} on {use}")
        self.total_out[use] += amount
        self.week_out[use] += amount

    def new_week(self) -> None:
        self.week_in = dict.fromkeys(SOURCES, 0.0)
        self.week_out = dict.fromkeys(USES, 0.0)
        self.week_moved = dict.fromkeys(TRANSFERS, 0.0)

    def expected_held(self) -> float:
        return self.initial_held + math.fsum(self.total_in.values()) - math.fsum(self.total_out.values())


class CommunityFund:
    """The community funds (社区基金), one balance per community."""

    def __init__(self, accounts: Accounts, n_communities: int, initial: float):
        self.accounts = accounts
        self.balance = np.full(n_communities, float(initial))

    def receive(self, amounts: np.ndarray | float, source: str) -> None:
        amounts = np.broadcast_to(np.asarray(amounts, dtype=float), self.balance.shape)
        self.balance += amounts
        self.accounts.receive(source, float(amounts.sum()))

    def spend(self, amounts: np.ndarray, use: str) -> None:
        amounts = np.minimum(np.asarray(amounts, dtype=float), self.balance)
        self.balance -= amounts
        self.accounts.spend(use, float(amounts.sum()))


class Tally:
    """This week's counts (needs arisen, found, resolved, hires, quits...)."""

    def __init__(self, n_communities: int) -> None:
        self.n_communities = n_communities
        self.reset()

    def reset(self) -> None:
        self.counts: defaultdict[str, float] = defaultdict(float)
        self.arisen_by_type = np.zeros(N_TYPES, dtype=np.int64)
        self.resolved_by_type = np.zeros(N_TYPES, dtype=np.int64)
        self.exited_by_type = np.zeros(N_TYPES, dtype=np.int64)
        """Needs that ended unresolved (left, or lapsed), by type."""
        self.resolved_by_community = np.zeros(self.n_communities, dtype=np.int64)
        self.waits: list[np.ndarray] = []
        """Needs that left the ledger this week: rows of (week found, weeks on the ledger, resolved 0/1,
        need type)."""

    def left_ledger(self, found_week: np.ndarray, week: int, resolved: bool, types: np.ndarray) -> None:
        n = len(found_week)
        if n:
            rows = np.empty((n, 4), dtype=np.result_type(found_week, types, np.int64))
            rows[:, 0] = found_week
            rows[:, 1] = week - found_week
            rows[:, 2] = int(resolved)
            rows[:, 3] = types
            self.waits.append(rows)

    def add(self, key: str, value: float) -> None:
        self.counts[key] += value

    def __getitem__(self, key: str) -> float:
        return self.counts.get(key, 0.0)

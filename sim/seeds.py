"""Run seeds derived from the master seed and the run's identity only.

A run's seed depends on (master seed, replication) under common random
numbers, or on (master seed, design point, replication) otherwise; never on
the number of workers, the order runs finish in, or whether a sweep was
resumed. NumPy's ``SeedSequence`` spawn keys keep the streams independent.
"""

from __future__ import annotations

import numpy as np

SEED_BITS = 63
"""Scenario seeds are at most 2**63 - 1 (``simulation.seed``)."""


def run_seed(master: int, replication: int, point: int | None = None) -> int:
    """The seed of one run; ``point=None`` gives every design point the same seeds."""
    key = (replication,) if point is None else (point, replication)
    state = np.random.SeedSequence(master, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state) >> (64 - SEED_BITS)


def design_seed(master: int) -> int:
    """Seed for sampling a design (LHS, Morris, Sobol), apart from every run seed."""
    state = np.random.SeedSequence(master, spawn_key=(2**32 - 1, 0, 0)).generate_state(1, np.uint32)
    return int(state[0])

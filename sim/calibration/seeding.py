"""Seeds from a particle's identity, never from the worker or the order runs finish in.

Particle ``i`` of sampling stage ``s`` draws from ``SeedSequence(master,
spawn_key=(s, i))``: its parameter proposal from NumPy's global generator,
seeded just before the proposal, and its model runs from the keys ``(s, i, r)``
of replication ``r``. Stage 0 is pyabc's calibration sample from the prior,
stage ``t + 1`` generation ``t``; the posterior predictive check has a stage of
its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from .adapter import SEED_BITS

PREDICTIVE_STAGE = 2**32 - 2
"""Stage of the posterior predictive re-simulations (far from any generation)."""

_particle: ContextVar[tuple[int, int, int]] = ContextVar("particle")


def stage_of(t: int) -> int:
    """Sampling stage of pyabc generation ``t`` (``t = -1`` is the calibration sample)."""
    return t + 1


def model_seed(master: int, *key: int) -> int:
    """A model seed (at most ``2**63 - 1``) from the master seed and a key."""
    state = np.random.SeedSequence(master, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state) >> (64 - SEED_BITS)


@contextmanager
def particle(master: int, stage: int, index: int) -> Iterator[None]:
    """Seed the global generator for one particle, and restore it afterwards."""
    saved = np.random.get_state()
    np.random.seed(np.random.SeedSequence(master, spawn_key=(stage, index)).generate_state(4))
    token = _particle.set((master, stage, index))
    try:
        yield
    finally:
        _particle.reset(token)
        np.random.set_state(saved)


def replication_seed(replication: int) -> int:
    """Model seed of one replication of the particle being evaluated."""
    try:
        master, stage, index = _particle.get()
    except LookupError:
        raise RuntimeError("replication_seed() is only meaningful while a particle is evaluated") from None
    return model_seed(master, stage, index, replication)

"""A pyabc sampler for any ``concurrent.futures.Executor``, reproducible on any number of workers.

pyabc's own samplers reseed every worker from the operating system and keep
particles in the order they finish, so two runs never agree. This one numbers
the particles of each generation, evaluates them in batches wherever the
executor puts them, seeds each from its number (:mod:`.seeding`) and accepts
them in number order: the generation is the shortest prefix 0..k holding the
required number of accepted particles. Particles evaluated past k are
discarded, so the result depends on the seeds alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait

import cloudpickle
import numpy as np
from pyabc.population import Particle, Sample
from pyabc.sampler import Sampler

from . import seeding


def evaluate_batch(payload: bytes, master: int, stage: int, start: int, stop: int) -> list[Particle]:
    """Run in a worker: propose, simulate and judge particles ``start..stop-1``."""
    simulate_one = cloudpickle.loads(payload)
    out = []
    for index in range(start, stop):
        with seeding.particle(master, stage, index):
            out.append(simulate_one())
    return out


class ExecutorSampler(Sampler):
    """Batches of particles on an executor with ``slots`` workers, accepted in index order.

    About four batches per worker make up a generation's expected share of
    accepted particles, and at most two batches per worker are in flight: enough
    to keep every worker busy while few evaluations past the cut are wasted.
    """

    def __init__(self, executor: Executor, slots: int, master_seed: int):
        super().__init__()
        self.executor = executor
        self.slots = max(int(slots), 1)
        self.master_seed = master_seed
        self.evaluated = 0
        """Particles evaluated in this process, including those past the cut (for progress)."""

    def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *, max_eval=np.inf,
                                all_accepted: bool = False, ana_vars=None) -> Sample:
        payload = cloudpickle.dumps(simulate_one)
        stage = seeding.stage_of(t)
        limit = math.floor(max_eval) if math.isfinite(max_eval) else math.inf
        window = 2 * self.slots if self.slots > 1 else 1
        batch = max(1, math.ceil(n / (4 * self.slots)))
        results: dict[int, Particle] = {}
        pending: dict[Future, range] = {}
        submitted = accepted = prefix = prefix_accepted = 0
        try:
            while prefix_accepted < n:
                while len(pending) < window and accepted < n and submitted < limit:
                    size = min(batch, limit - submitted)
                    future = self.executor.submit(evaluate_batch, payload, self.master_seed, stage,
                                                  submitted, submitted + size)
                    pending[future] = range(submitted, submitted + size)
                    submitted += size
                if not pending:
                    break
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    indices = pending.pop(future)
                    for index, particle in zip(indices, future.result(), strict=True):
                        results[index] = particle
                        accepted += particle.accepted
                    self.evaluated += len(indices)
                while prefix in results and prefix_accepted < n:
                    prefix_accepted += results[prefix].accepted
                    prefix += 1
                if accepted >= n:
                    cut = sorted(i for i, p in results.items() if p.accepted)[n - 1]
                    for future in [f for f, indices in pending.items() if indices.start > cut]:
                        future.cancel()
                        del pending[future]
        finally:
            for future in pending:
                future.cancel()
        sample = self._create_empty_sample()
        for index in range(prefix):
            sample.append(results[index])
        self.nr_evaluations_ = prefix
        if prefix_accepted < n:
            sample.ok = False
        return sample

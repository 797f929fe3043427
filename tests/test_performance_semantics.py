"""The fast paths keep the model's behaviour: exact samplers, one seeded generator, invariants."""

import json

import numpy as np
import pytest

from sim.model import CommunityModel
from sim.sampling import sample_blocks
from sim.submodels import discovery


def test_sample_blocks_is_independent_bernoulli_per_position():
    rng = np.random.default_rng(7)
    start = np.array([0, 5, 5, 10, 110])
    size = np.array([5, 0, 5, 100, 3])
    prob = np.array([0.3, 0.5, 1.0, 0.05, 0.9])
    expected = np.repeat(prob[size > 0], size[size > 0])
    reps = 4000
    hits = np.zeros(113)
    counts = []
    for _ in range(reps):
        pos, block = sample_blocks(rng, start, size, prob)
        assert np.all(np.diff(pos) > 0)
        assert np.all((start[block] <= pos) & (pos < start[block] + size[block]))
        hits[pos] += 1
        counts.append(len(pos))
    se = np.sqrt(expected * (1 - expected) / reps)
    drawn = hits / reps
    assert np.all(drawn[expected == 1.0] == 1.0)
    z = (drawn - expected)[expected < 1] / se[expected < 1]
    assert np.abs(z).max() < 4.5
    assert np.var(counts) == pytest.approx((expected * (1 - expected)).sum(), rel=0.1)


def test_sample_blocks_edges():
    rng = np.random.default_rng(1)
    pos, block = sample_blocks(rng, np.array([0, 3]), np.array([3, 4]), np.array([0.0, 1.0]))
    assert pos.tolist() == [3, 4, 5, 6] and block.tolist() == [1, 1, 1, 1]
    pos, _ = sample_blocks(rng, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    assert len(pos) == 0


def _model(seed=3, weeks=30):
    m = CommunityModel({"population": {"residents": 4000, "communities": 2},
                        "simulation": {"horizon_weeks": 60, "warmup_weeks": 10,
                                       "resident_agents": False, "check_invariants": True}},
                       rng=seed)
    m.run(weeks)
    return m


def test_outreach_visits_keep_each_residents_probability():
    m = _model()
    r, d = m.residents, m.params.discovery
    visits = m.world.hours.outreach * d.visits_per_outreach_hour
    weight = 1.0 + d.vulnerability_targeting * r.vulnerable
    total = np.bincount(r.community, weights=weight, minlength=r.n_communities)
    p = np.minimum(np.divide(visits, total, out=np.zeros_like(total), where=total > 0)[r.community]
                   * weight, 1.0)
    reps = 1500
    hits = np.zeros(r.n)
    for i in range(reps):
        m.world.ctx.rng = np.random.default_rng(100 + i)
        hits[discovery.draw_outreach(r, visits, m.world.ctx)] += 1
    for group in (r.vulnerable, ~r.vulnerable):
        expected = p[group].sum()
        se = np.sqrt((p[group] * (1 - p[group])).sum() / reps)
        assert hits[group].sum() / reps == pytest.approx(expected, abs=4.5 * se)


def test_same_seed_same_output_and_invariants_hold():
    a, b = _model(seed=11, weeks=60), _model(seed=11, weeks=60)
    assert json.dumps(a.summary()) == json.dumps(b.summary())
    assert json.dumps(_model(seed=12, weeks=60).summary()) != json.dumps(a.summary())


def test_sample_blocks_nearly_full_block_is_exact():
    rng = np.random.default_rng(5)
    pos, block = sample_blocks(rng, np.array([0, 50_000]), np.array([50_000, 10]), np.array([0.999, 0.6]))
    assert len(np.unique(pos)) == len(pos)
    assert 49_800 < np.count_nonzero(block == 0) <= 50_000
    assert np.all(pos[block == 1] >= 50_000)

"""Residents as arrays, and the neighbourhood network they live on.

Households are cliques; residents know neighbours in their building; buildings
are linked by a small-world graph (Watts-Strogatz, built with networkx over
buildings, which are few); residents have ties into neighbouring buildings.
Per-resident state lives in NumPy arrays; ties in a sparse adjacency matrix.
Residents are ordered by community, building and household, so each community
is one contiguous block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .schema import NEED_TYPES, Scenario

N_TYPES = len(NEED_TYPES)
NEVER = -(10**6)
"""Week stamp meaning 'never happened'."""


@dataclass
class Residents:
    """Per-resident state arrays (index = resident id)."""

    community: np.ndarray
    building: np.ndarray
    household: np.ndarray
    household_size: np.ndarray
    age: np.ndarray
    lives_alone: np.ndarray
    disabled: np.ndarray
    low_income: np.ndarray
    vulnerability: np.ndarray
    trust: np.ndarray
    belonging: np.ndarray
    wellbeing: np.ndarray
    willingness: np.ndarray
    last_contact: np.ndarray
    community_start: np.ndarray
    community_size: np.ndarray
    households_per_community: np.ndarray

    @property
    def n(self) -> int:
        return len(self.age)

    @property
    def n_communities(self) -> int:
        return len(self.community_size)

    @property
    def elderly(self) -> np.ndarray:
        return self.age >= 60

    @property
    def adult(self) -> np.ndarray:
        return self.age >= 18

    @property
    def vulnerable(self) -> np.ndarray:
        return (self.lives_alone & self.elderly) | self.disabled | self.low_income


@dataclass
class NeedState:
    """Open needs, one slot per (resident, need type); flat index = resident * N_TYPES + type."""

    n: int
    open: np.ndarray = field(init=False)
    found: np.ndarray = field(init=False)
    severity: np.ndarray = field(init=False)
    effort_left: np.ndarray = field(init=False)
    arisen_week: np.ndarray = field(init=False)
    found_week: np.ndarray = field(init=False)
    worker: np.ndarray = field(init=False)
    weekly_hazard: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        size = self.n * N_TYPES
        self.open = np.zeros(size, dtype=bool)
        self.found = np.zeros(size, dtype=bool)
        self.severity = np.zeros(size, dtype=np.float32)
        self.effort_left = np.zeros(size, dtype=np.float32)
        self.arisen_week = np.zeros(size, dtype=np.int32)
        self.found_week = np.zeros(size, dtype=np.int32)
        self.worker = np.full(size, -1, dtype=np.int32)
        self.weekly_hazard = np.zeros(size, dtype=np.float32)

    def by_resident(self, arr: np.ndarray) -> np.ndarray:
        return arr.reshape(self.n, N_TYPES)


def sample_blocks(rng: np.random.Generator, start: np.ndarray, size: np.ndarray,
                  prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each position of block ``g`` (``start[g]`` onwards, ``size[g]`` long) drawn with
    probability ``prob[g]``, independently; returns the sorted positions and their blocks.

    The same distribution as ``rng.random(n) < p`` with ``p`` constant per block, at a
    cost that grows with the number drawn, not with the blocks' sizes: a binomial count
    per block, then a uniform subset of that size. Blocks are contiguous and in order.
    """
    k = rng.binomial(size, np.clip(prob, 0.0, 1.0))
    dense = 2 * k > size
    pos = np.concatenate((_subset_by_rank(rng, start, np.where(dense, size, 0), k),
                          _subset_by_redraw(rng, start, size, np.where(dense, 0, k))))
    pos.sort()
    return pos, _block_of(pos, start)


def _subset_by_redraw(rng: np.random.Generator, start: np.ndarray, size: np.ndarray,
                      k: np.ndarray) -> np.ndarray:
    """``k[g]`` distinct positions of each block, drawn with repeats drawn again.

    By symmetry the result is a uniform subset; with ``k`` at most half the block
    each round settles at least half of the repeats.
    """
    blocks = np.arange(len(size))
    g = np.repeat(blocks, k)
    pos = np.sort(start[g] + (rng.random(len(g)) * size[g]).astype(np.int64))
    while len(pos) and (pos[1:] == pos[:-1]).any():
        pos = np.unique(pos)
        g = np.repeat(blocks, k - np.bincount(_block_of(pos, start), minlength=len(size)))
        pos = np.sort(np.concatenate((pos, start[g] + (rng.random(len(g)) * size[g]).astype(np.int64))))
    return pos


def _subset_by_rank(rng: np.random.Generator, start: np.ndarray, size: np.ndarray,
                    k: np.ndarray) -> np.ndarray:
    """``k[g]`` positions of each block: the ones with the smallest random keys."""
    g = np.repeat(np.arange(len(size)), size)
    rank = np.arange(len(g)) - np.repeat(np.cumsum(size) - size, size)
    order = np.lexsort((rng.random(len(g)), g))
    return (start[g] + rank)[order[rank < k[g]]]


def _block_of(pos: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.searchsorted(start, pos, side="right") - 1


def _ages(rng: np.random.Generator, n: int, s: Scenario) -> np.ndarray:
    pop = s.population
    group = rng.random(n)
    age = np.empty(n, dtype=np.float32)
    child = group < pop.share_children
    old = group >= 1.0 - pop.share_aged_60_plus
    mid = ~child & ~old
    age[child] = rng.uniform(0, 18, child.sum())
    age[mid] = rng.uniform(18, 60, mid.sum())
    age[old] = np.minimum(60 + rng.exponential(10.0, old.sum()), 100)
    return age


def _households(rng: np.random.Generator, age: np.ndarray, s: Scenario
                ) -> tuple[np.ndarray, np.ndarray]:
    """Household id per resident (in a shuffled order) and the alone flag."""
    n = len(age)
    pop = s.population
    alone = (age >= 60) & (rng.random(n) < pop.share_elderly_alone)
    others = rng.permutation(np.flatnonzero(~alone))
    n_alone = int(alone.sum())
    target_households = max(n / pop.household_size_mean, n_alone + (1 if len(others) else 0))
    rest = max(target_households - n_alone, 1.0)
    mean_other = max(len(others) / rest, 1.0)
    sizes = 1 + rng.poisson(mean_other - 1.0, size=len(others) + 1)
    ends = np.cumsum(sizes)
    sizes = sizes[: np.searchsorted(ends, len(others)) + 1]
    hh_of_other = np.repeat(np.arange(len(sizes)), sizes)[: len(others)]
    household = np.empty(n, dtype=np.int64)
    household[others] = hh_of_other
    household[alone] = len(sizes) + np.arange(n_alone)
    return household, alone


def build_residents(s: Scenario, rng: np.random.Generator) -> Residents:
    n = s.population.residents
    pop = s.population
    age = _ages(rng, n, s)
    household, _ = _households(rng, age, s)
    # Households are shuffled into communities and buildings.
    n_hh = int(household.max()) + 1
    hh_order = rng.permutation(n_hh)
    hh_rank = np.empty(n_hh, dtype=np.int64)
    hh_rank[hh_order] = np.arange(n_hh)
    order = np.argsort(hh_rank[household], kind="stable")
    age = age[order]
    household = hh_rank[household[order]]
    hh_size = np.bincount(household)
    n_comm = min(pop.communities, n_hh)
    hh_comm = (np.arange(n_hh) * n_comm) // n_hh
    community = hh_comm[household].astype(np.int32)
    hh_index_in_comm = np.arange(n_hh) - np.searchsorted(hh_comm, hh_comm)
    building_local = hh_index_in_comm // pop.households_per_building
    buildings_per_comm = np.bincount(hh_comm, minlength=n_comm)
    buildings_per_comm = (buildings_per_comm + pop.households_per_building - 1) // pop.households_per_building
    building_offset = np.concatenate([[0], np.cumsum(buildings_per_comm)[:-1]])
    building = (building_offset[hh_comm] + building_local)[household].astype(np.int32)
    size = hh_size[household]
    lives_alone = (size == 1) & (age >= 18)
    disabled = rng.random(n) < pop.share_disabled
    # Low income is a household trait.
    low_income = (rng.random(n_hh) < pop.share_low_income)[household]
    vulnerability = ((lives_alone & (age >= 60)).astype(np.float32) + disabled + low_income
                     + (age >= 80)) / 4.0
    soc = s.social
    trust = np.clip(rng.normal(soc.initial_trust_mean, soc.initial_spread, n), 0, 1)
    belonging = np.clip(rng.normal(soc.initial_belonging_mean, soc.initial_spread, n), 0, 1)
    willingness = np.clip(rng.beta(2.0, 2.0 * (1 - soc.willingness_mean) / max(soc.willingness_mean, 1e-6), n)
                          if 0 < soc.willingness_mean < 1 else np.full(n, soc.willingness_mean), 0, 1)
    community_size = np.bincount(community, minlength=n_comm)
    community_start = np.concatenate([[0], np.cumsum(community_size)[:-1]])
    return Residents(
        community=community,
        building=building,
        household=household.astype(np.int32),
        household_size=size.astype(np.int32),
        age=age.astype(np.float32),
        lives_alone=lives_alone,
        disabled=disabled,
        low_income=low_income,
        vulnerability=vulnerability.astype(np.float32),
        trust=trust.astype(np.float32),
        belonging=belonging.astype(np.float32),
        wellbeing=np.full(n, 0.7, dtype=np.float32),
        willingness=willingness.astype(np.float32),
        last_contact=np.full(n, NEVER, dtype=np.int32),
        community_start=community_start.astype(np.int64),
        community_size=community_size.astype(np.int64),
        households_per_community=np.bincount(hh_comm, minlength=n_comm).astype(np.int64),
    )


def _household_edges(household: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(household)
    src, dst = [], []
    max_size = int(np.bincount(household).max()) if n else 0
    idx = np.arange(n)
    for d in range(1, max_size):
        same = household[d:] == household[:-d]
        src.append(idx[:-d][same])
        dst.append(idx[d:][same])
    if not src:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(src), np.concatenate(dst)


def _random_members(rng: np.random.Generator, group: np.ndarray, start: np.ndarray,
                    size: np.ndarray) -> np.ndarray:
    return start[group] + (rng.random(len(group)) * size[group]).astype(np.int64)


def building_graph(n_buildings: int, s: Scenario, rng: np.random.Generator) -> nx.Graph:
    """Small-world graph over buildings (Watts-Strogatz), seeded from the model's generator."""
    k = min(s.network.building_ring_neighbours, max(n_buildings - 1, 0))
    k -= k % 2
    if n_buildings < 3 or k < 2:
        g = nx.path_graph(n_buildings)
        return g
    return nx.watts_strogatz_graph(n_buildings, k, s.network.rewire_probability, seed=rng)


def build_network(res: Residents, s: Scenario, rng: np.random.Generator) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency of resident ties (CSR, float32)."""
    n = res.n
    net = s.network
    hs, hd = _household_edges(res.household)
    n_b = int(res.building.max()) + 1 if n else 0
    b_size = np.bincount(res.building, minlength=n_b)
    b_start = np.concatenate([[0], np.cumsum(b_size)[:-1]])
    # Ties within the building.
    k_in = rng.poisson(net.neighbour_ties / 2.0, n)
    bs = np.repeat(np.arange(n), k_in)
    bd = _random_members(rng, res.building[bs], b_start, b_size)
    # Ties to neighbouring buildings along the small-world graph of buildings.
    g = building_graph(n_b, s, rng)
    bg = nx.to_scipy_sparse_array(g, nodelist=range(n_b), format="csr", dtype=np.int8)
    bdeg = np.diff(bg.indptr)
    k_out = rng.poisson(net.cross_building_ties / 2.0, n)
    k_out[bdeg[res.building] == 0] = 0
    cs = np.repeat(np.arange(n), k_out)
    own = res.building[cs]
    pick = bg.indptr[own] + (rng.random(len(cs)) * bdeg[own]).astype(np.int64)
    cd = _random_members(rng, bg.indices[pick], b_start, b_size)
    src = np.concatenate([hs, bs, cs])
    dst = np.concatenate([hd, bd, cd])
    keep = src != dst
    return symmetric_adjacency(src[keep], dst[keep], n)


def symmetric_adjacency(src: np.ndarray, dst: np.ndarray, n: int) -> sp.csr_matrix:
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    a = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
    a.sum_duplicates()
    a.data[:] = 1.0
    return a

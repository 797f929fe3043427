"""The neighbourhood network: households, buildings and the ties residents form.

Households are cliques; residents know neighbours in their building; buildings
are linked by a small-world graph (Watts-Strogatz, built with networkx over
buildings, which are few, and seeded from the model's generator); residents have
ties into neighbouring buildings. Activities add ties between attendees, kept
apart from the built adjacency so that adding them is cheap.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .accounts import Tally
from .schema import Scenario


class SocialNetwork:
    """The built adjacency plus ties formed at activities.

    New ties are kept as two index arrays (both directions) and summed with
    ``bincount``: adding ties each week then costs no sparse-matrix rebuild.
    """

    def __init__(self, adjacency: sp.csr_matrix, max_new_ties: int):
        self.base = adjacency
        self.n = adjacency.shape[0]
        self.base_degree = np.diff(adjacency.indptr).astype(np.float32)
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.n_new = 0
        self.max_new_ties = max_new_ties
        self.rows = np.empty(0, dtype=np.int64)
        self.cols = np.empty(0, dtype=np.int64)
        self.extra_degree = np.zeros(self.n, dtype=np.float32)
        deg = self.base_degree
        self.has_ties = (deg > 0).astype(np.float32)
        self.inverse_degree = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)

    def neighbour_sum(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``x`` over each resident's ties (only for ``rows``, if given)."""
        if rows is None:
            out = self.base @ x
        else:
            out = self._rows_sum(x, rows)
        if self.n_new:
            extra = np.bincount(self.rows, weights=x[self.cols], minlength=self.n)
            out += extra if rows is None else extra[rows]
        return out

    def _rows_sum(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Row sums of the built adjacency times ``x`` for a few rows, read straight from CSR."""
        first = self.base.indptr[rows]
        length = self.base.indptr[rows + 1] - first
        offset = np.cumsum(length) - length
        at = np.repeat(first - offset, length) + np.arange(int(length.sum()))
        owner = np.repeat(np.arange(len(rows)), length)
        return np.bincount(owner, weights=x[self.base.indices[at]], minlength=len(rows)).astype(x.dtype)

    def add_ties(self, attendees: np.ndarray, comm: np.ndarray, per_community: np.ndarray,
                 rng: np.random.Generator, tally: Tally) -> None:
        """New ties between random pairs of attendees (sorted, of communities ``comm``) of the same
        community, ``per_community[c]`` in community ``c``."""
        room = self.max_new_ties - self.n_new
        if room <= 0 or len(attendees) < 2:
            return
        n_c = len(per_community)
        count = np.bincount(comm, minlength=n_c)
        start = np.cumsum(count) - count
        k = np.where(count >= 2, np.floor(per_community), 0).astype(np.int64)
        if k.sum() > room:
            k = np.floor(k * room / k.sum()).astype(np.int64)
        if k.sum() == 0:
            return
        c = np.repeat(np.arange(n_c), k)
        a = attendees[start[c] + (rng.random(len(c)) * count[c]).astype(np.int64)]
        b = attendees[start[c] + (rng.random(len(c)) * count[c]).astype(np.int64)]
        keep = a != b
        a, b = a[keep], b[keep]
        self.src.append(a)
        self.dst.append(b)
        self.n_new += len(a)
        self.rows = np.concatenate((self.rows, a, b))
        self.cols = np.concatenate((self.cols, b, a))
        ends = np.concatenate((a, b))
        np.add.at(self.extra_degree, ends, 1.0)
        deg = self.base_degree[ends] + self.extra_degree[ends]
        self.has_ties[ends] = 1.0
        self.inverse_degree[ends] = 1.0 / deg
        tally.add("ties_formed", len(a))

    def graph_edges(self) -> tuple[np.ndarray, np.ndarray]:
        coo = sp.triu(self.base, k=1).tocoo()
        src, dst = [coo.row], [coo.col]
        if self.src:
            src += self.src
            dst += self.dst
        return np.concatenate(src), np.concatenate(dst)



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


def build_network(household: np.ndarray, building: np.ndarray, s: Scenario,
                  rng: np.random.Generator) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency of resident ties (CSR, float32); residents sorted by building."""
    n = len(household)
    net = s.network
    hs, hd = _household_edges(household)
    n_b = int(building.max()) + 1 if n else 0
    b_size = np.bincount(building, minlength=n_b)
    b_start = np.concatenate([[0], np.cumsum(b_size)[:-1]])
    # Ties within the building.
    k_in = rng.poisson(net.neighbour_ties / 2.0, n)
    bs = np.repeat(np.arange(n), k_in)
    bd = _random_members(rng, building[bs], b_start, b_size)
    # Ties to neighbouring buildings along the small-world graph of buildings.
    g = building_graph(n_b, s, rng)
    bg = nx.to_scipy_sparse_array(g, nodelist=range(n_b), format="csr", dtype=np.int8)
    bdeg = np.diff(bg.indptr)
    k_out = rng.poisson(net.cross_building_ties / 2.0, n)
    k_out[bdeg[building] == 0] = 0
    cs = np.repeat(np.arange(n), k_out)
    own = building[cs]
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

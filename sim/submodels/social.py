"""Trust and belonging on the network.

Each week trust and belonging move toward the mean of one's ties (social
influence, Janssen et al. 2022) and drift slowly back to their initial means;
waiting unserved for a found need costs trust. Activities create new ties
between attendees, kept apart from the built network so that adding them is
cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .. import ledger
from ..population import N_TYPES

if TYPE_CHECKING:
    from ..model import CommunityModel


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

    def degree(self) -> np.ndarray:
        return self.base_degree + self.extra_degree

    def add_ties(self, model: CommunityModel, attendees: np.ndarray, per_community: np.ndarray) -> None:
        """New ties between random pairs of attendees of the same community."""
        room = self.max_new_ties - self.n_new
        if room <= 0 or len(attendees) < 2:
            return
        comm = model.residents.community[attendees]
        n_c = len(per_community)
        count = np.bincount(comm, minlength=n_c)
        start = np.cumsum(count) - count
        k = np.where(count >= 2, np.floor(per_community), 0).astype(np.int64)
        if k.sum() > room:
            k = np.floor(k * room / k.sum()).astype(np.int64)
        if k.sum() == 0:
            return
        c = np.repeat(np.arange(n_c), k)
        a = attendees[start[c] + (model.rng.random(len(c)) * count[c]).astype(np.int64)]
        b = attendees[start[c] + (model.rng.random(len(c)) * count[c]).astype(np.int64)]
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
        model.tally.add("ties_formed", len(a))

    def graph_edges(self) -> tuple[np.ndarray, np.ndarray]:
        coo = sp.triu(self.base, k=1).tocoo()
        src, dst = [coo.row], [coo.col]
        if self.src:
            src += self.src
            dst += self.dst
        return np.concatenate(src), np.concatenate(dst)


def update(model: CommunityModel) -> None:
    p = model.s.social
    r = model.residents
    net = model.social
    for arr, mean0 in ((r.trust, p.initial_trust_mean), (r.belonging, p.initial_belonging_mean)):
        pull = net.neighbour_sum(arr) * net.inverse_degree - arr * net.has_ties
        arr += p.diffusion_per_week * pull + p.reversion_per_week * (mean0 - arr)
    waiting = ledger.waiting(model) // N_TYPES
    np.subtract.at(r.trust, waiting, np.float32(p.unmet_trust_loss))
    np.clip(r.trust, 0, 1, out=r.trust)
    np.clip(r.belonging, 0, 1, out=r.belonging)

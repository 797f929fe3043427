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



if TYPE_CHECKING:
    from ..model import CommunityModel


class SocialNetwork:
    """The built adjacency plus ties formed at activities."""

    def __init__(self, adjacency: sp.csr_matrix, max_new_ties: int):
        self.base = adjacency
        self.n = adjacency.shape[0]
        self.base_degree = np.asarray(adjacency.sum(axis=1)).ravel().astype(np.float32)
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.n_new = 0
        self.max_new_ties = max_new_ties
        self.extra: sp.csr_matrix | None = None
        self.extra_degree = np.zeros(self.n, dtype=np.float32)

    def neighbour_sum(self, x: np.ndarray) -> np.ndarray:
        out = self.base @ x
        if self.extra is not None:
            out = out + self.extra @ x
        return out

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
        start = np.r_[0, np.cumsum(count)[:-1]]
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
        rows = np.concatenate(self.src + self.dst)
        cols = np.concatenate(self.dst + self.src)
        self.extra = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                   shape=(self.n, self.n))
        self.extra_degree = np.asarray(self.extra.sum(axis=1)).ravel().astype(np.float32)
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
    deg = net.degree()
    has = deg > 0
    for arr, mean0 in ((r.trust, p.initial_trust_mean), (r.belonging, p.initial_belonging_mean)):
        nb = net.neighbour_sum(arr)
        pull = np.where(has, nb / np.maximum(deg, 1.0) - arr, 0.0)
        arr += (p.diffusion_per_week * pull + p.reversion_per_week * (mean0 - arr)).astype(np.float32)
    needs = model.needs
    waiting = (needs.by_resident(needs.found) & (needs.by_resident(needs.worker) < 0)).sum(axis=1)
    r.trust -= (p.unmet_trust_loss * waiting).astype(np.float32)
    np.clip(r.trust, 0, 1, out=r.trust)
    np.clip(r.belonging, 0, 1, out=r.belonging)



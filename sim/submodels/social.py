"""Trust and belonging on the network.

Each week trust and belonging move toward the mean of one's ties (social
influence, Janssen et al. 2022) and drift slowly back to their initial means;
waiting unserved for a found need costs trust. Ties themselves are in
:mod:`sim.network` (activities add them).
"""

from __future__ import annotations

import numpy as np

from .. import ledger
from ..network import SocialNetwork
from ..schema import N_TYPES
from ..state import Context, NeedState, Residents


def update(r: Residents, network: SocialNetwork, needs: NeedState, ctx: Context) -> None:
    p = ctx.p.social
    for arr, mean0 in ((r.trust, p.initial_trust_mean), (r.belonging, p.initial_belonging_mean)):
        pull = network.neighbour_sum(arr) * network.inverse_degree - arr * network.has_ties
        arr += p.diffusion_per_week * pull + p.reversion_per_week * (mean0 - arr)
    waiting = ledger.waiting(needs) // N_TYPES
    np.subtract.at(r.trust, waiting, np.float32(p.unmet_trust_loss))
    np.clip(r.trust, 0, 1, out=r.trust)
    np.clip(r.belonging, 0, 1, out=r.belonging)

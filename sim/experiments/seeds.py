"""The seed convention, where experiment scripts have found it (it lives in :mod:`sim.seeds`,
below the model, which seeds ``mesa.batch_run`` replications with it)."""

from ..seeds import SEED_BITS, design_seed, run_seed

__all__ = ["SEED_BITS", "design_seed", "run_seed"]

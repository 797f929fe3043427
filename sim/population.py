"""Residents: who lives in the communities, in which households and buildings.

Ages follow the census shares; households form around the elderly living alone
and shuffled others; households are shuffled into communities and buildings.
Per-resident state lives in NumPy arrays (:class:`~sim.state.Residents`);
residents are ordered by community, building and household, so each community
is one contiguous block.
"""

from __future__ import annotations

import numpy as np

from .sampling import sample_blocks
from .schema import Scenario
from .state import NEVER, Residents


def _ages(rng: np.random.Generator, n: int, s: Scenario) -> np.ndarray:
    pop = s.population
    group = rng.random(n)
    age = np.empty(n, dtype=np.float32)
    child = group < pop.share_children
    old = group >= 1.0 - pop.share_aged_60_plus
    mid = ~child & ~old
    age[child] = rng.uniform(0, pop.adult_age, child.sum())
    age[mid] = rng.uniform(pop.adult_age, pop.elderly_age, mid.sum())
    age[old] = np.minimum(pop.elderly_age + rng.exponential(pop.elderly_age_scale_years, old.sum()), pop.max_age)
    return age


def _households(rng: np.random.Generator, age: np.ndarray, s: Scenario
                ) -> tuple[np.ndarray, np.ndarray]:
    """Household id per resident (in a shuffled order) and the alone flag."""
    n = len(age)
    pop = s.population
    alone = (age >= pop.elderly_age) & (rng.random(n) < pop.share_elderly_alone)
    others = rng.permutation((~alone).nonzero()[0])
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
    adult = age >= pop.adult_age
    elderly = age >= pop.elderly_age
    oldest_old = age >= pop.oldest_old_age
    lives_alone = (size == 1) & adult
    disabled = rng.random(n) < pop.share_disabled
    # Low income is a household trait.
    low_income = (rng.random(n_hh) < pop.share_low_income)[household]
    vulnerability = ((lives_alone & elderly).astype(np.float32) + disabled + low_income + oldest_old) / 4.0
    soc = s.social
    trust = np.clip(rng.normal(soc.initial_trust_mean, soc.initial_spread, n), 0, 1)
    belonging = np.clip(rng.normal(soc.initial_belonging_mean, soc.initial_spread, n), 0, 1)
    a = soc.willingness_shape
    willingness = np.clip(rng.beta(a, a * (1 - soc.willingness_mean) / max(soc.willingness_mean, 1e-6), n)
                          if 0 < soc.willingness_mean < 1 else np.full(n, soc.willingness_mean), 0, 1)
    community_size = np.bincount(community, minlength=n_comm)
    community_start = np.concatenate([[0], np.cumsum(community_size)[:-1]]).astype(np.int64)
    age = age.astype(np.float32)
    willingness = willingness.astype(np.float32)
    vulnerable = (lives_alone & elderly) | disabled | low_income
    elder_alone = (elderly & lives_alone).nonzero()[0]
    bounds = np.searchsorted(community[elder_alone], np.arange(n_comm + 1))
    w = willingness.astype(np.float64)
    return Residents(
        community=community,
        building=building,
        household=household.astype(np.int32),
        age=age,
        adult=adult,
        elderly=elderly,
        younger_old=elderly & (age < pop.younger_old_max_age),
        oldest_old=oldest_old,
        lives_alone=lives_alone,
        disabled=disabled,
        low_income=low_income,
        vulnerability=vulnerability.astype(np.float32),
        trust=trust.astype(np.float32),
        belonging=belonging.astype(np.float32),
        wellbeing=np.full(n, soc.initial_wellbeing, dtype=np.float32),
        willingness=willingness,
        last_contact=np.full(n, NEVER, dtype=np.int32),
        reached=np.zeros(n, dtype=bool),
        community_start=community_start,
        community_size=community_size.astype(np.int64),
        households_per_community=np.bincount(hh_comm, minlength=n_comm).astype(np.int64),
        vulnerable_per_community=np.bincount(community[vulnerable], minlength=n_comm),
        elder_alone=elder_alone,
        elder_alone_start=bounds[:-1],
        elder_alone_size=np.diff(bounds),
        willingness_sum=np.bincount(community, weights=w, minlength=n_comm),
        willingness_max=np.maximum.reduceat(w, community_start) if n else np.zeros(0),
    )


def draw_elderly_alone(rng: np.random.Generator, r: Residents, visits: np.ndarray) -> np.ndarray:
    """Elderly residents living alone, ``visits[c]`` expected in community ``c``, each at most once."""
    size = r.elder_alone_size
    p = np.divide(visits, size, out=np.zeros(len(visits)), where=size > 0)
    pos, _ = sample_blocks(rng, r.elder_alone_start, size, p)
    return r.elder_alone[pos]

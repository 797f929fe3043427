"""The policy levers a class can move, and how a move reaches a running model.

A move during a run is a dated policy change, applied by the same function as
a scenario's timeline event (:func:`sim.submodels.timeline.apply_changes`), so
it takes effect when the schema says: pay at once, budget and posts at the
next contract signing, partners signed or let go at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import CommunityModel
from ..params import ParamPath
from ..scenario import bundled_scenarios, load_scenario
from ..schema import Scenario
from ..submodels import timeline

DEMO_MAX_RESIDENTS = 25_000
"""Above this the demo runs a scaled-down copy, so a step stays well under a second."""


@dataclass(frozen=True)
class Lever:
    path: str
    label: str
    low: float
    high: float
    step: float


LEVERS = (
    Lever("workforce.salary_ratio", "lever_salary", 0.4, 1.2, 0.01),
    Lever("funding.contract_value_per_post_yuan_year", "lever_contract", 40_000, 160_000, 5_000),
    Lever("workforce.posts_per_1000_residents", "lever_posts", 0.0, 4.0, 0.1),
    Lever("workforce.admin_share", "lever_admin", 0.0, 0.8, 0.01),
    Lever("workforce.share_coordination", "lever_coordination", 0.0, 0.5, 0.01),
    Lever("enterprises.partners_per_1000_residents", "lever_partners", 0.0, 10.0, 0.1),
)
BY_PATH = {lever.path: lever for lever in LEVERS}


def scenario_names() -> list[str]:
    return list(bundled_scenarios())


def demo_scenario(name: str) -> tuple[Scenario, int | None]:
    """The scenario as the demo runs it, and its full size when it had to be shrunk.

    A district of a million residents is scaled down to ``DEMO_MAX_RESIDENTS``,
    keeping residents per community and agencies per community.
    """
    s = load_scenario(name)
    full = s.population.residents
    if full <= DEMO_MAX_RESIDENTS:
        return s, None
    return load_scenario(s, scale=DEMO_MAX_RESIDENTS / full), full


def lever_values(s: Scenario) -> dict[str, float]:
    return {lever.path: float(ParamPath.parse(lever.path).get(s)) for lever in LEVERS}


def coordination_limit(s: Scenario) -> float:
    """Coordination hours come out of case work, so it can grow to at most their sum."""
    w = s.workforce
    return min(BY_PATH["workforce.share_coordination"].high, w.share_casework + w.share_coordination)


def changes(s: Scenario, values: dict[str, float]) -> dict[str, Any]:
    """Lever values as parameter changes, time shares kept summing to 1 (coordination hours come out of
    case work)."""
    out: dict[str, Any] = dict(values)
    coord = values.get("workforce.share_coordination")
    if coord is not None:
        w = s.workforce
        out["workforce.share_casework"] = max(w.share_casework + w.share_coordination - coord, 0.0)
    return out


def build_model(s: Scenario, seed: int, values: dict[str, float]) -> CommunityModel:
    return CommunityModel(load_scenario(s, changes(s, values)), rng=seed)


def start_model(s: Scenario, seed: int, values: dict[str, float]) -> CommunityModel:
    """A settled community: built with the levers as set and run through the scenario's warm-up.

    The model starts with no open needs and no burnout; the ledger, caseloads and burnout take
    the warm-up (``simulation.warmup_weeks``, three years) to settle. A class should see a
    working community, not that start-up, so the demo's week 0 is the end of the warm-up
    (a second or two at the demo's sizes).
    """
    model = build_model(s, seed, values)
    model.run(model.params.simulation.warmup_weeks)
    return model


def apply_levers(model: CommunityModel, moves: dict[str, float]) -> None:
    """Apply lever moves to a running model, as a timeline event would."""
    timeline.apply_changes(model.world, changes(model.params, moves), "lever: " + ", ".join(sorted(moves)))

"""The policy levers a class can move, and how a move reaches a running model.

A move during a run is a dated policy change, applied the way a scenario's
timeline applies one (see :mod:`sim.submodels.timeline`): pay at once, budget
and posts at the next contract signing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import CommunityModel
from ..scenario import bundled_scenarios, get_path, load_scenario
from ..schema import Scenario
from ..submodels import partners, timeline

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
    Lever("enterprises.partners_per_community", "lever_partners", 0, 20, 1),
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
    factor = DEMO_MAX_RESIDENTS / full
    data = s.model_dump()
    data["population"]["residents"] = DEMO_MAX_RESIDENTS
    data["population"]["communities"] = max(1, round(s.population.communities * factor))
    data["funding"]["ngos"] = max(1, round(s.funding.ngos * factor))
    return load_scenario(data), full


def lever_values(s: Scenario) -> dict[str, float]:
    return {lever.path: float(get_path(s, lever.path)) for lever in LEVERS}


def coordination_limit(s: Scenario) -> float:
    """Coordination hours come out of case work, so it can grow to at most their sum."""
    w = s.workforce
    return min(BY_PATH["workforce.share_coordination"].high, w.share_casework + w.share_coordination)


def overrides(s: Scenario, values: dict[str, float]) -> dict[str, Any]:
    """Lever values as ``__``-joined model overrides, time shares kept summing to 1."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        if path == "enterprises.partners_per_community":
            value = int(round(value))
        out[path.replace(".", "__")] = value
    coord = values.get("workforce.share_coordination")
    if coord is not None:
        w = s.workforce
        out["workforce__share_casework"] = max(w.share_casework + w.share_coordination - coord, 0.0)
    return out


def build_model(s: Scenario, seed: int, values: dict[str, float]) -> CommunityModel:
    return CommunityModel(s, rng=seed, **overrides(s, values))


def apply_levers(model: CommunityModel, changes: dict[str, float]) -> None:
    """Apply lever moves to a running model, as a timeline event would."""
    values = dict(changes)
    if "workforce.share_coordination" in values:
        w = model.s.workforce
        value = values["workforce.share_coordination"]
        values["workforce.share_casework"] = max(w.share_casework + w.share_coordination - value, 0.0)
    if "enterprises.partners_per_community" in values:
        values["enterprises.partners_per_community"] = int(round(values["enterprises.partners_per_community"]))
    timeline.apply_changes(model, values, "lever: " + ", ".join(sorted(changes)))
    if "enterprises.partners_per_community" in changes:
        set_partners(model, values["enterprises.partners_per_community"])


def set_partners(model: CommunityModel, per_community: int) -> None:
    """Sign new partners or end the least engaged partnerships until each community has the target."""
    for c in range(model.residents.n_communities):
        present = sorted((e for e in model.enterprises if e.community == c), key=lambda e: e.engagement)
        for e in present[:max(len(present) - per_community, 0)]:
            e.active = False
            e.remove()
        for _ in range(per_community - len(present)):
            partners.recruit(model, c)

"""Dated policy events: in week W, set or scale scenario parameters.

Funding and staffing changes take effect at the next contract signing (a cut
announced mid-contract bites at renewal); a new pay standard applies to every
worker at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..scenario import get_path
from . import needs, workforce

if TYPE_CHECKING:
    from ..model import CommunityModel


def apply_changes(model: CommunityModel, values: Mapping[str, Any], label: str = "") -> None:
    """Set parameters of a running model, all of a section at once (so shares that must
    sum to 1 can move together), and record the change as a policy event."""
    by_section: dict[str, dict[str, Any]] = defaultdict(dict)
    for dotted, value in values.items():
        section_path, _, name = dotted.rpartition(".")
        by_section[section_path][name] = value
    for section_path, changes in by_section.items():
        section = get_path(model.s, section_path)
        updated = type(section).model_validate({**section.model_dump(), **changes})
        parent_path, _, name = section_path.rpartition(".")
        setattr(get_path(model.s, parent_path) if parent_path else model.s, name, updated)
    if "workforce.salary_ratio" in values:
        workforce.reset_pay(model)
    if any(k.startswith("needs.hazard_per_year") or k.startswith("needs.risk_") for k in values):
        model.needs.weekly_hazard = needs.weekly_hazard(model)
    model.events_applied.append((model.week, label or ", ".join(sorted(values))))


def apply(model: CommunityModel) -> None:
    for event in model.s.timeline:
        if event.week != model.week:
            continue
        values = dict(event.set)
        for dotted, factor in event.scale.items():
            values[dotted] = get_path(model.s, dotted) * factor
        apply_changes(model, values, event.label)

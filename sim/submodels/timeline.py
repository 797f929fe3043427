"""Dated policy events: in week W, set or scale scenario parameters.

Funding and staffing changes take effect at the next contract signing (a cut
announced mid-contract bites at renewal); a new pay standard applies to every
worker at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scenario import get_path
from . import workforce

if TYPE_CHECKING:
    from ..model import CommunityModel


def _assign(model: CommunityModel, dotted: str, value) -> None:
    section_path, _, name = dotted.rpartition(".")
    section = get_path(model.s, section_path)
    setattr(section, name, value)


def apply(model: CommunityModel) -> None:
    for event in model.s.timeline:
        if event.week != model.week:
            continue
        for dotted, value in event.set.items():
            _assign(model, dotted, value)
        for dotted, factor in event.scale.items():
            _assign(model, dotted, get_path(model.s, dotted) * factor)
        changed = set(event.set) | set(event.scale)
        if "workforce.salary_ratio" in changed:
            workforce.reset_pay(model)
        model.events_applied.append((model.week, event.label or ", ".join(sorted(changed))))

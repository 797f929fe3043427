"""Dated policy events: in week W, set or scale scenario parameters.

When a change takes effect is marked on each parameter in the schema
(:class:`sim.schema.When`): most apply from the week they are set; funding
and posts at each agency's next contract signing (a cut announced
mid-contract bites at renewal); a new pay standard, new need rates or a new
number of partners act on the running model at once, through the step named
in :data:`AT_ONCE`. Parameters read only at setup cannot change during a run.
Timeline events and the demo's levers both go through :func:`apply_changes`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import UserError
from ..params import ParamPath
from ..scenario import SETUP_ONLY
from ..schema import When
from ..state import World
from . import needs, partners, pay


def _new_pay(world: World) -> None:
    pay.reset_pay(world.rosters, world.labour, world.ctx)


def _new_need_rates(world: World) -> None:
    needs.rebuild_hazard(world.needs, world.residents, world.ctx.p.needs)


def _new_partner_count(world: World) -> None:
    partners.set_count(world.rosters, world.residents, world.ctx)


AT_ONCE: dict[When, Callable[[World], None]] = {
    When.PAY: _new_pay,
    When.HAZARD: _new_need_rates,
    When.PARTNERS: _new_partner_count,
}
"""What the running model does, in this order, after parameters of each marking change."""


def apply_changes(world: World, values: Mapping[str, Any], label: str = "") -> None:
    """Set parameters of a running model, all of a section at once (so shares that must
    sum to 1 can move together), act on the markings that need it, and record the change
    as a policy event."""
    ctx = world.ctx
    paths = {ParamPath.parse(k, "change during a run"): v for k, v in values.items()}
    for path in paths:
        if path.when is When.SETUP:
            raise UserError(SETUP_ONLY, field=path.dotted)
    by_section: dict[tuple[str, ...], dict[str, Any]] = defaultdict(dict)
    for path, value in paths.items():
        by_section[path.parts[:-1]][path.name] = value
    for parts, changes in by_section.items():
        section = ParamPath(parts).get(ctx.p)
        updated = type(section).model_validate({**section.model_dump(), **changes})
        setattr(ParamPath(parts[:-1]).get(ctx.p), parts[-1], updated)
    markings = {path.when for path in paths}
    for when, act in AT_ONCE.items():
        if when in markings:
            act(world)
    world.events.append((ctx.week, label or ", ".join(sorted(values))))


def apply(world: World) -> None:
    p = world.ctx.p
    for event in p.timeline:
        if event.week != world.ctx.week:
            continue
        values = dict(event.set)
        for dotted, factor in event.scale.items():
            values[dotted] = ParamPath.parse(dotted).get(p) * factor
        apply_changes(world, values, event.label)

"""Property-based checks: any valid scenario runs and keeps the invariants; any invalid one is refused.

Scenarios are drawn from the schema itself (every numeric parameter within its
declared bounds), so a new parameter is covered without touching this file.
A few parameters are capped so that each example runs in a fraction of a
second; the caps shrink the size of a run, not the range of behaviour.
"""

from __future__ import annotations

import math
import tempfile
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim import outputs
from sim.cli import main
from sim.errors import UserError
from sim.model import CommunityModel
from sim.params import ParamPath
from sim.scenario import load_scenario
from sim.schema import Scenario, When

PROFILE = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CAPS = {
    "population.residents": (50, 400),
    "population.communities": (1, 4),
    "funding.ngos": (1, 3),
    "enterprises.partners_per_1000_residents": (0, 20),
    "enterprises.recruit_per_1000_residents_year": (0, 20),
}
"""Bounds narrower than the schema's, to keep each example small."""

OPEN_FLOOR = 1e-3
"""Smallest value drawn above an exclusive lower bound (hours, wages, ratios that must be > 0).

The schema sets practical floors on hours and wages; values near the float minimum
are refused as bad input (``test_vanishing_positive_values``).
"""

DERIVED = {
    "simulation.horizon_weeks", "simulation.warmup_weeks", "simulation.check_invariants",
    "workforce.share_outreach", "workforce.share_casework", "workforce.share_groups",
    "workforce.share_activities", "workforce.share_coordination",
    "workforce.target_caseload", "workforce.max_caseload",
    "population.share_aged_60_plus", "population.share_children",
}
"""Parameters drawn together because the schema ties them to each other."""


def bounds(info) -> tuple[float | None, float | None, bool, bool]:
    """(low, high, low is exclusive, high is exclusive) from a field's constraints."""
    lo = hi = None
    lo_open = hi_open = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return lo, hi, lo_open, hi_open


def leaves(model: type[BaseModel] = Scenario, prefix: str = "") -> dict[str, object]:
    """Every scalar parameter of the schema, by dotted path."""
    out = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(leaves(ann, f"{prefix}{name}."))
        elif ann in (int, float, bool):
            out[f"{prefix}{name}"] = info
    return out


PARAMS = {path: info for path, info in leaves().items() if path.count(".") >= 1}


def value_strategy(path: str, info) -> st.SearchStrategy:
    if info.annotation is bool:
        return st.booleans()
    lo, hi, lo_open, hi_open = bounds(info)
    lo, hi = CAPS.get(path, (lo, hi))
    lo = 0 if lo is None else lo
    hi = lo + 20 if hi is None else hi
    if info.annotation is int:
        return st.integers(int(lo) + lo_open, int(hi) - hi_open)
    if lo_open:
        lo, lo_open = lo + OPEN_FLOOR, False
    return st.floats(lo, hi, exclude_max=hi_open, allow_nan=False, allow_subnormal=False)


def set_dotted(data: dict, path: str, value) -> None:
    *sections, name = path.split(".")
    for s in sections:
        data = data.setdefault(s, {})
    data[name] = value


EVENT_TARGETS = sorted(
    p for p, info in PARAMS.items()
    if ParamPath.parse(p).when is not When.SETUP and p not in DERIVED and p.count(".") == 1)
SCALABLE = [p for p in EVENT_TARGETS
            if PARAMS[p].annotation is float and bounds(PARAMS[p])[0] == 0 and not bounds(PARAMS[p])[2]]


@st.composite
def events(draw, horizon: int) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        week = draw(st.integers(0, horizon - 1))
        if draw(st.booleans()):
            path = draw(st.sampled_from(EVENT_TARGETS))
            change = {"set": {path: draw(value_strategy(path, PARAMS[path]))}}
        else:
            path = draw(st.sampled_from(SCALABLE))
            change = {"scale": {path: draw(st.floats(0, 1))}}
        out.append({"week": week, "label": f"event {len(out)}", **change})
    return out


AGES = ("adult_age", "elderly_age", "younger_old_max_age", "max_age", "oldest_old_age")


def assert_declared(name: str, value: float) -> None:
    """A value is inside its output's declared bounds, or NaN where its definition says it can be undefined."""
    out = outputs.output(name)
    if math.isnan(value):
        assert "undefined" in out.definition.lower(), f"{name} is NaN but its definition never says it can be undefined"
        return
    assert math.isfinite(value), f"{name} = {value}"
    lo, hi = out.bounds
    assert lo - 1e-9 <= value <= hi + 1e-9, f"{name} = {value} outside [{lo}, {hi}]"


@st.composite
def valid_scenarios(draw) -> dict:
    data: dict = {"name": "generated"}
    groups: dict[str, list[str]] = {}
    for path in PARAMS:
        if path not in DERIVED:
            groups.setdefault(path if path.count(".") == 1 else path.rpartition(".")[0], []).append(path)
    for members in groups.values():
        if draw(st.booleans()):
            for path in members:
                set_dotted(data, path, draw(value_strategy(path, PARAMS[path])))
    for path, (lo, hi) in CAPS.items():
        set_dotted(data, path, draw(st.integers(lo, hi)) if isinstance(lo, int) and
                   PARAMS[path].annotation is int else draw(st.floats(lo, hi)))
    population = data.get("population", {})
    adult, elderly, younger_old, oldest_age, oldest_old = (
        population.get(k, PARAMS[f"population.{k}"].default) for k in AGES)
    if not (adult < elderly < younger_old <= oldest_age and elderly <= oldest_old <= oldest_age):
        for k in AGES:  # the schema refuses ages that do not rise; keep the defaults instead
            population.pop(k, None)
    horizon = draw(st.integers(3, 20))
    data.setdefault("simulation", {}).update(horizon_weeks=horizon, warmup_weeks=draw(st.integers(0, horizon - 1)),
                              check_invariants=True)
    weights = draw(st.lists(st.floats(0.01, 1), min_size=5, max_size=5))
    shares = [w / sum(weights) for w in weights]
    for name, share in zip(("outreach", "casework", "groups", "activities", "coordination"), shares,
                           strict=True):
        data.setdefault("workforce", {})[f"share_{name}"] = share
    target = draw(st.integers(0, 40))
    data["workforce"].update(target_caseload=target, max_caseload=target + draw(st.integers(0, 20)))
    old = draw(st.floats(0, 1))
    data["population"].update(share_aged_60_plus=old, share_children=draw(st.floats(0, 1 - old)))
    data["timeline"] = draw(events(horizon))
    return data


@pytest.mark.filterwarnings("ignore:funding.contract_value_per_post_yuan_year:UserWarning")
@PROFILE
@given(valid_scenarios())
def test_valid_scenarios_run_and_keep_the_invariants(data):
    scenario = load_scenario(data)
    model = CommunityModel(scenario)
    model.run()
    assert model.week == scenario.simulation.horizon_weeks
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == scenario.simulation.horizon_weeks
    for name in frame.columns:
        for value in frame[name].to_numpy(dtype=float):
            assert_declared(name, value)
    for name, value in model.summary().items():
        assert_declared(name, value)


NUMERIC = {p: info for p, info in PARAMS.items() if info.annotation in (int, float)}


@st.composite
def out_of_range(draw) -> tuple[str, object]:
    path = draw(st.sampled_from(sorted(NUMERIC)))
    lo, hi, lo_open, hi_open = bounds(NUMERIC[path])
    sides = [s for s, b in (("low", lo), ("high", hi)) if b is not None]
    side = draw(st.sampled_from(sides))
    is_int = NUMERIC[path].annotation is int
    step = draw(st.integers(1, 10**6)) if is_int else draw(st.floats(1e-3, 1e6))
    if side == "low":
        value = lo if lo_open and draw(st.booleans()) else lo - step
    else:
        value = hi if hi_open and draw(st.booleans()) else hi + step
    return path, value


@st.composite
def wrong_type(draw) -> tuple[str, object]:
    path = draw(st.sampled_from(sorted(PARAMS)))
    if PARAMS[path].annotation is bool:
        return path, draw(st.sampled_from(["maybe", 2.5, [True], {"on": True}]))
    return path, draw(st.sampled_from(["abc", "", [1, 2], {"a": 1}, True, False, None]))


@st.composite
def non_finite(draw) -> tuple[str, object]:
    path = draw(st.sampled_from(sorted(p for p, i in NUMERIC.items() if i.annotation is float)))
    return path, draw(st.sampled_from([math.nan, math.inf, -math.inf]))


@st.composite
def unknown_key(draw) -> tuple[str, object]:
    path = draw(st.sampled_from(sorted(PARAMS)))
    *section, name = path.split(".")
    i = draw(st.integers(0, len(name) - 2))
    typo = name[:i] + name[i + 1] + name[i] + name[i + 2:]
    siblings = {p.split(".")[-1] for p in PARAMS if p.split(".")[:-1] == section}
    if typo in siblings or typo == name:
        typo = name + "x"
    return ".".join([*section, typo]), 1


@PROFILE
@given(st.one_of(out_of_range(), wrong_type(), non_finite(), unknown_key()))
def test_invalid_values_are_refused_naming_the_field(change):
    path, value = change
    data: dict = {}
    set_dotted(data, path, value)
    with pytest.raises(UserError) as info:
        load_scenario(data)
    assert path in str(info.value)
    assert "\n" not in str(info.value)


@settings(PROFILE, max_examples=15)
@given(st.one_of(out_of_range(), wrong_type(), non_finite(), unknown_key()))
def test_invalid_files_exit_2_with_one_line(capsys, change):
    path, value = change
    data: dict = {}
    set_dotted(data, path, value)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "bad.yaml"
        file.write_text(yaml.safe_dump(data), encoding="utf-8")
        capsys.readouterr()
        assert main(["validate", str(file)]) == 2
        err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert path.split(".")[-1] in err


@settings(PROFILE, max_examples=10)
@given(st.one_of(out_of_range(), non_finite()))
def test_invalid_set_values_exit_2_and_write_nothing(capsys, change):
    path, value = change
    text = {math.inf: ".inf", -math.inf: "-.inf"}.get(value, ".nan" if value != value else str(value))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        capsys.readouterr()
        assert main(["run", "baseline", "--set", f"{path}={text}", "--out", str(out)]) == 2
        assert not out.exists()
        assert list(Path(tmp).iterdir()) == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--set: {path}" in err


def test_strategies_cover_every_section():
    """The generators reach every section of the schema, so none is left untested."""
    sections = {name for name, info in Scenario.model_fields.items()
                if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)}
    assert {p.split(".")[0] for p in PARAMS} == sections
    assert all(typing.get_origin(PARAMS[p].annotation) is None for p in PARAMS)


VANISHING = {
    "wage": {"workforce.salary_ratio": 0.05, "workforce.local_average_wage_yuan_year": 5e-324,
             "funding.overhead_per_post_yuan_year": 0.0},
    "contracted_hours": {"workforce.posts_per_1000_residents": 11.0, "workforce.hours_per_week": 2.2e-309},
    "activity_hours": {"workforce.posts_per_1000_residents": 11.0, "services.hours_per_activity": 1e-300},
}
"""Positive values the schema accepts that overflow a division: the cost of a post
rounds to 0 yuan (ZeroDivisionError in funding.affordable_posts), overload becomes
inf - inf = NaN burnout (workforce.update), activities become uncountably many
(negative array size in social.add_ties)."""


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(VANISHING))
def test_vanishing_positive_values(name):
    """Whatever the schema accepts either is refused as bad input or runs keeping the invariants."""
    try:
        scenario = load_scenario({"population": {"residents": 50}, "simulation": {
            "horizon_weeks": 60, "warmup_weeks": 0, "check_invariants": True}}, VANISHING[name])
    except UserError:
        return
    CommunityModel(scenario).run()

"""How values, intervals, differences and parameters read in tables and figures.

Every KPI is shown the one way the output registry (:mod:`sim.outputs`) declares it:
shares and rates in percent, money with thousands separators, intervals held to the
quantity's range, parameters in words and without scientific notation. The report's
tables (:mod:`.report`) and figures (:mod:`.plots`) both read from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..outputs import KPIS, Kind, label, output
from ..params import ParamPath


def fmt(x: float) -> str:
    """A plain number with three significant digits and no scientific notation."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    digits = max(0, 3 - int(math.floor(math.log10(abs(x)))) - 1)
    return f"{x:,.{min(digits, 6)}f}"


def bounds_of(name: str) -> tuple[float, float]:
    """The range a KPI or weekly column can take (a share [0, 1], a count [0, inf))."""
    try:
        return output(name).bounds
    except KeyError:
        return -math.inf, math.inf


def clip(name: str, lo: float, hi: float, difference: bool = False) -> tuple[float, float]:
    """An interval held to the quantity's range; a difference of two values ranges over
    [low - high, high - low] (a difference of shares over [-1, 1])."""
    low, high = bounds_of(name)
    if difference:
        low, high = low - high, high - low
    return (max(lo, low) if np.isfinite(lo) else lo), (min(hi, high) if np.isfinite(hi) else hi)


def format_value(name: str, x: float) -> str:
    """A value as the registry shows it: 12.5% for shares and rates, 1,234 for counts."""
    try:
        return output(name).format(x)
    except KeyError:
        return fmt(x)


def format_ci(name: str, m: float, lo: float, hi: float) -> str:
    """``mean [low, high]`` in the KPI's own format, the interval held to its range."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return format_value(name, m)
    lo, hi = clip(name, lo, hi)
    return f"{format_value(name, m)} [{format_value(name, lo)}, {format_value(name, hi)}]"


def format_difference(name: str, d: float, lo: float = math.nan, hi: float = math.nan) -> str:
    """A difference with its interval: percentage points for shares and rates, signed otherwise."""
    try:
        kind = output(name).kind
    except KeyError:
        kind = None
    points = kind in (Kind.SHARE, Kind.RATE)

    def one(x: float) -> str:
        if x is None or not np.isfinite(x):
            return "–"
        if points:
            return f"{100 * x:+.1f}"
        if kind is Kind.TERM:
            return format_value(name, x)
        return ("+" if x > 0 else "") + format_value(name, x)

    unit = " pp" if points else ""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return one(d) + unit
    lo, hi = clip(name, lo, hi, difference=True)
    return f"{one(d)} [{one(lo)}, {one(hi)}]{unit}"


def row_label(name: str) -> str:
    """A KPI's label with its unit for a table row; sub-items ("of which quits") stay indented."""
    try:
        o = output(name)
    except KeyError:
        return name
    indent = o.label[:len(o.label) - len(o.label.lstrip())]
    return indent + label(name)


def short_label(name: str) -> str:
    """A KPI's label without its unit, for a column header; a sub-item ("of which quits") is named
    with the KPI it belongs to ("Social-worker turnover, of which quits")."""
    o = output(name)
    if not o.label.startswith(" "):
        return o.label
    at = [k.name for k in KPIS].index(name)
    parent = next(k for k in reversed(KPIS[:at]) if not k.label.startswith(" "))
    return f"{parent.label}, {o.label.strip()}"


def param_label(path: str, with_unit: bool = True) -> str:
    """A parameter in words: ``funding.contract_value_per_post_yuan_year`` reads
    "contract value per post (yuan/post/year)"."""
    p = ParamPath.parse(path)
    words = p.name.removesuffix("_yuan_year").removesuffix("_yuan").replace("_", " ")
    return f"{words} ({p.unit})" if with_unit and p.unit else words


def param_value(path: str, value: Any) -> str:
    """A parameter's value without scientific notation: 60,000 rather than 6e+04."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v.is_integer():
        return f"{v:.0f}"
    return np.format_float_positional(v, precision=3, unique=True, fractional=False, trim="-")


def point_text(params: Mapping[str, Any]) -> str:
    """A design point in words: "contract value per post 60,000, salary ratio 0.5"."""
    return ", ".join(f"{param_label(k, with_unit=False)} {param_value(k, v)}" for k, v in params.items())


def overrides_text(changes: Mapping[str, Any]) -> str:
    """Fixed overrides as a figure title shows them: "population.residents=3,000"."""
    return ", ".join(f"{ParamPath.parse(k).dotted}={param_value(k, v)}" for k, v in changes.items())

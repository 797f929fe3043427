"""Numbers as a researcher reads them: no scientific notation, money in 万元 or 亿元.

Amounts in yuan run from a few hundred (one activity) to hundreds of millions (a district's
contracts), so a money axis or table column is shown in the largest of 元, 万元 (10^4) and 亿元
(10^8) that its largest value reaches. Where the characters cannot be drawn (a figure without a
CJK font) the same scales are written "10k yuan" and "100M yuan".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

_MONEY_SCALES = ((1e8, "亿元", "100M yuan"), (1e4, "万元", "10k yuan"))


@dataclass(frozen=True)
class Scale:
    """Divide values by ``divisor`` and show them in ``unit``."""

    divisor: float
    unit: str


def is_money(unit: str) -> bool:
    return "yuan" in unit or "元" in unit


def scale_for(unit: str, values: Iterable[float], cjk: bool = True) -> Scale:
    """The scale to show ``values`` in: money by its largest magnitude, anything else as it is."""
    if not is_money(unit) or "元" in unit:
        return Scale(1.0, unit)
    finite = [abs(float(v)) for v in values if isinstance(v, int | float) and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    for divisor, chinese, latin in _MONEY_SCALES:
        if top >= divisor:
            return Scale(divisor, unit.replace("yuan", chinese if cjk else latin, 1))
    return Scale(1.0, unit.replace("yuan", "元", 1) if cjk else unit)


def decimals_for(values: Iterable[float], most: int = 8) -> int:
    """The fewest decimals (up to ``most``) that write every value exactly enough to tell them apart."""
    values = [float(v) for v in values if math.isfinite(float(v))]
    for d in range(most + 1):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return most


def plain(value: float, decimals: int | None = None) -> str:
    """A number in positional notation with thousands separators: 0.7021, 12.5, 1,234,567.

    Without ``decimals``, four significant digits are kept below 1,000 and none are dropped
    above it.
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        magnitude = math.floor(math.log10(abs(value))) if value else 0
        decimals = min(max(3 - magnitude, 0), 8)
        text = f"{value:,.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return f"{value:,.{decimals}f}"


def format_value(value: object, unit: str = "", cjk: bool = True) -> str:
    """One value with its unit, money scaled: ``12.5 万元/year``, ``0.35 share``, ``True``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    scale = scale_for(unit, [value], cjk)
    text = plain(value / scale.divisor)
    return f"{text} {scale.unit}" if scale.unit else text


def axis_label(label: str, unit: str) -> str:
    return f"{label} [{unit}]" if unit else label

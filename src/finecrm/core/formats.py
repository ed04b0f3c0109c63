"""How numbers, money and dates are written for bank staff: one set of formatters for pages, exports and CLI tables.

Money in yuan with thousands separators, 万/亿 in Chinese as bank reports write them; shares as 20.0%;
differences of rates in percentage points with their sign; dates as 2026-09-30. A missing value is "—"
everywhere, never "None" or "nan".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

MISSING = "—"


def money(value: Any, lang: str = "zh") -> str:
    """Yuan with thousands separators; 万/亿 in Chinese for large amounts (bn/m in English)."""
    if value is None:
        return MISSING
    v = float(value)
    if lang == "zh":
        if abs(v) >= 1e8:
            return f"{v / 1e8:,.2f} 亿"
        if abs(v) >= 1e4:
            return f"{v / 1e4:,.1f} 万"
        return f"{v:,.2f}"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f} bn"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.2f} m"
    return f"{v:,.2f}"


def number(value: Any) -> str:
    """A count with thousands separators."""
    return MISSING if value is None else f"{int(value):,}"


def pct(value: Any, digits: int = 1) -> str:
    """A share (0.2) as a percentage ("20.0%")."""
    return MISSING if value is None else f"{float(value) * 100:.{digits}f}%"


def points(value: Any, digits: int = 2) -> str:
    """A difference of two rates in percentage points, with its sign ("+1.25")."""
    return MISSING if value is None else f"{float(value) * 100:+.{digits}f}"


def interval(pair: Sequence[Any], *, signed: bool = False, digits: int = 2) -> str:
    """A confidence interval of shares ("[1.00%, 2.50%]") or, ``signed``, of differences in points."""
    one = (lambda v: points(v, digits)) if signed else (lambda v: pct(v, digits))
    return f"[{one(pair[0])}, {one(pair[1])}]"


def p_value(p: Any) -> str:
    """A p-value to four places ("<0.0001" below that)."""
    return MISSING if p is None else ("<0.0001" if p < 0.0001 else f"{p:.4f}")


def times(value: Any) -> str:
    """A ratio such as lift ("2.50×")."""
    return MISSING if value is None else f"{float(value):.2f}×"


def day(value: Any) -> str:
    """A date as 2026-09-30; a time to the minute."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

"""How numbers, money and dates are written for bank staff: one set of formatters for pages, exports and CLI tables.

Built on Babel (CLDR data for zh_CN and en) rather than hand-written patterns, with the conventions of a bank
report on top:

- money carries its currency (¥ for yuan) and, in Chinese, 万/亿 with sensible precision: ¥3,588.72, ¥2.35万,
  ¥23.5万, ¥6,000万, ¥1.23亿 (about three significant digits once scaled); in English full amounts up to a
  million, then ¥60M, ¥1.23B;
- a table column of money has one unit (:func:`money_scale`): the header says 万元 and every cell is a number in it;
- shares as percentages without a needless zero: 20%, 12.3%; differences of rates in points with their sign;
- dates as 2026-09-30 (or 2026年9月 for a month); times to the minute in the bank's time zone (``bank.timezone``,
  Asia/Shanghai by default), never with seconds or microseconds.

A missing value is "—" everywhere, never "None" or "nan".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal, format_decimal, format_percent, get_currency_symbol

MISSING = "—"

#: Babel locales of the workbench's languages.
LOCALES = {"zh": "zh_CN", "en": "en"}

#: The bank's time zone when the workspace does not name one (``bank.timezone``).
DEFAULT_TIMEZONE = "Asia/Shanghai"


#: How a currency is named in a column header or a definition (Chinese, English). The workspace declares its
#: currency (``bank.currency`` in finecrm.yaml); one not listed here is named by its ISO code. The symbol on
#: an amount is CLDR's (Babel): ¥, HK$, US$, €, or the ISO code where CLDR has none (CZK).
CURRENCIES: dict[str, tuple[str, str]] = {
    "CNY": ("元", "yuan"),
    "CZK": ("捷克克朗", "CZK"),
    "HKD": ("港元", "HKD"),
    "USD": ("美元", "USD"),
    "EUR": ("欧元", "EUR"),
    "GBP": ("英镑", "GBP"),
    "JPY": ("日元", "JPY"),
}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "zh_CN")


def currency_unit(currency: str, lang: str = "zh") -> str:
    """The currency's name for a column header or a definition: 元 / yuan, 捷克克朗 / CZK."""
    zh, en = CURRENCIES.get(currency, (currency, currency))
    return zh if lang == "zh" else en


def currency_symbol(currency: str) -> str:
    """The sign written before an amount: CLDR's symbol as a Chinese bank writes it (¥, HK$, US$, €); the ISO
    code and a space where the symbol is letters only (CZK 12.3万)."""
    symbol = get_currency_symbol(currency, locale="zh_CN")
    return f"{symbol} " if symbol.isalpha() else symbol


def _digits(scaled: float) -> int:
    """Decimals that keep about three significant digits of a scaled amount: 2.35, 23.5, 235, 6,000."""
    a = abs(scaled)
    return 2 if a < 10 else 1 if a < 100 else 0


def _decimal(value: float, digits: int, lang: str, *, optional: bool = False) -> str:
    """``value`` with thousands separators and ``digits`` decimals (``optional``: without trailing zeros)."""
    pattern = "#,##0" + ("." + ("#" if optional else "0") * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def money(value: Any, lang: str = "zh", currency: str | None = None) -> str:
    """An amount as one card or sentence shows it: ¥3,588.72, ¥2.3万, ¥6,000万, ¥1.23亿 (Chinese); ¥3,588.72,
    ¥60M, ¥1.23B (English). Without ``currency`` no sign is written."""
    if value is None:
        return MISSING
    v = float(value)
    if lang == "zh" and abs(v) >= 1e4:
        unit, div = ("亿", 1e8) if abs(v) >= 1e8 else ("万", 1e4)
        text = _decimal(v / div, _digits(v / div), lang, optional=True) + unit
    elif lang != "zh" and abs(v) >= 1e6:
        div = 1e9 if abs(v) >= 1e9 else 1e6
        text = format_compact_decimal(v, format_type="short", locale="en", fraction_digits=_digits(v / div))
    else:
        text = _decimal(v, 2, lang)
    if currency is None:
        return text
    sign = currency_symbol(currency)
    return f"-{sign}{text[1:]}" if text.startswith("-") else f"{sign}{text}"


@dataclass(frozen=True)
class MoneyScale:
    """One unit for a whole column of amounts: the header names it (``label``), every cell is divided by
    ``divisor`` and written with ``digits`` decimals."""

    divisor: float
    label: str
    digits: int

    def cell(self, value: Any, lang: str = "zh") -> str:
        return MISSING if value is None else _decimal(float(value) / self.divisor, self.digits, lang)


def money_scale(values: Iterable[Any], lang: str = "zh", currency: str = "CNY") -> MoneyScale:
    """The unit of a column of amounts, from the column's typical (median) size: 元 below 10,000, 万元 below
    100 million, 亿元 above (English: the currency, then millions). One unit per column, as bank reports have it."""
    sizes = sorted(abs(float(v)) for v in values if v is not None)
    typical = sizes[len(sizes) // 2] if sizes else 0.0
    name = currency_unit(currency, lang)
    if lang == "zh":
        if typical >= 1e8:
            return MoneyScale(1e8, f"亿{name}", 2)
        if typical >= 1e4:
            return MoneyScale(1e4, f"万{name}", 2)
        return MoneyScale(1.0, name, 2)
    if typical >= 1e6:
        return MoneyScale(1e6, f"{currency} m", 2)
    return MoneyScale(1.0, currency, 2)


def number(value: Any, lang: str = "zh") -> str:
    """A count with thousands separators."""
    return MISSING if value is None else format_decimal(int(value), format="#,##0", locale=_locale(lang))


def pct(value: Any, digits: int = 1) -> str:
    """A share (0.2) as a percentage: "20%", "12.3%" — no needless trailing zero. Asked for two or more
    decimals (rates compared side by side, as in an evaluation), the decimals are fixed: "10.00%"."""
    if value is None:
        return MISSING
    decimals = ("0" if digits >= 2 else "#") * digits
    pattern = "#,##0" + ("." + decimals if digits else "") + "%"
    return format_percent(float(value), format=pattern, locale="zh_CN")


def points(value: Any, digits: int = 2) -> str:
    """A difference of two rates in percentage points, with its sign ("+1.25")."""
    return MISSING if value is None else f"{float(value) * 100:+.{digits}f}"


def interval(pair: Sequence[Any], *, signed: bool = False, digits: int = 2) -> str:
    """A confidence interval of shares ("[1.00%, 2.50%]", fixed decimals so the two ends line up) or,
    ``signed``, of differences in points."""
    if signed:
        return f"[{points(pair[0], digits)}, {points(pair[1], digits)}]"
    fixed = "#,##0." + "0" * digits + "%"

    def one(v: Any) -> str:
        return MISSING if v is None else format_percent(float(v), format=fixed, locale="zh_CN")

    return f"[{one(pair[0])}, {one(pair[1])}]"


def p_value(p: Any) -> str:
    """A p-value to four places ("<0.0001" below that)."""
    return MISSING if p is None else ("<0.0001" if p < 0.0001 else f"{p:.4f}")


def times(value: Any) -> str:
    """A ratio such as lift ("2.50×")."""
    return MISSING if value is None else f"{float(value):.2f}×"


def zone(name: str | None = None) -> ZoneInfo:
    """The bank's time zone (``bank.timezone``; Asia/Shanghai when not named)."""
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def today(tz: str | None = None) -> date:
    """Today's date in the bank's time zone: what is due "today" turns over at the bank's midnight, not the
    server's (a server on UTC is eight hours behind a bank in Shanghai)."""
    return datetime.now(zone(tz)).date()


def local(value: datetime, tz: str | None = None) -> datetime:
    """A moment the product recorded in the bank's time zone (a time without a zone is UTC, as the database
    keeps it)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone(tz))


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _as_time(value: Any) -> Any:
    """A time read back from a manifest or JSON as a datetime; anything else as it is."""
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def day(value: Any, tz: str | None = None) -> str:
    """A business date as 2026-09-30, a business time (a transaction's, from the bank's own export: already the
    bank's local time) as 2026-10-01 04:39. A time with a zone is shown in the bank's time zone."""
    value = _as_time(value)
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        shown = value if value.tzinfo is None else value.astimezone(zone(tz))
        return shown.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def moment(value: Any, tz: str | None = None) -> str:
    """A moment the product recorded (a sign-in, an audit event, a build) in the bank's time zone, to the
    minute: 2026-12-04 09:57. The database keeps these in UTC, so a time without a zone is UTC."""
    value = _as_time(value)
    if isinstance(value, datetime):
        return local(value, tz).strftime("%Y-%m-%d %H:%M")
    return day(value, tz)


def month(value: Any, lang: str = "zh") -> str:
    """A month as 2026年9月 / Sep 2026 (a date, a datetime or "2026-09")."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4})-(\d{2})(-\d{2})?", value)
        if not m:
            return value
        value = date(int(m.group(1)), int(m.group(2)), 1)
    return format_skeleton("yMMM", value, locale=_locale(lang))


#: A snapshot's build id: the UTC time the build started (20261204T015717929757Z).
_BUILD_ID = re.compile(r"(\d{8}T\d{6})(\d{0,6})Z")


def build_time(build_id: str | None) -> datetime | None:
    """When a snapshot was built, read from its id (None for an id of another form)."""
    m = _BUILD_ID.fullmatch(build_id or "")
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


#: How the marts and models write a text in both languages: "中文 / English", the Chinese first.
BILINGUAL_SEPARATOR = " / "


def in_language(text: Any, lang: str = "zh") -> str:
    """The side of a bilingual text ("中文 / English") in the page's language; a text of one language as it is."""
    if text is None or text == "":
        return MISSING
    zh, sep, en = str(text).partition(BILINGUAL_SEPARATOR)
    if not sep:
        return zh
    return zh if lang == "zh" else en

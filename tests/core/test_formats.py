"""Bank number formats (issue 13, convention 3): the spec of how money, shares, counts, months and times read
to bank staff in both languages, and one unit per column of amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finecrm.core import formats


@pytest.mark.parametrize(("value", "zh", "en"), [
    (3588.72, "¥3,588.72", "¥3,588.72"),
    (23000, "¥2.3万", "¥23,000.00"),
    (23456, "¥2.35万", "¥23,456.00"),
    (235000, "¥23.5万", "¥235,000.00"),
    (60_000_000, "¥6,000万", "¥60M"),  # never "6000.0万"
    (123_456_789, "¥1.23亿", "¥123M"),
    (-23000, "-¥2.3万", "-¥23,000.00"),
    (None, "—", "—"),
])
def test_money_reads_like_a_bank_report(value, zh, en):
    assert formats.money(value, "zh", "CNY") == zh
    assert formats.money(value, "en", "CNY") == en


def test_a_currency_without_a_symbol_is_written_by_its_code():
    assert formats.money(23000, "zh", "CZK") == "CZK 2.3万"
    assert formats.money(23000, "zh") == "2.3万"  # no currency: no sign


def test_shares_are_percentages_without_needless_zeros():
    assert [formats.pct(v) for v in (0.2, 0.1234, 0, 1, None)] == ["20%", "12.3%", "0%", "100%", "—"]
    assert formats.pct(0.1, 2) == "10.00%" and formats.pct(0.1234, 2) == "12.34%"  # compared rates line up
    assert formats.interval((0.01, 0.025)) == "[1.00%, 2.50%]"
    assert formats.points(0.0125) == "+1.25"


def test_a_column_of_amounts_has_one_unit():
    rows = [3588.72, 23000, 560000, 1_200_000, None]
    scale = formats.money_scale(rows, "zh", "CNY")
    assert scale.label == "万元"
    assert [scale.cell(v) for v in rows] == ["0.36", "2.30", "56.00", "120.00", "—"]
    assert formats.money_scale([12.5, 300], "zh", "CNY").label == "元"
    assert formats.money_scale([3e8, 5e8], "zh", "CNY").label == "亿元"
    assert formats.money_scale([3e6, 5e6], "en", "CNY").label == "CNY m"
    assert formats.money_scale([], "zh", "CZK").label == "捷克克朗"


@given(st.lists(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), min_size=1, max_size=30))
def test_every_cell_of_a_column_is_its_value_in_the_column_unit(values):
    scale = formats.money_scale(values, "zh", "CNY")
    for v in values:
        written = float(scale.cell(v).replace(",", ""))
        assert written == pytest.approx(v / scale.divisor, abs=0.005 + 1e-9 * abs(v / scale.divisor))


def test_months_dates_and_times():
    assert formats.month("2026-09") == "2026年9月" and formats.month("2026-09", "en") == "Sep 2026"
    assert formats.month(date(2026, 9, 30)) == "2026年9月"
    assert formats.day(date(2026, 9, 30)) == "2026-09-30"
    # A moment the product recorded: UTC in the database, shown in the bank's time zone without seconds.
    stored = datetime(2026, 12, 4, 1, 57, 17, 929757, tzinfo=UTC)
    assert formats.moment(stored) == "2026-12-04 09:57"
    assert formats.moment(stored.replace(tzinfo=None)) == "2026-12-04 09:57"  # SQLite's UTC without a zone
    assert formats.moment(stored, "Europe/Prague") == "2026-12-04 02:57"
    assert formats.moment("2026-12-04T01:57:17.929757+00:00") == "2026-12-04 09:57"
    # A business time from the bank's own export is already local: shown as it is.
    assert formats.day(datetime(2026, 10, 1, 4, 39, 12)) == "2026-10-01 04:39"
    assert formats.day(stored) == "2026-12-04 09:57"  # one with a zone: in the bank's


def test_a_snapshot_is_read_as_its_build_time():
    assert formats.build_time("20261204T015717929757Z") == datetime(2026, 12, 4, 1, 57, 17, tzinfo=UTC)
    assert formats.build_time("not-a-build") is None


def test_the_bank_time_zone_is_checked_when_the_settings_load():
    from pydantic import ValidationError

    from finecrm.core.settings import BankSettings

    assert BankSettings().timezone == "Asia/Shanghai"
    with pytest.raises(ValidationError, match="not a time zone name"):
        BankSettings(timezone="Mars/Olympus")


def test_a_bilingual_text_shows_the_side_of_the_page_language():
    text = "定期占比高（74%），活跃度低（0.2 笔） / high time-deposit share (74%); low activity (0.2)"
    assert formats.in_language(text, "zh") == "定期占比高（74%），活跃度低（0.2 笔）"
    assert formats.in_language(text, "en") == "high time-deposit share (74%); low activity (0.2)"
    assert formats.in_language("只有中文", "en") == "只有中文" and formats.in_language(None) == "—"

"""Rules typed the way bank staff type them: full-width operators and Chinese quotes are read as meant, and a
refused rule names the wrong word, where it is (with a caret line under it), and what was probably meant."""

from __future__ import annotations

import pytest

from finecrm.rules import RuleError, parse_rule
from finecrm.rules.errors import caret_block
from finecrm.rules.normalize import normalize

from .data import COLUMNS

LABELS = {"age": "年龄", "tier": "客户层级", "has_online_banking": "已签约网银", "aum_avg_m": "金融资产月日均"}

#: (full-width or Chinese-quoted rule, the same rule in ASCII)
SAME_AS_ASCII = [
    ("age ＞ 30 AND tier ＝ “贵宾”", "age > 30 AND tier = '贵宾'"),
    ("age ≥ 30 AND age ≤ 60", "age >= 30 AND age <= 60"),
    ("age ≠ 40", "age <> 40"),
    ("（age ＜ 30 OR age ＞ 60）AND has_online_banking", "(age < 30 OR age > 60) AND has_online_banking"),
    ("tier IN （‘财富’，‘私行’）", "tier IN ('财富', '私行')"),
    ("age　＞　３０", "age > 30"),
]


@pytest.mark.parametrize(("wide", "ascii_"), SAME_AS_ASCII)
def test_full_width_rules_select_the_same_rows_as_ascii(customers, wide, ascii_):
    a, b = parse_rule(wide, COLUMNS), parse_rule(ascii_, COLUMNS)
    assert a == b  # the same normalized rule
    got = sorted(customers.filter(a.to_ibis(customers)).customer_id.execute().tolist())
    want = sorted(customers.filter(b.to_ibis(customers)).customer_id.execute().tolist())
    assert got == want


def test_full_width_characters_inside_ascii_quotes_are_kept():
    rule = parse_rule("tier = '城关（一）＞'", COLUMNS)
    assert rule.normalized == "tier = '城关（一）＞'"
    assert normalize("tier = “O'Brien”")[0] == "tier = 'O''Brien'"


def _refused(text: str, labels: dict[str, str] | None = None) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_rule(text, COLUMNS, labels)
    return caught.value


def test_a_misspelt_keyword_is_named_with_its_position_and_a_caret():
    text = "has_online_banking ADN age > 30"
    error = _refused(text)
    assert "'ADN'" in str(error) and "AND" in str(error)
    assert error.position == text.index("ADN") + 1 == 20
    rule_line, caret_line = str(error).splitlines()[-2:]
    assert rule_line.strip() == text
    assert caret_line.index("^") - 2 == text.index("ADN") and caret_line.strip() == "^^^"
    assert "near" not in str(error)


def test_the_caret_counts_chinese_characters_as_two_columns_and_points_at_the_text_as_typed():
    text = "（age ＞ 30）AND tier ＝ 贵宾"
    error = _refused(text)
    assert error.position == text.index("贵宾") + 1  # in the text as typed, not the normalized one
    block = caret_block(text, error.position, 2)
    rule_line, carets = block.splitlines()
    assert rule_line.strip() == text
    wide_before = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text[: text.index("贵宾")])
    assert carets.index("^") - 2 == wide_before and carets.count("^") == 4


def test_a_bare_chinese_value_is_asked_to_be_quoted():
    error = _refused("tier = 贵宾")
    assert "是否要加引号：'贵宾'？" in str(error) and "did you mean '贵宾' in quotes?" in str(error)
    # Chinese first, English second, in every part of the message.
    first = str(error).splitlines()[0]
    assert first.index("未知") < first.index("unknown")


def test_an_unknown_column_gets_the_closest_columns_by_name_and_by_chinese_label_not_a_dump():
    by_name = _refused("agee > 3", LABELS)
    assert "age（年龄）" in str(by_name)
    assert str(by_name).count(",") < 5 and "last_txn_days" not in str(by_name)
    by_label = _refused("年龄 > 30", LABELS)
    assert "age（年龄）" in str(by_label) and "加引号" not in str(by_label)
    assert "did you mean 'age'?" in str(by_label)
    partial = _refused("层级 = '贵宾'", LABELS)
    assert "tier（客户层级）" in str(partial)


def test_an_unclosed_chinese_quote_is_still_a_clear_refusal():
    error = _refused("tier = “贵宾")
    assert "规则" in str(error) or "未知" in str(error)

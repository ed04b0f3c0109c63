"""``Rule.normalized``: one canonical text per rule, stable under re-parsing."""

from __future__ import annotations

import pytest

from finecrm.rules import parse_rule

from .data import CASES, COLUMNS

SAME_RULE: list[list[str]] = [
    ["age >= 40 AND tier = '财富'", "age>=40 and tier='财富'", "  age >= 40\n   AnD  tier = '财富'  ",
     "(age >= 40) AND (tier = '财富')", '"age" >= 40 AND "tier" = \'财富\'', "((age >= 40 AND (tier = '财富')))"],
    ["age <> 40", "age != 40"],
    ["age IS NOT NULL", "NOT age IS NULL", "NOT (age IS NULL)", "age is not null", "age NOTNULL"],
    ["tier NOT IN ('大众', '贵宾')", "NOT tier IN ('大众', '贵宾')", "not (tier in ('大众','贵宾'))"],
    ["name NOT LIKE '张%'", "NOT name LIKE '张%'", "NOT (name like '张%')"],
    ["age NOT BETWEEN 1 AND 2", "NOT age BETWEEN 1 AND 2", "NOT (age BETWEEN 1 AND 2)"],
    ["age > 1 AND txn_30d > 1 AND score > 1", "(age > 1 AND txn_30d > 1) AND score > 1",
     "age > 1 AND (txn_30d > 1 AND score > 1)"],
    ["abs(age) > 1", "ABS(age) > 1", "Abs( age ) > 1"],
    ["date_diff('day', open_date, current_date) > 30", "DATE_DIFF('DAY', open_date, CURRENT_DATE) > 30",
     "datediff('day', open_date, current_date()) > 30", "date_diff('days', open_date, current_date) > 30"],
    ["open_date > DATE '2026-01-01'", "open_date > '2026-01-01'", "open_date > CAST('2026-01-01' AS DATE)",
     "open_date > '2026-01-01'::DATE", "open_date > date '2026-01-01'"],
    ["score > 0.5", "score > .5", "score > 0.50", "score > 5e-1"],
    ["age > 1000", "age > 1e3", "age > 1000.0", "age > 1_000"],
    ["age = -5", "age = - 5", "age = -(5)", "age = -(-(-5))"],
    ["has_online_banking", "(has_online_banking)"],
    ["TRUE", "true", "(TRUE)"],
    ["length(name) > 2", "len(name) > 2", "char_length(name) > 2"],
    ["coalesce(age, 0) > 1", "ifnull(age, 0) > 1", "COALESCE(age, 0) > 1"],
]


@pytest.mark.parametrize("spellings", SAME_RULE, ids=[group[0] for group in SAME_RULE])
def test_one_rule_written_differently_normalises_the_same(spellings):
    rules = [parse_rule(text, COLUMNS) for text in spellings]
    assert {rule.normalized for rule in rules} == {rules[0].normalized}
    assert rules[0].normalized == spellings[0]
    assert all(rule == rules[0] and hash(rule) == hash(rules[0]) for rule in rules)


DIFFERENT: list[tuple[str, str]] = [
    ("age > 1 OR tier = 'a' AND kind = 'b'", "age > 1 OR (tier = 'a' AND kind = 'b')"),
    ("(age > 1 OR tier = 'a') AND kind = 'b'", "(age > 1 OR tier = 'a') AND kind = 'b'"),
    ("age - (txn_30d - 1) > 0", "age - (txn_30d - 1) > 0"),
    ("age - txn_30d - 1 > 0", "age - txn_30d - 1 > 0"),
    ("(age + txn_30d) * 2 > 0", "(age + txn_30d) * 2 > 0"),
    ("age / (txn_30d * 2) > 0", "age / (txn_30d * 2) > 0"),
    ("-(age + 1) < 0", "-(age + 1) < 0"),
    ("age - -5 > 0", "age - -5 > 0"),
    ("- -age < 0", "-(-age) < 0"),
    ("NOT NOT has_online_banking", "NOT NOT has_online_banking"),
    ("NOT (has_online_banking AND has_mobile_banking)", "NOT (has_online_banking AND has_mobile_banking)"),
    ("(age > 1) = has_online_banking", "(age > 1) = has_online_banking"),
    ("(age IS NULL) IS NULL", "(age IS NULL) IS NULL"),
    ("CASE tier WHEN '财富' THEN 1 END = 1", "CASE WHEN tier = '财富' THEN 1 END = 1"),
    ("name = 'it''s'", "name = 'it''s'"),
    ("name = 'back\\slash'", "name = 'back\\slash'"),
    ('"客户等级" = \'A\'', "客户等级 = 'A'"),
    ("last_txn_at >= '2026-01-01 09:30'", "last_txn_at >= TIMESTAMP '2026-01-01 09:30:00'"),
    ("last_txn_at >= '2026-01-01'", "last_txn_at >= TIMESTAMP '2026-01-01 00:00:00'"),
]


@pytest.mark.parametrize(("text", "normalized"), DIFFERENT, ids=[text for text, _ in DIFFERENT])
def test_normalized_text(text, normalized):
    assert parse_rule(text, COLUMNS).normalized == normalized


def test_precedence_is_kept():
    loose = parse_rule("age > 1 OR tier = 'a' AND kind = 'b'", COLUMNS)
    grouped = parse_rule("(age > 1 OR tier = 'a') AND kind = 'b'", COLUMNS)
    assert loose != grouped


@pytest.mark.parametrize("text", [text for text, _ in CASES] + [text for text, _ in DIFFERENT],
                         ids=[text[:60] for text, _ in CASES] + [text for text, _ in DIFFERENT])
def test_normalized_is_a_fixed_point(text):
    once = parse_rule(text, COLUMNS).normalized
    assert parse_rule(once, COLUMNS).normalized == once


def test_rule_keeps_what_the_user_wrote():
    rule = parse_rule("age>=40", COLUMNS)
    assert rule.text == "age>=40"
    assert rule.normalized == "age >= 40"


ODD_NAMES = ["date", "year", "month", "day", "user", "order", "select", "load", "set", "interval", "current_date",
             "null", "true", "case", "end", "kind", "level", "status", "value", "key", "type", "left", "first", "all",
             "any", "filter", "over", "a b", 'a"b', "a'b", "客户 等级", "1abc", "_x", "X", "日期", "a-b", "a.b", "$x"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_any_column_name_round_trips(name):
    from finecrm.rules.render import identifier

    columns = {name: "int"}
    rule = parse_rule(f"{identifier(name)} > 1", columns)
    assert rule.columns == {name}
    assert parse_rule(rule.normalized, columns) == rule
    quoted = parse_rule('"' + name.replace('"', '""') + '" > 1', columns)
    assert quoted.normalized == rule.normalized

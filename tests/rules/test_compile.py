"""Rules that pass select exactly the rows their reading says, on a real DuckDB through Ibis."""

from __future__ import annotations

import pytest

from finecrm.rules import RuleError, parse_rule

from .data import CASES, COLUMNS, expected_ids


def _ids(table) -> set[int]:
    return set(table.customer_id.to_pyarrow().to_pylist())


@pytest.mark.parametrize(("text", "reading"), CASES, ids=[text[:60] for text, _ in CASES])
def test_rule_selects_the_rows_its_reading_selects(customers, text, reading):
    rule = parse_rule(text, COLUMNS)
    assert _ids(rule.filter(customers)) == expected_ids(reading)


@pytest.mark.parametrize(("text", "reading"), CASES[:12], ids=[text[:60] for text, _ in CASES[:12]])
def test_normalized_text_selects_the_same_rows(customers, text, reading):
    again = parse_rule(parse_rule(text, COLUMNS).normalized, COLUMNS)
    assert _ids(again.filter(customers)) == expected_ids(reading)


def test_cases_are_not_trivial():
    # A suite where every rule selects nothing (or everything) would prove little.
    sizes = [len(expected_ids(reading)) for text, reading in CASES if text not in ("TRUE", "FALSE")]
    assert all(0 < size < 10 for size in sizes), sizes


def test_to_ibis_is_a_boolean_over_the_table(customers):
    rule = parse_rule("age >= 40", COLUMNS)
    expr = rule.to_ibis(customers)
    assert expr.type().is_boolean()
    assert _ids(customers.filter(expr)) == _ids(rule.filter(customers))


def test_columns_lists_what_the_rule_reads():
    rule = parse_rule("has_online_banking AND NOT has_mobile_banking AND age < 40 AND txn_30d >= 5", COLUMNS)
    assert rule.columns == frozenset({"has_online_banking", "has_mobile_banking", "age", "txn_30d"})
    assert parse_rule("TRUE", COLUMNS).columns == frozenset()


def test_a_table_without_the_column_is_refused(duckdb_con):
    other = duckdb_con.create_table("no_age", schema={"customer_id": "int64"}, overwrite=True)
    with pytest.raises(RuleError, match="no column 'age'"):
        parse_rule("age > 1", COLUMNS).to_ibis(other)


def test_a_column_of_another_type_in_the_table_is_refused(duckdb_con):
    other = duckdb_con.create_table("age_text", schema={"age": "string"}, overwrite=True)
    with pytest.raises(RuleError, match="column 'age' was declared as"):
        parse_rule("age > 1", COLUMNS).to_ibis(other)


def test_sql_sent_to_the_engine_binds_values_it_does_not_paste_them(customers):
    import ibis

    rule = parse_rule("name = 'x'' OR 1=1 --'", COLUMNS)
    sql = ibis.to_sql(rule.filter(customers), dialect="duckdb")
    # The value arrives as one properly quoted literal, quote doubled, inside the WHERE clause.
    assert "'x'' OR 1=1 --'" in sql
    assert sql.count("WHERE") == 1

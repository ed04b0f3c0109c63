"""Rules that pass select exactly the rows their reading says, on a real DuckDB through Ibis."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finecrm.rules import RuleError, parse_rule

from .data import CASES, COLUMNS, expected_ids


def _ids(table) -> set[int]:
    return set(table.customer_id.to_pyarrow().to_pylist())


def _selected(table, rule):
    """The ids a rule selects and the engine's current_date, read in one query (so they agree)."""
    import ibis

    rows = table.select("customer_id", hit=rule.to_ibis(table), today=ibis.today()).to_pyarrow().to_pylist()
    return {row["customer_id"] for row in rows if row["hit"] is True}, rows[0]["today"]


@pytest.mark.parametrize(("text", "reading"), CASES, ids=[text[:60] for text, _ in CASES])
def test_rule_selects_the_rows_its_reading_selects(customers, text, reading):
    rule = parse_rule(text, COLUMNS)
    ids, today = _selected(customers, rule)
    assert ids == expected_ids(reading, today)
    assert _ids(rule.filter(customers)) == ids


@pytest.mark.parametrize(("text", "reading"), CASES[:12], ids=[text[:60] for text, _ in CASES[:12]])
def test_normalized_text_selects_the_same_rows(customers, text, reading):
    again = parse_rule(parse_rule(text, COLUMNS).normalized, COLUMNS)
    ids, today = _selected(customers, again)
    assert ids == expected_ids(reading, today)


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


def test_columns_from_schema_gives_the_types_a_rule_can_use(duckdb_con, customers):
    from finecrm.rules import columns_from_schema

    assert columns_from_schema(customers) == COLUMNS
    other = duckdb_con.create_table(
        "mixed", schema={"tags": "array<string>", "amount": "decimal(18, 2)", "n": "int32"}, overwrite=True
    )
    assert columns_from_schema(other.schema()) == {"amount": "decimal", "n": "int"}


def test_contract_type_names_are_accepted(duckdb_con):
    import datetime as dt

    import pyarrow as pa

    table = duckdb_con.create_table(
        "contract_like",
        pa.table({
            "id": pa.array([1, 2, 3]),
            "balance": pa.array([Decimal("10.00"), Decimal("99.99"), None], pa.decimal128(18, 2)),
            "rate": pa.array([Decimal("0.035000"), Decimal("0.021000"), Decimal("0.050000")], pa.decimal128(9, 6)),
            "month": pa.array([dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]),
        }),
        overwrite=True,
    )
    rule = parse_rule(
        "balance * rate > 0.3 OR (month >= '2026-03-01' AND rate > balance)",
        {"id": "int", "balance": "money", "rate": "rate", "month": "month"},
    )
    # 10.00 * 0.035 = 0.35 > 0.3; 99.99 * 0.021 = 2.09979 > 0.3; row 3: NULL balance, so neither side is true.
    assert set(rule.filter(table).id.to_pyarrow().to_pylist()) == {1, 2}


def test_decimals_of_different_precision_meet(duckdb_con):
    import pyarrow as pa

    table = duckdb_con.create_table(
        "decimals",
        pa.table({
            "id": pa.array([1, 2, 3]),
            "money": pa.array([Decimal("0.01"), Decimal("5.00"), Decimal("7.00")], pa.decimal128(18, 2)),
            "rate": pa.array([Decimal("0.000001"), Decimal("5.000001"), Decimal("6.999999")], pa.decimal128(9, 6)),
        }),
        overwrite=True,
    )
    columns = {"id": "int", "money": "decimal", "rate": "decimal"}
    ids = lambda text: set(parse_rule(text, columns).filter(table).id.to_pyarrow().to_pylist())  # noqa: E731
    assert ids("rate < money") == {1, 3}
    assert ids("rate > 0.000001") == {2, 3}  # exact: the literal keeps its six places
    assert ids("coalesce(rate, money) = rate AND greatest(rate, money) = money") == {1, 3}
    assert ids("money - rate BETWEEN 0.000001 AND 0.0099999") == {1, 3}

"""Properties over many inputs: nothing but RuleError escapes, and what passes is safe and faithful.

- arbitrary text and soups of SQL tokens (including every break-out piece) never raise anything
  but RuleError; whatever passes reads only allowed columns, normalises stably and runs;
- rules built from the grammar always pass, and select on DuckDB through Ibis exactly the rows that
  DuckDB's own SQL selects for the same text and for the normalized text. (Here, and only here,
  the rule text is pasted into SQL: as the reference the compiled rule is checked against.)
"""

from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finecrm.rules import RuleError, parse_rule

from .data import COLUMNS

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ids(table) -> list[int]:
    return sorted(table.customer_id.to_pyarrow().to_pylist())


def _check_passing(rule, customers) -> None:
    assert rule.columns <= set(COLUMNS)
    assert parse_rule(rule.normalized, COLUMNS).normalized == rule.normalized
    try:
        _ids(rule.filter(customers))
    except (duckdb.OutOfRangeException, duckdb.ConversionException) as error:
        # Arithmetic can overflow at run time (age * age * … * age); that is the data's doing and
        # the engine says so. Anything else failing here would be a bug in the checker.
        assert "overflow" in str(error).lower() or "out of range" in str(error).lower()


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_is_refused_or_safe(customers, text):
    try:
        rule = parse_rule(text, COLUMNS)
    except RuleError:
        return
    _check_passing(rule, customers)


VOCABULARY = [
    # columns, allowed and not
    "age", "tier", "name", "open_date", "last_txn_at", "has_online_banking", "aum_avg_m", "score", '"客户等级"',
    "agee", "t.age", "customers", "x", '"age"', "*",
    # values
    "1", "40", "0", "-1", "0.5", "1e3", "'财富'", "'a'' OR 1=1 --'", "'", "''", "NULL", "TRUE", "FALSE",
    "DATE '2026-01-01'", "'2026-01-01'", "TIMESTAMP '2026-01-01 10:00:00'", '"', "$1", "?", ":x", "@x", "$$x$$",
    # operators and punctuation
    "=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||", "::", "->", "->>", "~", "^", "&",
    "(", ")", "(", ")", ",", ";", ".", "[", "]", "{", "}", ":", "--", "/*", "*/",
    # keywords
    "AND", "OR", "NOT", "IN", "NOT IN", "BETWEEN", "LIKE", "ILIKE", "IS", "IS NULL", "IS NOT NULL", "CASE", "WHEN",
    "THEN", "ELSE", "END", "EXISTS", "SELECT", "FROM", "WHERE", "UNION", "DROP", "TABLE", "DELETE", "INSERT",
    "INTO", "UPDATE", "SET", "COPY", "ATTACH", "INSTALL", "LOAD", "PRAGMA", "CALL", "CAST", "AS", "INT", "DATE",
    "OVER", "PARTITION BY", "COLLATE", "INTERVAL", "DAY", "ESCAPE", "SYMMETRIC", "DISTINCT",
    # functions
    "abs(", "round(", "coalesce(", "least(", "greatest(", "lower(", "upper(", "length(", "trim(", "year(",
    "month(", "day(", "date_diff('day',", "current_date", "sum(", "count(", "read_csv(", "system(", "getenv(",
    "random()", "row_number()", "list_value(", "struct_pack(", "json_extract(",
]


@SETTINGS
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=25), st.sampled_from([" ", "", "\n", "  "]))
def test_token_soup_is_refused_or_safe(customers, tokens, separator):
    text = separator.join(tokens)
    try:
        rule = parse_rule(text, COLUMNS)
    except RuleError:
        return
    _check_passing(rule, customers)


# -- rules from the grammar --------------------------------------------------------------------

NUMBER_COLUMNS = ["age", "txn_30d", "last_txn_days", "aum_avg_m", "score", "customer_id"]
STRING_COLUMNS = ["tier", "kind", "name", "lifecycle", '"客户等级"']
DATE_COLUMNS = ["open_date", "last_txn_at"]
BOOL_COLUMNS = ["has_online_banking", "has_mobile_banking"]

numbers = st.sampled_from(["0", "1", "2", "5", "40", "-3", "0.5", "1.25", "500000", "365", "-0.75"])
nonzero = st.sampled_from(["2", "-4", "0.5", "10000"])
strings = st.sampled_from(["'财富'", "'私行'", "'大众'", "'individual'", "'张三'", "'a'' OR 1=1 --'", "''", "'A'",
                           "'zhangsan'", "' 空格 '"])
patterns = st.sampled_from(["'张%'", "'%公司%'", "'zhang%'", "'_四'", "'%'", "'赵_六'", "'%a%'"])
date_values = st.sampled_from([*DATE_COLUMNS, "DATE '2026-01-01'", "DATE '2025-12-31'", "current_date",
                               "TIMESTAMP '2026-01-01 09:30:00'"])
date_comparands = st.one_of(date_values, st.sampled_from(["'2024-02-29'", "'2026-02-15'"]))
compare_ops = st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="])


def number_exprs(depth: int) -> st.SearchStrategy[str]:
    base = st.one_of(st.sampled_from(NUMBER_COLUMNS), numbers)
    if depth == 0:
        return base
    inner = number_exprs(depth - 1)
    return st.one_of(
        base,
        st.builds("({} {} {})".format, inner, st.sampled_from(["+", "-", "*"]), inner),
        st.builds("({} / {})".format, inner, nonzero),
        st.builds("(- {})".format, inner),
        st.builds("abs({})".format, inner),
        st.builds("round({}, {})".format, inner, st.sampled_from(["0", "1", "2"])),
        st.builds("coalesce({}, {})".format, inner, inner),
        st.builds("{}({}, {})".format, st.sampled_from(["least", "greatest"]), inner, inner),
        st.builds("length({})".format, string_exprs(depth - 1)),
        st.builds("{}({})".format, st.sampled_from(["year", "month", "day"]), date_values),
        st.builds("date_diff('day', {}, {})".format, date_values, date_values),
        st.builds("(CASE WHEN {} THEN {} ELSE {} END)".format, bool_exprs(depth - 1), inner, inner),
    )


def string_exprs(depth: int) -> st.SearchStrategy[str]:
    base = st.one_of(st.sampled_from(STRING_COLUMNS), strings)
    if depth == 0:
        return base
    inner = string_exprs(depth - 1)
    return st.one_of(
        base,
        st.builds("{}({})".format, st.sampled_from(["lower", "upper", "trim"]), inner),
        st.builds("coalesce({}, {})".format, inner, inner),
    )


def bool_exprs(depth: int) -> st.SearchStrategy[str]:
    numbers_here = number_exprs(max(depth - 1, 0))
    strings_here = string_exprs(max(depth - 1, 0))
    base = st.one_of(
        st.sampled_from([*BOOL_COLUMNS, "TRUE", "FALSE"]),
        st.builds("{} {} {}".format, numbers_here, compare_ops, numbers_here),
        st.builds("{} {} {}".format, strings_here, compare_ops, strings_here),
        st.builds("{} {} {}".format, date_values, compare_ops, date_comparands),
        st.builds("{} {}IN ({})".format, st.sampled_from(STRING_COLUMNS), st.sampled_from(["", "NOT "]),
                  st.lists(strings, min_size=1, max_size=4).map(", ".join)),
        st.builds("{} {}IN ({})".format, st.sampled_from(NUMBER_COLUMNS), st.sampled_from(["", "NOT "]),
                  st.lists(numbers, min_size=1, max_size=4).map(", ".join)),
        st.builds("{} {}BETWEEN {} AND {}".format, numbers_here, st.sampled_from(["", "NOT "]), numbers, numbers),
        st.builds("{} {}BETWEEN {} AND {}".format, st.sampled_from(DATE_COLUMNS), st.sampled_from(["", "NOT "]),
                  date_comparands, date_comparands),
        st.builds("{} {}{} {}".format, strings_here, st.sampled_from(["", "NOT "]), st.sampled_from(["LIKE", "ILIKE"]),
                  patterns),
        st.builds("{} IS {}NULL".format, st.sampled_from(NUMBER_COLUMNS + STRING_COLUMNS + DATE_COLUMNS + BOOL_COLUMNS),
                  st.sampled_from(["", "NOT "])),
    )
    if depth == 0:
        return base
    inner = bool_exprs(depth - 1)
    return st.one_of(
        base,
        st.builds("NOT ({})".format, inner),
        st.builds("NOT {}".format, st.sampled_from(BOOL_COLUMNS)),
        st.builds("({} {} {})".format, inner, st.sampled_from(["AND", "OR"]), inner),
        st.builds("{} {} {}".format, inner, st.sampled_from(["AND", "OR"]), inner),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bool_exprs(2))
def test_rules_from_the_grammar_pass_and_mean_what_duckdb_says(duckdb_con, customers, text):
    rule = parse_rule(text, COLUMNS)
    assert rule.columns <= set(COLUMNS)
    by_ibis = _ids(rule.filter(customers))

    def by_sql(condition: str) -> list[int]:
        rows = duckdb_con.raw_sql(f"SELECT customer_id FROM customers WHERE {condition}").fetchall()
        return sorted(row[0] for row in rows)

    assert by_ibis == by_sql(text)
    assert by_ibis == by_sql(rule.normalized)
    assert parse_rule(rule.normalized, COLUMNS).normalized == rule.normalized


@st.composite
def mutated_rules(draw) -> str:
    """A valid rule with a few tokens replaced, inserted or dropped: inputs near the edge of the language."""
    tokens = draw(bool_exprs(2)).replace("(", " ( ").replace(")", " ) ").split()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(tokens)))
        action = draw(st.sampled_from(["replace", "insert", "drop"]))
        if action == "insert" or not tokens:
            tokens.insert(position, draw(st.sampled_from(VOCABULARY)))
        elif action == "replace":
            tokens[min(position, len(tokens) - 1)] = draw(st.sampled_from(VOCABULARY))
        else:
            del tokens[min(position, len(tokens) - 1)]
    return " ".join(tokens)


@SETTINGS
@given(mutated_rules())
def test_mutated_rules_are_refused_or_safe(customers, text):
    try:
        rule = parse_rule(text, COLUMNS)
    except RuleError:
        return
    _check_passing(rule, customers)

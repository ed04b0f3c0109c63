"""The allow-lists of the rule language: column types, operators, functions and limits.

Everything a rule may contain is named here; the checker refuses whatever is not. The lists are
also what error messages and ``docs/rules.md`` show to analysts, so a test keeps the docs in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from finecrm.core.limits import RULE_MAX_LENGTH

# Longer rules are refused before parsing (one limit for every place a rule is written: core.limits).
MAX_LENGTH = RULE_MAX_LENGTH
# Nesting of parentheses, CASE, NOT, unary minus and function calls. Beyond this a rule is
# unreadable, and the parser's recursion is bounded by it.
MAX_DEPTH = 50
# The parser (sqlglot) needs about 30 Python frames per level of parentheses, so up to MAX_DEPTH
# levels it gets this much room above the caller's stack while it runs.
PARSE_RECURSION_HEADROOM = 3000

# Largest integer literal: a BIGINT holds 9.2e18; 1e18 leaves room and is far above any amount.
MAX_ABS_INTEGER = 10**18
# Decimal literals are passed with exact precision (DECIMAL(p, s)); keep p within what both DuckDB
# and Spark accept.
MAX_DECIMAL_DIGITS = 18

Family = Literal["string", "number", "bool", "date", "timestamp", "null"]

# Declared column type (what callers pass in ``columns``) -> the family the checker reasons about.
# 'money', 'rate' and 'month' are the data contract's names (finecrm.contract.types.ColType), accepted
# so that a contract table's columns can be passed as they are.
COLUMN_TYPES: dict[str, Family] = {
    "string": "string",
    "int": "number",
    "float": "number",
    "decimal": "number",
    "bool": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "money": "number",
    "rate": "number",
    "month": "date",
}

# How each family is called in messages.
FAMILY_NAMES: dict[Family, str] = {
    "string": "文本 / text",
    "number": "数值 / number",
    "bool": "是否 / true-false",
    "date": "日期 / date",
    "timestamp": "时间 / timestamp",
    "null": "NULL",
}

OPERATORS_ALLOWED = (
    "= <> != < <= > >=, AND, OR, NOT, ( ), IN (…), NOT IN (…), BETWEEN … AND …, IS NULL, IS NOT NULL, "
    "LIKE, NOT LIKE, ILIKE, + - * /, CASE WHEN … THEN … ELSE … END"
)


@dataclass(frozen=True)
class FunctionDoc:
    """One allowed function as analysts see it in messages and docs."""

    name: str
    signature: str
    zh: str
    en: str


FUNCTIONS: tuple[FunctionDoc, ...] = (
    FunctionDoc("abs", "abs(x)", "绝对值", "absolute value of a number"),
    FunctionDoc("round", "round(x) / round(x, n)", "四舍五入到 n 位小数（n 为 0–10 的整数，默认 0）",
                "round to n decimal places (n a whole number 0–10, default 0)"),
    FunctionDoc("coalesce", "coalesce(a, b, …)", "取第一个非空值，如 `coalesce(aum, 0)`",
                "the first value that is not NULL, e.g. `coalesce(aum, 0)`"),
    FunctionDoc("least", "least(a, b, …)", "最小值（忽略空值）", "the smallest of the values (NULLs ignored)"),
    FunctionDoc("greatest", "greatest(a, b, …)", "最大值（忽略空值）", "the largest of the values (NULLs ignored)"),
    FunctionDoc("lower", "lower(s)", "转小写", "text in lower case"),
    FunctionDoc("upper", "upper(s)", "转大写", "text in upper case"),
    FunctionDoc("length", "length(s)", "字符个数（一个汉字算 1）", "number of characters (a Chinese character counts 1)"),
    FunctionDoc("trim", "trim(s)", "去掉首尾空白", "text without leading and trailing whitespace"),
    FunctionDoc("year", "year(d)", "日期的年份", "the year of a date or timestamp"),
    FunctionDoc("month", "month(d)", "日期的月份（1–12）", "the month of a date or timestamp (1–12)"),
    FunctionDoc("day", "day(d)", "日期的日（1–31）", "the day of the month of a date or timestamp (1–31)"),
    FunctionDoc("date_diff", "date_diff('day', a, b)", "从 a 到 b 的天数（b − a，按日历日计）",
                "days from a to b (b − a, counted in calendar days)"),
    FunctionDoc("current_date", "current_date", "今天（运行规则时的日期）", "today (the date the rule runs)"),
)

FUNCTION_NAMES: tuple[str, ...] = tuple(f.name for f in FUNCTIONS)
FUNCTIONS_ALLOWED = ", ".join(FUNCTION_NAMES)

# date_diff units: only days, because days are counted the same way on every engine; DuckDB and
# Spark disagree on what a "month" between two dates is.
DATE_DIFF_UNITS = frozenset({"DAY", "DAYS"})

ROUND_MAX_DIGITS = 10

# Words that start a SQL statement. A rule starting with one is refused before parsing with a clear
# message (and without the parser's "falling back to a command" warnings).
STATEMENT_WORDS = frozenset({
    "ALTER", "ANALYZE", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "COMMIT", "COPY", "CREATE", "DEALLOCATE",
    "DELETE", "DESCRIBE", "DETACH", "DROP", "EXECUTE", "EXPLAIN", "EXPORT", "FORCE", "FROM", "GRANT",
    "IMPORT", "INSERT", "INSTALL", "LOAD", "MERGE", "PIVOT", "PRAGMA", "PREPARE", "RESET", "REVOKE",
    "ROLLBACK", "SELECT", "SET", "SHOW", "SUMMARIZE", "TRUNCATE", "UNPIVOT", "UPDATE", "USE", "VACUUM",
    "VALUES", "WITH",
})

# Function names that read files or tables; named separately so the message says why.
TABLE_FUNCTION_PREFIXES = ("read_", "parquet_", "sqlite_", "postgres_", "mysql_", "iceberg_", "delta_")
TABLE_FUNCTIONS = frozenset({"glob", "query", "query_table", "range", "generate_series", "unnest", "json_each"})

"""What the checker says about a construct the language does not have: a table, by what the construct is.

The checker (``check.py``) allows constructs by their handlers; anything without one is refused here
with a message saying what it is and what to write instead. The table is read from the top and the
first row that matches wins, so its order matters: a subquery is a query before it is anything else,
a positioned function call (``foo(x)``) before an operator that parses as a function (``a ^ b``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from .grammar import FUNCTIONS_ALLOWED, OPERATORS_ALLOWED, TABLE_FUNCTION_PREFIXES, TABLE_FUNCTIONS


@dataclass(frozen=True)
class Refusal:
    """The message of a refusal and what to write instead (the fragment and position come from the rule)."""

    message: str
    hint: str | None = None


# Looked up by name: not every sqlglot release has every class, and a missing one must not break import.
STATEMENT_CLASSES: tuple[type[exp.Expression], ...] = (
    exp.DDL,
    exp.DML,
    exp.Command,
    *(
        getattr(exp, name)
        for name in (
            "Alter", "Analyze", "Attach", "Cache", "Commit", "Copy", "Create", "Describe", "Detach", "Drop",
            "Export", "Grant", "Install", "Kill", "LoadData", "Merge", "Pragma", "Refresh", "Revoke", "Rollback",
            "Set", "Show", "Summarize", "Transaction", "TruncateTable", "Uncache", "Use",
        )
        if hasattr(exp, name)
    ),
)
LIST_CLASSES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in ("Array", "Struct", "Map", "ToMap", "VarMap", "MapFromEntries", "Tuple", "Bracket", "PropertyEQ", "Slice")
    if hasattr(exp, name)
)
ODD_STRINGS: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in ("ByteString", "RawString", "HexString", "National", "BitString", "HeredocString", "UnicodeString")
    if hasattr(exp, name)
)
PLACEHOLDERS: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in ("Placeholder", "Parameter", "SessionParameter", "Kwarg") if hasattr(exp, name)
)

SUBQUERY = Refusal("不允许子查询 / subqueries are not allowed (SELECT, EXISTS, IN (SELECT …))",
                   "compare with fixed values, e.g. aum_avg_m > 500000 or tier IN ('财富', '私行')")
STAR = Refusal("不允许 * / '*' is not allowed", "name the columns the rule needs")
CAST = Refusal("不允许类型转换 / casts (CAST, TRY_CAST, ::) are not allowed",
               "for a date write DATE '2026-01-01'; for a timestamp TIMESTAMP '2026-01-01 09:30:00'")
OPERATOR = Refusal("不允许的运算符 / this operator is not allowed", f"operators allowed: {OPERATORS_ALLOWED}")
#: When no row of the table matches.
OTHER = Refusal("规则中不允许这种写法 / this is not allowed in a rule",
                f"rules may use columns, values, {OPERATORS_ALLOWED} and the functions {FUNCTIONS_ALLOWED}")


def _aggregate(name: str) -> Refusal:
    hint = "a rule looks at one row (one customer) at a time; use a prepared column such as txn_30d"
    if name.lower() in ("max", "min"):
        hint += f"; for the {'larger' if name.lower() == 'max' else 'smaller'} of several values use " \
                f"{'greatest' if name.lower() == 'max' else 'least'}(a, b)"
    return Refusal(f"不允许聚合函数 / aggregate functions such as sum, count, avg, max are not allowed: {name}", hint)


def _function(name: str, e: exp.Expression) -> Refusal:
    lowered = name.lower()
    if lowered.startswith(TABLE_FUNCTION_PREFIXES) or lowered in TABLE_FUNCTIONS or type(e).__name__.startswith("Read"):
        return Refusal("不允许读取文件或表 / reading files or tables is not allowed",
                       "a rule can only use the columns listed for it")
    return Refusal(f"不允许的函数 / function '{name}' is not allowed", f"functions allowed: {FUNCTIONS_ALLOWED}")


def _is_json(e: exp.Expression) -> bool:
    return type(e).__name__.startswith(("JSON", "JSONB"))


def _is_if(e: exp.Expression) -> bool:
    return isinstance(e, exp.If) or (isinstance(e, exp.Anonymous) and str(e.name).lower() in ("if", "iff", "iif"))


def _is_function_call(e: exp.Expression) -> bool:
    # Function nodes without a position of their own come from operator syntax (a ^ b, a ~ b): those are
    # operators, further down.
    return isinstance(e, exp.Func) and (isinstance(e, exp.Anonymous) or "start" in e.meta)


#: A row: which constructs (classes, or a test) and what is said of them — a fixed Refusal, or one built
#: from the function's name as written (and the construct).
Matches = tuple[type[exp.Expression], ...] | Callable[[exp.Expression], bool]
Says = Refusal | Callable[[str, exp.Expression], Refusal]

REFUSALS: tuple[tuple[Matches, Says], ...] = (
    ((exp.Subquery, exp.Exists, exp.Query), SUBQUERY),
    (STATEMENT_CLASSES, Refusal("规则只能是条件，不能是 SQL 语句 / a rule is a condition, not a SQL statement",
                                "write only the condition, e.g. age >= 40 AND tier = '财富'")),
    ((exp.Star,), STAR),
    ((exp.Dot, exp.Table), Refusal("只能直接写列名 / only bare column names are allowed, not tables or qualified names",
                                   "e.g. age, not t.age or main.customers.age")),
    (PLACEHOLDERS, Refusal("不允许参数占位符 / placeholders and parameters ($1, ?, :name, @name) are not allowed",
                           "write the value itself, e.g. age >= 40")),
    ((exp.Window,), Refusal("不允许窗口函数 / window functions (… OVER (…)) are not allowed",
                            "a rule looks at one row (one customer) at a time; rankings come from prepared columns")),
    ((exp.AggFunc,), lambda name, e: _aggregate(name)),
    ((exp.Lambda,), Refusal("不允许 lambda 表达式 / lambdas (x -> …) are not allowed")),
    # DuckDB's lambda arrow x -> x + 1 parses as the JSON arrow, so the message names both.
    (_is_json, Refusal("不允许 JSON 运算或 lambda / JSON operators (->, ->>, json_…) and lambdas (x -> …) are not allowed")),
    ((exp.Collate,), Refusal("不允许 COLLATE / COLLATE is not allowed",
                             "for case-insensitive matching use ILIKE or lower(x)")),
    ((exp.Cast, exp.TryCast), CAST),
    ((exp.Interval,), Refusal("不允许 INTERVAL / INTERVAL is not allowed",
                              "to compare dates use date_diff('day', open_date, current_date) > 30")),
    (LIST_CLASSES, Refusal("不允许列表、结构或映射 / lists, structs and maps are not allowed; only IN (…) takes a list of values",
                           "e.g. tier IN ('财富', '私行')")),
    ((exp.Alias,), Refusal("不允许别名 (AS) / aliases (AS) are not allowed")),
    (ODD_STRINGS, Refusal("只允许普通文本 '…' / only plain text in single quotes is allowed",
                          "write 'text'; to put a quote inside, double it: 'O''Brien'")),
    (_is_if, Refusal("不允许 if() 函数 / if() is not allowed", "use CASE WHEN … THEN … ELSE … END")),
    (_is_function_call, _function),
    ((exp.Func, exp.Binary, exp.Unary, exp.Predicate, exp.Escape), OPERATOR),
)


def refusal(e: exp.Expression, function_name: Callable[[exp.Expression], str]) -> Refusal:
    """What to say about ``e``: the first row of :data:`REFUSALS` that matches, else :data:`OTHER`.

    ``function_name`` gives a function's name as the analyst wrote it (asked only for rows that need it).
    """
    for matches, says in REFUSALS:
        if isinstance(e, matches) if isinstance(matches, tuple) else matches(e):
            return says if isinstance(says, Refusal) else says(function_name(e), e)
    return OTHER

"""The checked rule tree as an Ibis expression over a table.

Ibis, not SQL text, is the output: the backend (DuckDB, Spark) writes its own SQL with its own
quoting, so a value in a rule is always a bound literal and never text pasted into a statement.
A few choices make a rule mean the same on every engine:

- ``a / b`` is ``a / nullif(b, 0)``: dividing by zero gives NULL (the row does not match) instead
  of DuckDB's infinity or Spark's error;
- ``date_diff('day', a, b)`` works on dates: timestamps are cut to their date first, so it counts
  calendar days on both engines;
- a date compared with a timestamp is taken as midnight of that date;
- decimal literals carry their exact precision, so 0.000001 is not rounded away;
- numbers that meet (compared, combined, chosen by CASE/coalesce/least/greatest) are widened the
  way SQL widens them: integers and decimals to one decimal that holds both, anything with a
  double to double; sums and products of decimals get their exact SQL type. (Ibis alone refuses
  to compare DECIMAL(18,2) money with a DECIMAL(9,6) rate, and under-types decimal products.)
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from .nodes import (
    Arith,
    Between,
    BoolOp,
    Case,
    Col,
    Compare,
    CurrentDate,
    Func,
    InList,
    IsNull,
    Like,
    Lit,
    Neg,
    Node,
    Not,
)

# The widest decimal DuckDB and Spark both hold.
_MAX_PRECISION = 38

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def compile_rule(node: Node, table: ir.Table) -> ir.Value:
    """Translate a checked tree into an Ibis value expression over ``table``."""
    return _Compiler(table).value(node)


class _Compiler:
    def __init__(self, table: ir.Table) -> None:
        self.table = table

    def value(self, node: Node) -> Any:
        if isinstance(node, Col):
            return self.table[node.name]
        if isinstance(node, Lit):
            return _literal(node)
        if isinstance(node, CurrentDate):
            return ibis.today()
        if isinstance(node, BoolOp):
            combine = operator.and_ if node.op == "AND" else operator.or_
            return _balanced([self.value(operand) for operand in node.operands], combine)
        if isinstance(node, Not):
            return ~self.value(node.operand)
        if isinstance(node, Compare):
            left, right = self.aligned([node.left, node.right])
            return _COMPARE[node.op](left, right)
        if isinstance(node, IsNull):
            operand = self.value(node.operand)
            return operand.notnull() if node.negated else operand.isnull()
        if isinstance(node, InList):
            operand, *values = self.aligned([node.operand, *node.values])
            return operand.notin(values) if node.negated else operand.isin(values)
        if isinstance(node, Between):
            operand, low, high = self.aligned([node.operand, node.low, node.high])
            result = operand.between(low, high)
            return ~result if node.negated else result
        if isinstance(node, Like):
            operand, pattern = self.value(node.operand), self.value(node.pattern)
            result = operand.ilike(pattern) if node.case_insensitive else operand.like(pattern)
            return ~result if node.negated else result
        if isinstance(node, Arith):
            left, right = self.aligned([node.left, node.right])
            if node.op == "/":
                return left / right.nullif(0)
            result = {"+": operator.add, "-": operator.sub, "*": operator.mul}[node.op](left, right)
            exact = _exact_result(node.op, left.type(), right.type())
            # Ibis types DECIMAL(18,2) * DECIMAL(18,2) as DECIMAL(18,2); the engines compute the
            # product as DECIMAL(36,4). Casting to the true type costs nothing and keeps a later
            # comparison (which may cast to a common type) from rounding the product.
            return result.cast(exact) if exact is not None else result
        if isinstance(node, Neg):
            return -self.value(node.operand)
        if isinstance(node, Case):
            conditions = [self.value(condition) for condition, _ in node.whens]
            results = self.aligned([result for _, result in node.whens]
                                   + ([node.default] if node.default is not None else []))
            default = results.pop() if node.default is not None else None
            return ibis.cases(*zip(conditions, results, strict=True), else_=default)
        if isinstance(node, Func):
            return self.function(node)
        raise TypeError(f"not a rule node: {node!r}")

    def aligned(self, nodes: Sequence[Node]) -> list[Any]:
        """Compile values that meet each other (compared, combined, chosen among) to one type.

        When dates meet timestamps, dates become timestamps. When decimals of different precision
        meet, all become one decimal wide enough for each: Ibis refuses to compare or add, say,
        DECIMAL(18,2) money with a DECIMAL(9,6) rate, and SQL would widen them the same way.
        """
        families = {node.family for node in nodes}
        to_timestamp = "timestamp" in families and "date" in families
        out = []
        for node in nodes:
            if to_timestamp and node.family == "date":
                if isinstance(node, Lit) and isinstance(node.value, datetime.date):
                    out.append(ibis.literal(datetime.datetime.combine(node.value, datetime.time()), type="timestamp"))
                else:
                    out.append(self.value(node).cast("timestamp"))
            else:
                out.append(self.value(node))
        types = [value.type() for value in out]
        if any(t.is_decimal() for t in types):
            if any(t.is_floating() for t in types):
                # As in SQL, a decimal meeting a double becomes a double.
                out = [v.cast("float64") if t.is_decimal() else v for v, t in zip(out, types, strict=True)]
            else:
                exact = [t for t in types if t.is_decimal() or t.is_integer()]
                if len(set(exact)) > 1:
                    common = _common_decimal(exact)
                    out = [v.cast(common) if t.is_decimal() or t.is_integer() else v
                           for v, t in zip(out, types, strict=True)]
        return out

    def function(self, node: Func) -> Any:
        name = node.name
        if name == "date_diff":
            start, end = (self.as_date(arg) for arg in node.args)
            return end.delta(start, unit="day")
        if name in ("coalesce", "least", "greatest"):
            args = self.aligned(node.args)
            return {"coalesce": ibis.coalesce, "least": ibis.least, "greatest": ibis.greatest}[name](*args)
        arg = self.value(node.args[0])
        if name == "round":
            digits = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], Lit) else 0
            return arg.round(digits)
        method = {"abs": "abs", "lower": "lower", "upper": "upper", "length": "length", "trim": "strip",
                  "year": "year", "month": "month", "day": "day"}[name]
        return getattr(arg, method)()

    def as_date(self, node: Node) -> Any:
        if node.family == "timestamp":
            return self.value(node).date()
        return self.value(node)


def _literal(node: Lit) -> Any:
    value = node.value
    if value is None:
        return ibis.null()
    if isinstance(value, bool):
        return ibis.literal(value, type="boolean")
    if isinstance(value, int):
        return ibis.literal(value, type="int64")
    if isinstance(value, Decimal):
        _, digits, exponent = value.as_tuple()
        scale = max(-int(exponent), 0)
        precision = max(len(digits), scale + 1)
        return ibis.literal(value, type=dt.Decimal(precision=precision, scale=scale))
    if isinstance(value, datetime.datetime):
        return ibis.literal(value, type="timestamp")
    if isinstance(value, datetime.date):
        return ibis.literal(value, type="date")
    return ibis.literal(value, type="string")


def _as_decimal(dtype: dt.DataType) -> tuple[int, int]:
    """(precision, scale) of an exact numeric type; an integer is a decimal without places."""
    if isinstance(dtype, dt.Decimal):
        return (dtype.precision or _MAX_PRECISION, dtype.scale or 0)
    return ({1: 3, 2: 5, 4: 10}.get(dtype.nbytes, 20), 0)


def _common_decimal(types: list[dt.DataType]) -> dt.Decimal:
    """The narrowest decimal that holds every value of each type, as SQL widens them."""
    pairs = [_as_decimal(t) for t in types]
    scale = max(s for _, s in pairs)
    whole = max(p - s for p, s in pairs)
    return dt.Decimal(precision=min(whole + scale, _MAX_PRECISION), scale=min(scale, _MAX_PRECISION - 1))


def _exact_result(op: str, left: dt.DataType, right: dt.DataType) -> dt.Decimal | None:
    """The type SQL gives + - * of two decimals (DuckDB and Spark agree), capped at 38 digits."""
    if not (left.is_decimal() and right.is_decimal()):
        return None
    (p1, s1), (p2, s2) = _as_decimal(left), _as_decimal(right)
    if op == "*":
        scale, precision = s1 + s2, p1 + p2
    else:
        scale = max(s1, s2)
        precision = max(p1 - s1, p2 - s2) + scale + 1
    precision = min(precision, _MAX_PRECISION)
    return dt.Decimal(precision=precision, scale=min(scale, precision - 1))


def _balanced(values: list[Any], combine: Callable[[Any, Any], Any]) -> Any:
    """Combine many operands as a balanced tree: a long OR list must not nest hundreds deep."""
    while len(values) > 1:
        paired = [combine(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
        if len(values) % 2:
            paired.append(values[-1])
        values = paired
    return values[0]

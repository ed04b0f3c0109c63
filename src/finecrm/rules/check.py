"""The checker: sqlglot's syntax tree in, the checked rule tree (``nodes``) out, or a RuleError.

It walks the tree with an allow-list: each construct the language allows has a handler below that
checks its arguments and types and builds the matching node; any other construct is refused with
a message saying what it is and what to write instead (the table in ``refusals``). A handler only
ever builds nodes from children it has itself checked, so nothing unchecked can slip into the result.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import cast

from sqlglot import exp

from .errors import RuleError
from .grammar import (
    COLUMN_TYPES,
    DATE_DIFF_UNITS,
    FAMILY_NAMES,
    MAX_ABS_INTEGER,
    MAX_DECIMAL_DIGITS,
    MAX_DEPTH,
    ROUND_MAX_DIGITS,
    Family,
)
from .nodes import (
    Arith,
    ArithOp,
    Between,
    BoolOp,
    Case,
    Col,
    Compare,
    CompareOp,
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
from .parse import TOO_DEEP, TOO_DEEP_HINT
from .refusals import CAST, STAR, SUBQUERY, Refusal, refusal
from .render import render

_COMPARE_OPS: dict[type[exp.Expression], CompareOp] = {
    exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">=",
}
_ARITH_OPS: dict[type[exp.Expression], ArithOp] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}
_TEMPORAL: frozenset[Family] = frozenset({"date", "timestamp"})
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
_DATE_TYPES = {exp.DataType.Type.DATE: "date", exp.DataType.Type.TIMESTAMP: "timestamp",
               exp.DataType.Type.TIMESTAMPNTZ: "timestamp"}

def check_tree(tree: exp.Expression, text: str, columns: Mapping[str, str],
               labels: Mapping[str, str] | None = None) -> Node:
    """Check a parsed rule and return its checked tree; the whole rule must be a condition.

    ``labels`` (column → its Chinese name) lets an unknown word be matched to a column by name too."""
    checker = _Checker(text, columns, labels or {})
    node = checker.visit(tree, 0)
    if node.family != "bool":
        raise RuleError(
            "规则必须是条件（真/假）/ a rule must be a condition (true/false), e.g. age >= 40",
            fragment=render(node),
            hint=f"this is {_describe(node)}",
        )
    return node


def _describe(node: Node) -> str:
    """How a value is named in a message: a column with its declared type, or the value and its family."""
    if isinstance(node, Col):
        return f"column '{node.name}' of type {node.declared} ({FAMILY_NAMES[node.family]})"
    return f"{render(node)} ({FAMILY_NAMES[node.family]})"


class _Checker:
    def __init__(self, text: str, columns: Mapping[str, str], labels: Mapping[str, str]) -> None:
        self.text = text
        self.columns = columns
        self.labels = labels
        self.handlers: dict[type[exp.Expression], Callable[[exp.Expression, int], Node]] = {
            exp.Column: self._column,
            exp.Literal: self._literal,
            exp.Boolean: self._boolean,
            exp.Null: self._null,
            exp.Cast: self._typed_literal,
            exp.And: self._bool_op,
            exp.Or: self._bool_op,
            exp.Not: self._not,
            exp.Is: self._is,
            exp.In: self._in,
            exp.Between: self._between,
            exp.Like: self._like,
            exp.ILike: self._like,
            exp.Neg: self._neg,
            exp.Case: self._case,
            exp.CurrentDate: self._current_date,
            exp.DateDiff: self._date_diff,
            exp.Round: self._round,
            exp.Trim: self._trim,
            exp.Length: self._length,
            exp.Coalesce: self._variadic,
            exp.Least: self._variadic,
            exp.Greatest: self._variadic,
        }
        for cls in _COMPARE_OPS:
            self.handlers[cls] = self._compare
        for cls in _ARITH_OPS:
            self.handlers[cls] = self._arith
        for cls in (exp.Abs, exp.Lower, exp.Upper, exp.Year, exp.Month, exp.Day):
            self.handlers[cls] = self._unary_function

    # -- walking -----------------------------------------------------------------------------

    def visit(self, e: exp.Expression, depth: int) -> Node:
        while isinstance(e, exp.Paren):
            # Parentheses only group; the tree keeps the grouping and the renderer puts back
            # the parentheses it needs. Their nesting is bounded by the token check.
            e = e.this
        depth += 1
        if depth > MAX_DEPTH:
            raise RuleError(TOO_DEEP, position=self._position(e), hint=TOO_DEEP_HINT)
        handler = self.handlers.get(type(e))
        if handler is None:
            raise self._refusal(e)
        return handler(e, depth)

    def _position(self, e: exp.Expression) -> int | None:
        starts = [node.meta["start"] for node in e.walk() if isinstance(node.meta.get("start"), int)]
        return min(starts) + 1 if starts else None

    def _fragment(self, e: exp.Expression) -> str:
        try:
            return e.sql(dialect="duckdb")
        except Exception:  # rendering a refused construct is best effort; the class name still says what it is
            return type(e).__name__

    def _error(self, message: str, e: exp.Expression, hint: str | None = None, *, fragment: str | None = None) -> RuleError:
        return RuleError(
            message, fragment=fragment if fragment is not None else self._fragment(e),
            position=self._position(e), hint=hint,
        )

    def _expect_args(self, e: exp.Expression, allowed: set[str], what: str) -> None:
        """Refuse any argument the handler does not read (modifiers such as ESCAPE, FORMAT, …)."""
        for key, value in e.args.items():
            if key not in allowed and value not in (None, False, [], ""):
                raise self._error(f"不允许这种写法 / this form of {what} is not allowed", e)

    # -- values ------------------------------------------------------------------------------

    def _column(self, e: exp.Expression, depth: int) -> Node:
        if isinstance(e.this, exp.Star):
            raise self._refuse(STAR, e)
        if any(e.args.get(part) for part in ("table", "db", "catalog")):
            raise self._error(
                "只能直接写列名 / only bare column names are allowed, not table-qualified ones",
                e, hint=f"write {e.name!r} without the table, e.g. age, not t.age",
            )
        ident = e.this
        if not isinstance(ident, exp.Identifier):
            raise self._refusal(ident)
        self._expect_args(e, {"this"}, "column")
        self._expect_args(ident, {"this", "quoted"}, "column name")
        name = ident.name
        declared = self.columns.get(name)
        if declared is None:
            raise self._unknown_column(name, e)
        return Col(name, declared, COLUMN_TYPES[declared])

    def _unknown_column(self, name: str, e: exp.Expression) -> RuleError:
        message, hint = unknown_word(name, self.columns, self.labels, quoted=bool(e.this.args.get("quoted")))
        return RuleError(message, position=self._position(e), hint=hint, length=len(name))

    def _literal(self, e: exp.Expression, depth: int) -> Node:
        literal = cast(exp.Literal, e)
        if literal.is_string:
            return Lit(literal.this, "string")
        return Lit(self._number(literal.this, e), "number")

    def _number(self, written: str, e: exp.Expression) -> int | Decimal:
        try:
            value = Decimal(written)
        except InvalidOperation:
            raise self._error("无法识别的数字 / not a number", e) from None
        if not value.is_finite():
            raise self._error("无法识别的数字 / not a number", e)
        if value.is_zero():
            return 0
        if value.adjusted() >= 18:
            raise self._error(
                "数字过大 / the number is too large", e, hint="numbers must be below 1,000,000,000,000,000,000"
            )
        if value == value.to_integral_value():
            integer = int(value)
            if abs(integer) >= MAX_ABS_INTEGER:
                raise self._error("数字过大 / the number is too large", e)
            return integer
        value = value.normalize()
        digits = value.as_tuple().digits
        scale = -int(value.as_tuple().exponent)
        if max(len(digits), scale) > MAX_DECIMAL_DIGITS:
            raise self._error(
                f"数字位数过多 / the number has too many digits (at most {MAX_DECIMAL_DIGITS})", e
            )
        return value

    def _boolean(self, e: exp.Expression, depth: int) -> Node:
        return Lit(bool(e.this), "bool")

    def _null(self, e: exp.Expression, depth: int) -> Node:
        return Lit(None, "null")

    def _typed_literal(self, e: exp.Expression, depth: int) -> Node:
        """DATE '2026-01-01' and TIMESTAMP '…' arrive as casts of a string; no other cast passes."""
        to = e.args.get("to")
        value = e.this
        family = _DATE_TYPES.get(to.this) if isinstance(to, exp.DataType) and not to.expressions else None
        if (
            family is None
            or not isinstance(value, exp.Literal)
            or not value.is_string
            or any(e.args.get(k) for k in ("format", "safe", "action", "default"))
        ):
            raise self._refuse(CAST, e)
        return self._temporal_literal(value.this, cast(Family, family), e)

    def _temporal_literal(self, written: str, family: Family, e: exp.Expression) -> Lit:
        try:
            if family == "date" and _DATE_RE.fullmatch(written):
                return Lit(datetime.date.fromisoformat(written), "date")
            if family == "timestamp" and _TIMESTAMP_RE.fullmatch(written):
                return Lit(datetime.datetime.fromisoformat(written), "timestamp")
            if family == "timestamp" and _DATE_RE.fullmatch(written):
                return Lit(datetime.datetime.fromisoformat(written), "timestamp")
        except ValueError:
            pass
        example = "DATE '2026-01-31'" if family == "date" else "TIMESTAMP '2026-01-31 09:30:00'"
        raise self._error(
            f"不是有效的{'日期' if family == 'date' else '时间'} / '{written}' is not a valid {family}",
            e, hint=f"write it like {example}", fragment="",
        )

    def _current_date(self, e: exp.Expression, depth: int) -> Node:
        self._expect_args(e, set(), "current_date")
        return CurrentDate()

    # -- conditions --------------------------------------------------------------------------

    def _bool_op(self, e: exp.Expression, depth: int) -> Node:
        cls = type(e)
        word = "AND" if cls is exp.And else "OR"
        # Flatten a chain of the same operator without recursion: long OR lists stay cheap and
        # 'a AND (b AND c)' and 'a AND b AND c' become the same rule.
        operands: list[exp.Expression] = []
        stack = [e]
        while stack:
            current = stack.pop()
            while isinstance(current, exp.Paren):
                current = current.this
            if type(current) is cls:
                stack.append(current.expression)
                stack.append(current.this)
            else:
                operands.append(current)
        checked = tuple(self._condition(child, depth, word) for child in operands)
        return BoolOp("AND" if word == "AND" else "OR", checked)

    def _condition(self, e: exp.Expression, depth: int, where: str) -> Node:
        node = self.visit(e, depth)
        if node.family != "bool":
            raise self._error(
                f"{where} 两边必须是条件 / {where} needs conditions (true/false), not values",
                e, hint=f"this is {_describe(node)}; write e.g. {render(node)} > 0",
            )
        return node

    def _not(self, e: exp.Expression, depth: int) -> Node:
        inner = e.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        # NOT x IS NULL, NOT x IN (…), NOT x LIKE …, NOT x BETWEEN … are how the parser spells
        # IS NOT NULL, NOT IN, NOT LIKE, NOT BETWEEN: keep them as one negated predicate.
        if type(inner) in (exp.Is, exp.In, exp.Like, exp.ILike, exp.Between):
            node = self.visit(inner, depth - 1)
            if isinstance(node, IsNull | InList | Like | Between):
                return replace(node, negated=not node.negated)
        return Not(self._condition(e.this, depth, "NOT"))

    def _compare(self, e: exp.Expression, depth: int) -> Node:
        op = _COMPARE_OPS[type(e)]
        left = self.visit(e.this, depth)
        right = self.visit(e.expression, depth)
        left, right = self._comparable(left, right, op, e)
        return Compare(op, left, right)

    def _comparable(self, left: Node, right: Node, op: str, e: exp.Expression) -> tuple[Node, Node]:
        """Check two values may be compared; text written for a date becomes a date."""
        left = self._as_temporal_if(left, right.family, e)
        right = self._as_temporal_if(right, left.family, e)
        families = {left.family, right.family}
        if "null" in families:
            raise self._error(
                f"不能用 {op} 和 NULL 比较 / comparing with NULL using {op} never matches",
                e, hint="use IS NULL or IS NOT NULL",
            )
        if left.family == right.family or families <= _TEMPORAL:
            return left, right
        raise self._mismatch(left, right, e)

    def _as_temporal_if(self, node: Node, other: Family, e: exp.Expression) -> Node:
        if other in _TEMPORAL and isinstance(node, Lit) and node.family == "string":
            return self._temporal_literal(cast(str, node.value), other, e)
        return node

    def _mismatch(self, left: Node, right: Node, e: exp.Expression) -> RuleError:
        column, other = (left, right) if isinstance(left, Col) else (right, left)
        hint = None
        if not isinstance(column, Col):
            pass
        elif column.family == "string" and other.family == "number" and isinstance(other, Lit):
            hint = f"put text in quotes, e.g. {render(column)} = '{render(other)}'"
        elif column.family == "number" and other.family == "string" and isinstance(other, Lit):
            hint = f"write numbers without quotes, e.g. {render(column)} = {other.value}"
        elif column.family in _TEMPORAL:
            hint = "compare dates with dates, e.g. open_date >= DATE '2026-01-01'"
        return self._error(
            f"类型不匹配 / type mismatch: cannot compare {_describe(column)} with {_describe(other)}",
            e, hint=hint,
        )

    def _is(self, e: exp.Expression, depth: int) -> Node:
        if not isinstance(e.expression, exp.Null):
            raise self._error(
                "IS 只能用于 IS NULL / IS NOT NULL / IS is only allowed as IS NULL or IS NOT NULL",
                e, hint="for a true/false column write has_mobile_banking or NOT has_mobile_banking",
            )
        return IsNull(self.visit(e.this, depth), negated=False)

    def _in(self, e: exp.Expression, depth: int) -> Node:
        if e.args.get("query") is not None:
            raise self._refuse(SUBQUERY, e)
        self._expect_args(e, {"this", "expressions"}, "IN")
        values = e.expressions
        if not values:
            raise self._error("IN 需要至少一个值 / IN needs at least one value", e,
                              hint="e.g. tier IN ('财富', '私行')")
        operand = self.visit(e.this, depth)
        checked: list[Lit] = []
        for value in values:
            node = self.visit(value, depth)
            if not isinstance(node, Lit):
                raise self._error(
                    "IN (…) 中只能写固定值 / IN (…) takes only fixed values",
                    value, hint="e.g. tier IN ('财富', '私行'); to compare with a column use =",
                )
            if node.family == "null":
                raise self._error("IN (…) 中不能有 NULL / NULL in IN (…) never matches", value,
                                  hint="use IS NULL")
            _, node_checked = self._comparable(operand, node, "IN", value)
            checked.append(cast(Lit, node_checked))
        return InList(operand, tuple(checked), negated=False)

    def _between(self, e: exp.Expression, depth: int) -> Node:
        if e.args.get("symmetric"):
            raise self._error("不允许 BETWEEN SYMMETRIC / BETWEEN SYMMETRIC is not allowed", e,
                              hint="write the smaller bound first: x BETWEEN low AND high")
        self._expect_args(e, {"this", "low", "high"}, "BETWEEN")
        operand = self.visit(e.this, depth)
        low = self.visit(e.args["low"], depth)
        high = self.visit(e.args["high"], depth)
        operand, low = self._comparable(operand, low, "BETWEEN", e)
        operand, high = self._comparable(operand, high, "BETWEEN", e)
        return Between(operand, low, high, negated=False)

    def _like(self, e: exp.Expression, depth: int) -> Node:
        word = "ILIKE" if type(e) is exp.ILike else "LIKE"
        self._expect_args(e, {"this", "expression"}, word)
        operand = self.visit(e.this, depth)
        pattern = self.visit(e.expression, depth)
        for node in (operand, pattern):
            if node.family != "string":
                raise self._error(
                    f"{word} 只能用于文本 / {word} works on text only, but this is {_describe(node)}",
                    e, hint="e.g. name LIKE '张%'",
                )
        return Like(operand, pattern, negated=False, case_insensitive=word == "ILIKE")

    # -- numbers -----------------------------------------------------------------------------

    def _arith(self, e: exp.Expression, depth: int) -> Node:
        op = _ARITH_OPS[type(e)]
        self._expect_args(e, {"this", "expression", "typed", "safe"}, op)
        left = self.visit(e.this, depth)
        right = self.visit(e.expression, depth)
        for node in (left, right):
            if node.family != "number":
                hint = (
                    "to count days between dates use date_diff('day', open_date, current_date)"
                    if node.family in _TEMPORAL else None
                )
                raise self._error(
                    f"{op} 只能用于数值 / {op} works on numbers only, but this is {_describe(node)}", e, hint=hint
                )
        if op == "/" and isinstance(right, Lit) and right.value == 0:
            raise self._error("除数不能为 0 / division by zero", e)
        return Arith(op, left, right)

    def _neg(self, e: exp.Expression, depth: int) -> Node:
        operand = self.visit(e.this, depth)
        if operand.family != "number":
            raise self._error(f"负号只能用于数值 / unary minus works on numbers only, but this is {_describe(operand)}", e)
        if isinstance(operand, Lit) and isinstance(operand.value, int | Decimal) and not isinstance(operand.value, bool):
            # -5 is a number, not an operation; storing it as one keeps normalisation stable.
            return Lit(-operand.value, "number")
        return Neg(operand)

    # -- CASE ------------------------------------------------------------------------------

    def _case(self, e: exp.Expression, depth: int) -> Node:
        self._expect_args(e, {"this", "ifs", "default"}, "CASE")
        subject = self.visit(e.this, depth) if e.this is not None else None
        whens: list[tuple[Node, Node]] = []
        for branch in e.args.get("ifs") or []:
            if not isinstance(branch, exp.If):
                raise self._refusal(branch)
            self._expect_args(branch, {"this", "true"}, "WHEN")
            if subject is None:
                condition = self._condition(branch.this, depth, "WHEN")
            else:
                # CASE x WHEN v THEN … is CASE WHEN x = v THEN …
                value = self.visit(branch.this, depth)
                left, right = self._comparable(subject, value, "=", branch)
                condition = Compare("=", left, right)
            whens.append((condition, self.visit(branch.args["true"], depth)))
        default = self.visit(e.args["default"], depth) if e.args.get("default") is not None else None
        results = [result for _, result in whens] + ([default] if default is not None else [])
        family = self._unify(results, e, "CASE 的结果 / the results of CASE")
        return Case(tuple(whens), default, family)

    def _unify(self, nodes: list[Node], e: exp.Expression, what: str) -> Family:
        families = {node.family for node in nodes} - {"null"}
        if not families:
            return "null"
        if len(families) == 1:
            return families.pop()
        if families == _TEMPORAL:
            return "timestamp"
        shown = ", ".join(sorted(FAMILY_NAMES[f] for f in families))
        raise self._error(f"类型不一致 / {what} must all be of one type, not a mix of {shown}", e)

    # -- functions ---------------------------------------------------------------------------

    def _function_name(self, e: exp.Expression) -> str:
        if isinstance(e, exp.Anonymous):
            return str(e.name)
        start, end = e.meta.get("start"), e.meta.get("end")
        if isinstance(start, int) and isinstance(end, int):
            return self.text[start : end + 1]
        return e.sql_name().lower() if isinstance(e, exp.Func) else type(e).__name__.lower()

    def _argument(self, e: exp.Expression, depth: int, families: frozenset[Family], name: str) -> Node:
        node = self.visit(e, depth)
        if node.family not in families:
            wanted = " or ".join(FAMILY_NAMES[f] for f in sorted(families))
            raise self._error(
                f"{name}() 的参数类型不对 / {name}() needs {wanted}, but this is {_describe(node)}", e
            )
        return node

    def _unary_function(self, e: exp.Expression, depth: int) -> Node:
        name = type(e).__name__.lower()
        self._expect_args(e, {"this"}, f"{name}()")
        if name in ("abs",):
            return Func(name, (self._argument(e.this, depth, frozenset({"number"}), name),), "number")
        if name in ("lower", "upper"):
            return Func(name, (self._argument(e.this, depth, frozenset({"string"}), name),), "string")
        return Func(name, (self._argument(e.this, depth, _TEMPORAL, name),), "number")  # year, month, day

    def _length(self, e: exp.Expression, depth: int) -> Node:
        self._expect_args(e, {"this"}, "length()")
        return Func("length", (self._argument(e.this, depth, frozenset({"string"}), "length"),), "number")

    def _trim(self, e: exp.Expression, depth: int) -> Node:
        self._expect_args(e, {"this"}, "trim(); only trim(s) is allowed")
        return Func("trim", (self._argument(e.this, depth, frozenset({"string"}), "trim"),), "string")

    def _round(self, e: exp.Expression, depth: int) -> Node:
        self._expect_args(e, {"this", "decimals"}, "round()")
        value = self._argument(e.this, depth, frozenset({"number"}), "round")
        args: tuple[Node, ...] = (value,)
        if e.args.get("decimals") is not None:
            digits = self.visit(e.args["decimals"], depth)
            if not (isinstance(digits, Lit) and type(digits.value) is int and 0 <= digits.value <= ROUND_MAX_DIGITS):
                raise self._error(
                    f"round() 的位数必须是 0–{ROUND_MAX_DIGITS} 的整数 / round(x, n) needs n a whole number "
                    f"from 0 to {ROUND_MAX_DIGITS}", e,
                )
            args = (value, digits)
        return Func("round", args, "number")

    def _variadic(self, e: exp.Expression, depth: int) -> Node:
        name = type(e).__name__.lower()
        self._expect_args(e, {"this", "expressions", "ignore_nulls", "is_nvl", "is_null"}, f"{name}()")
        args = tuple(self.visit(arg, depth) for arg in [e.this, *e.expressions])
        family = self._unify(list(args), e, f"{name}() 的参数 / the arguments of {name}()")
        return Func(name, args, family)

    def _date_diff(self, e: exp.Expression, depth: int) -> Node:
        self._expect_args(e, {"this", "expression", "unit", "big_int", "date_part_boundary"}, "date_diff()")
        unit = e.args.get("unit")
        unit_text = unit.name.upper() if isinstance(unit, exp.Var | exp.Literal) else ""
        if unit_text not in DATE_DIFF_UNITS:
            raise self._error(
                "date_diff 只支持按天计算 / date_diff counts days only: date_diff('day', a, b)", e,
                hint="months and years are counted differently by each engine; use days, e.g. > 365",
            )
        start = self._date_argument(e.expression, depth)
        end = self._date_argument(e.this, depth)
        return Func("date_diff", (start, end), "number")

    def _date_argument(self, e: exp.Expression, depth: int) -> Node:
        node = self.visit(e, depth)
        node = self._as_temporal_if(node, "date", e)
        if node.family not in _TEMPORAL:
            raise self._error(
                f"date_diff() 需要日期 / date_diff() needs dates, but this is {_describe(node)}", e
            )
        return node

    # -- refusals ----------------------------------------------------------------------------

    def _refuse(self, what: Refusal, e: exp.Expression) -> RuleError:
        return self._error(what.message, e, what.hint)

    def _refusal(self, e: exp.Expression) -> RuleError:
        """The message for a construct the language does not have, by what it is (see ``refusals``)."""
        return self._refuse(refusal(e, self._function_name), e)


#: Keywords a mistyped word may have meant (ADN → AND).
KEYWORDS = ("AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN", "LIKE", "TRUE", "FALSE", "CASE", "WHEN", "THEN",
            "ELSE", "END")


def unknown_word(name: str, columns: Mapping[str, str], labels: Mapping[str, str], *, quoted: bool = False
                 ) -> tuple[str, str]:
    """``(message, hint)`` for a word that is not a column: the closest columns by name and by Chinese name
    (at most three, never the whole list), a keyword it may have meant, or quotes for a bare Chinese value
    (not for a name already in double quotes: that was meant as a column)."""
    known = sorted(columns)
    guesses = [c for c in known if c.lower() == name.lower() or c == name.strip()]
    guesses += [g for g in difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6) if g not in guesses]
    by_label = {label: col for col, label in labels.items() if col in columns and label}
    guesses += [by_label[g] for g in difflib.get_close_matches(name, list(by_label), n=3, cutoff=0.5)
                if by_label[g] not in guesses]
    guesses += [col for label, col in by_label.items() if name in label and col not in guesses]
    keyword = difflib.get_close_matches(name.upper(), KEYWORDS, n=1, cutoff=0.6)
    wide = any(ord(ch) > 0x2E7F for ch in name)
    message = f"未知的列 / unknown column '{name}'"
    hints: list[str] = []
    if name.upper() in ("TRUE", "FALSE", "NULL"):
        hints.append(f"{name.upper()} 不加引号 / {name.upper()} is written without quotes")
    elif keyword and not guesses:
        message = f"不认识的词 / unknown word '{name}'"
        hints.append(f"是否应为 {keyword[0]}？/ did you mean {keyword[0]}?")
    if wide and not quoted and not any(labels.get(g) == name for g in guesses):
        # A Chinese word that is not a column's name is most likely a value written without quotes.
        hints.append(f"是否要加引号：'{name}'？/ did you mean '{name}' in quotes?")
    if guesses:
        named = "、".join(f"{g}（{labels[g]}）" if labels.get(g) else g for g in guesses[:3])
        hints.append(f"最接近的列：{named} / did you mean " + " or ".join(f"'{g}'" for g in guesses[:3]) + "?")
    if not known:
        hints.append("此处没有可用的列 / no columns are available for this rule")
    elif not hints:
        hints.append("可用的列见规则帮助 / see the rule help for the columns")
    return message, "; ".join(hints)

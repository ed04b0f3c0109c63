"""The canonical text of a checked rule (``Rule.normalized``).

One spelling per rule: keywords in upper case, functions in lower case, single spaces, ``<>`` for
not-equal, ``x IS NOT NULL`` / ``x NOT IN (…)``, parentheses only where they change the meaning
(and around AND inside OR, for the reader), identifiers quoted only when they must be. The text parses back to the same tree, so it can be
stored and shown, and two rules are the same rule when their texts are equal.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

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

# Binding strength, loosest first. Predicates (comparisons, IN, LIKE, BETWEEN, IS NULL) share one
# level and are always parenthesised when nested in each other, which reads the same in every SQL
# dialect whatever its own rules for chaining comparisons.
_OR, _AND, _NOT, _PREDICATE, _ADD, _MUL, _NEG, _ATOM = range(1, 9)

_DUCKDB = Dialect.get_or_raise("duckdb")


def render(node: Node) -> str:
    if isinstance(node, Col):
        return identifier(node.name)
    if isinstance(node, Lit):
        return literal(node.value)
    if isinstance(node, CurrentDate):
        return "current_date"
    if isinstance(node, BoolOp):
        # AND inside OR is parenthesised although it binds tighter: analysts read
        # "a OR (b AND c)" right the first time, "a OR b AND c" not always.
        return f" {node.op} ".join(_wrap(operand, _AND + 1) for operand in node.operands)
    if isinstance(node, Not):
        operand = render(node.operand)
        return f"NOT {operand}" if _strength(node.operand) >= _ATOM or isinstance(node.operand, Not) else f"NOT ({operand})"
    if isinstance(node, Compare):
        return f"{_operand(node.left)} {node.op} {_operand(node.right)}"
    if isinstance(node, IsNull):
        return f"{_operand(node.operand)} IS {'NOT ' if node.negated else ''}NULL"
    if isinstance(node, InList):
        values = ", ".join(render(value) for value in node.values)
        return f"{_operand(node.operand)} {'NOT ' if node.negated else ''}IN ({values})"
    if isinstance(node, Between):
        return (
            f"{_operand(node.operand)} {'NOT ' if node.negated else ''}BETWEEN "
            f"{_operand(node.low)} AND {_operand(node.high)}"
        )
    if isinstance(node, Like):
        word = "ILIKE" if node.case_insensitive else "LIKE"
        return f"{_operand(node.operand)} {'NOT ' if node.negated else ''}{word} {_operand(node.pattern)}"
    if isinstance(node, Arith):
        own = _strength(node)
        # The right side is wrapped at equal strength too: a - (b - c) must keep its parentheses.
        return f"{_wrap(node.left, own)} {node.op} {_wrap(node.right, own + 1)}"
    if isinstance(node, Neg):
        operand = render(node.operand)
        plain = _strength(node.operand) >= _ATOM
        return f"-{operand}" if plain else f"-({operand})"
    if isinstance(node, Case):
        parts = ["CASE"]
        for condition, result in node.whens:
            parts.append(f"WHEN {render(condition)} THEN {render(result)}")
        if node.default is not None:
            parts.append(f"ELSE {render(node.default)}")
        parts.append("END")
        return " ".join(parts)
    if isinstance(node, Func):
        args = ", ".join(render(arg) for arg in node.args)
        if node.name == "date_diff":
            return f"date_diff('day', {args})"
        return f"{node.name}({args})"
    raise TypeError(f"not a rule node: {node!r}")


def _strength(node: Node) -> int:
    if isinstance(node, BoolOp):
        return _OR if node.op == "OR" else _AND
    if isinstance(node, Not):
        return _NOT
    if isinstance(node, Compare | IsNull | InList | Between | Like):
        return _PREDICATE
    if isinstance(node, Arith):
        return _ADD if node.op in "+-" else _MUL
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, Lit) and isinstance(node.value, int | Decimal) and not isinstance(node.value, bool):
        return _NEG if node.value < 0 else _ATOM
    return _ATOM


def _wrap(node: Node, at_least: int) -> str:
    text = render(node)
    return text if _strength(node) >= at_least else f"({text})"


def _operand(node: Node) -> str:
    """An operand of a predicate: arithmetic binds tighter, conditions get parentheses."""
    return _wrap(node, _ADD)


def literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, datetime.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"not a rule literal: {value!r}")


def identifier(name: str) -> str:
    return name if _is_bare(name) else '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=4096)
def _is_bare(name: str) -> bool:
    """A name can stay unquoted when the tokenizer reads it back as exactly that one plain name."""
    try:
        tokens = _DUCKDB.tokenize(name)
    except TokenError:
        return False
    return len(tokens) == 1 and tokens[0].token_type == TokenType.VAR and tokens[0].text == name and not tokens[0].comments

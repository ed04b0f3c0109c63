"""The checked rule tree: the only shapes a rule can have once it has passed the checker.

The checker builds these from sqlglot's syntax tree; the renderer and the Ibis compiler read only
these. Because nothing outside this small set can be represented, nothing outside it can reach the
compiled expression. Every node knows its value family (``family``), which the checker has verified.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

from .grammar import Family

LiteralValue: TypeAlias = str | int | Decimal | bool | datetime.date | datetime.datetime | None
CompareOp = Literal["=", "<>", "<", "<=", ">", ">="]
ArithOp = Literal["+", "-", "*", "/"]


@dataclass(frozen=True)
class Col:
    name: str
    declared: str  # the type the caller declared ('int', 'decimal', …), for messages
    family: Family


@dataclass(frozen=True)
class Lit:
    value: LiteralValue
    family: Family


@dataclass(frozen=True)
class CurrentDate:
    family: Family = "date"


@dataclass(frozen=True)
class Not:
    operand: Node
    family: Family = "bool"


@dataclass(frozen=True)
class BoolOp:
    op: Literal["AND", "OR"]
    operands: tuple[Node, ...]  # two or more; chains of the same operator are flattened
    family: Family = "bool"


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node
    family: Family = "bool"


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negated: bool
    family: Family = "bool"


@dataclass(frozen=True)
class InList:
    operand: Node
    values: tuple[Lit, ...]
    negated: bool
    family: Family = "bool"


@dataclass(frozen=True)
class Between:
    operand: Node
    low: Node
    high: Node
    negated: bool
    family: Family = "bool"


@dataclass(frozen=True)
class Like:
    operand: Node
    pattern: Node
    negated: bool
    case_insensitive: bool
    family: Family = "bool"


@dataclass(frozen=True)
class Arith:
    op: ArithOp
    left: Node
    right: Node
    family: Family = "number"


@dataclass(frozen=True)
class Neg:
    operand: Node
    family: Family = "number"


@dataclass(frozen=True)
class Case:
    whens: tuple[tuple[Node, Node], ...]  # (condition, result)
    default: Node | None
    family: Family


@dataclass(frozen=True)
class Func:
    name: str  # one of grammar.FUNCTION_NAMES except current_date (its own node)
    args: tuple[Node, ...]  # for date_diff: (start, end); the unit is always 'day'
    family: Family


Node: TypeAlias = Col | Lit | CurrentDate | Not | BoolOp | Compare | IsNull | InList | Between | Like | Arith | Neg | Case | Func


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node``, in reading order."""
    if isinstance(node, Col | Lit | CurrentDate):
        return ()
    if isinstance(node, Not | Neg | IsNull):
        return (node.operand,)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Compare | Arith):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.values)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    if isinstance(node, Like):
        return (node.operand, node.pattern)
    if isinstance(node, Case):
        flat = tuple(part for pair in node.whens for part in pair)
        return flat if node.default is None else (*flat, node.default)
    return node.args


def columns_of(node: Node) -> frozenset[str]:
    """Names of the columns a tree reads (iterative: trees of long AND/OR chains stay cheap)."""
    names: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Col):
            names.add(current.name)
        stack.extend(children(current))
    return frozenset(names)

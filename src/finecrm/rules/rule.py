"""``Rule`` and ``parse_rule``: the public face of the rule language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import ibis.expr.datatypes as dt
import ibis.expr.schema as sch
import ibis.expr.types as ir
from sqlglot.tokens import TokenType

from .check import check_tree, unknown_word
from .compile import compile_rule
from .errors import RuleError
from .grammar import COLUMN_TYPES, FAMILY_NAMES, Family
from .nodes import Col, Node, children, columns_of
from .normalize import normalize
from .parse import _DUCKDB, parse_sql
from .render import render


@dataclass(frozen=True)
class Rule:
    """A checked rule. Two rules are equal when their normalized texts are (whatever the spelling).

    ``tree`` is the checked tree (``finecrm.rules.nodes``), for callers that explain a rule.
    """

    text: str = field(compare=False)
    normalized: str
    columns: frozenset[str]
    tree: Node = field(compare=False, repr=False)

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        """The rule as a boolean Ibis expression over ``table`` (which must have the rule's columns)."""
        schema = table.schema()
        for name in sorted(self.columns):
            if name not in schema:
                raise RuleError(f"表中没有列 / the table has no column '{name}', which the rule uses")
            declared = _declared_family(self.tree, name)
            actual = _family_of(schema[name])
            if declared is not None and declared != actual:
                raise RuleError(
                    f"列类型不符 / column '{name}' was declared as {FAMILY_NAMES[declared]} "
                    f"but the table holds {schema[name]}"
                )
        result = compile_rule(self.tree, table)
        if not isinstance(result, ir.BooleanValue):  # the checker guarantees this; fail loudly if not
            raise TypeError(f"rule {self.normalized!r} did not compile to a boolean")
        return result

    def filter(self, table: ir.Table) -> ir.Table:
        """The rows of ``table`` the rule selects (a NULL outcome does not select the row)."""
        return table.filter(self.to_ibis(table))


def parse_rule(text: str, columns: Mapping[str, str], labels: Mapping[str, str] | None = None) -> Rule:
    """Parse and check a rule written by a user.

    ``columns`` maps each column the rule may use to its type: 'string', 'int', 'float', 'decimal',
    'bool', 'date' or 'timestamp' (the data contract's 'money', 'rate' and 'month' are accepted too);
    ``labels`` maps a column to its Chinese name, so a mistyped word is matched by either.
    Full-width operators and Chinese quotes are read as their ASCII forms (``normalize``).
    Raises :class:`RuleError` with a message for the user when the rule is not allowed — pointing at the
    word that is wrong, with a caret line under the rule as typed — and ``ValueError`` when ``columns``
    itself is malformed (a programming error, not the user's).
    """
    _check_columns(columns)
    if not isinstance(text, str):
        parse_sql(text)  # refuses it: a rule must be text
    plain, origin = normalize(text)
    try:
        tree = check_tree(parse_sql(plain), plain, columns, labels)
    except RuleError as error:
        raise _located(_unknown_word_first(error, plain, columns, labels or {}), text, origin) from None
    return Rule(text=text, normalized=render(tree), columns=columns_of(tree), tree=tree)


def _unknown_word_first(error: RuleError, plain: str, columns: Mapping[str, str], labels: Mapping[str, str]
                        ) -> RuleError:
    """When the parser could not read the rule, a word that is neither a column nor a function (``ADN``) is
    usually why: name that word, where it is, and what it may have meant, rather than where the parser
    gave up."""
    if not error.message.startswith(
            ("无法读取规则", "不允许别名")):
        return error
    try:
        tokens = _DUCKDB.tokenize(plain)
    except Exception:  # the error already says the rule cannot be read
        return error
    if error.message.startswith("不允许别名") and any(t.token_type == TokenType.ALIAS for t in tokens):
        return error  # a real "x AS y": the alias is what is wrong
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if (token.token_type == TokenType.VAR and token.text not in columns
                and (following is None or following.token_type != TokenType.L_PAREN)):
            message, hint = unknown_word(token.text, columns, labels)
            message = f"无法读取规则：不认识的词 '{token.text}' / the rule cannot be read: unknown word '{token.text}'"
            return RuleError(message, position=token.start + 1, hint=hint, length=len(token.text))
    return error


def _located(error: RuleError, text: str, origin: list[int]) -> RuleError:
    """The error with its position in the text as typed (before normalizing) and the caret line."""
    if error.position is None or not 1 <= error.position <= len(origin):
        return error
    start = origin[error.position - 1]
    length = None
    if error.length:
        last = min(error.position - 1 + error.length - 1, len(origin) - 1)
        length = max(1, origin[last] - start + 1)
    return error.located(text, start + 1, length)


def columns_from_schema(schema: ir.Table | sch.Schema) -> dict[str, str]:
    """The ``columns`` argument for a table: each column whose type a rule can use, with that type.

    Columns of other types (arrays, structs, maps, JSON, binary, …) are left out, so rules cannot
    name them.
    """
    if isinstance(schema, ir.Table):
        schema = schema.schema()
    out: dict[str, str] = {}
    for name, dtype in schema.items():
        declared = _declared_type(dtype)
        if declared is not None:
            out[name] = declared
    return out


def _check_columns(columns: Mapping[str, str]) -> None:
    if not isinstance(columns, Mapping):
        raise ValueError("columns must map column names to types")
    for name, declared in columns.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"column names must be non-empty strings, got {name!r}")
        if declared not in COLUMN_TYPES:
            raise ValueError(
                f"column {name!r} has type {declared!r}; expected one of {', '.join(COLUMN_TYPES)}"
            )


def _declared_type(dtype: dt.DataType) -> str | None:
    if dtype.is_string():
        return "string"
    if dtype.is_boolean():
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_floating():
        return "float"
    if dtype.is_decimal():
        return "decimal"
    if dtype.is_timestamp():
        return "timestamp"
    if dtype.is_date():
        return "date"
    return None


def _family_of(dtype: dt.DataType) -> Family | None:
    declared = _declared_type(dtype)
    return COLUMN_TYPES[declared] if declared is not None else None


def _declared_family(tree: Node, name: str) -> Family | None:
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Col) and node.name == name:
            return node.family
        stack.extend(children(node))
    return None

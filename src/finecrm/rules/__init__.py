"""finecrm.rules — the safe expression language for user-written rules.

Segment rules, target lists and alert thresholds are SQL boolean expressions over documented
columns, e.g. ``has_online_banking AND NOT has_mobile_banking AND age < 40 AND txn_30d >= 5``.
They are parsed with sqlglot (DuckDB dialect), checked against an allow-list (``grammar``), and
compiled to an Ibis expression; nothing the user writes is ever pasted into SQL.

    rule = parse_rule(text, {"age": "int", "tier": "string", ...})
    rule.normalized            # canonical text, for display, storage and equality
    table.filter(rule.to_ibis(table))   # or rule.filter(table)

Pipeline: ``parse`` (text → sqlglot tree, refusing comments, ';', placeholders, statements, too long,
too deep) → ``check`` (allow-list, types → ``nodes``) → ``render`` (normalized text) and ``compile``
(Ibis). See docs/rules.md for the language as analysts see it.
"""

from __future__ import annotations

from .errors import RuleError
from .grammar import COLUMN_TYPES, FUNCTION_NAMES, FUNCTIONS, MAX_DEPTH, MAX_LENGTH
from .rule import Rule, columns_from_schema, parse_rule

__all__ = [
    "COLUMN_TYPES",
    "FUNCTIONS",
    "FUNCTION_NAMES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Rule",
    "RuleError",
    "columns_from_schema",
    "parse_rule",
]

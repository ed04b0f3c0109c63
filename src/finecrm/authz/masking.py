"""Masking personal data (个人信息去标识化展示), in one place, the same in Python and in Ibis.

Every rule keeps a fixed number of characters at the start and the end, depending only on the value's
length (and, for names, on whether the customer is corporate), and replaces each other character with
``*``. So masking keeps the length, is idempotent (masking a masked value changes nothing) and never
shows a character from the masked middle. A value too short for its rule is masked completely.

=====================  ==========================================  ===========================
value                  rule                                        example
=====================  ==========================================  ===========================
individual name        keep the first character                    张三 → 张*, 欧阳娜娜 → 欧***
corporate name         keep the first 2 and last 2 (≥ 6 chars;     北京某某科技有限公司 → 北京******公司
                       shorter: as an individual name)
name of unknown kind   corporate rule from 6 characters, else      (counterparty names)
                       individual rule
phone                  keep the first 3 and last 4 (≥ 11 chars)    13812345678 → 138****5678
ID number              keep the last 4 (≥ 12 chars)                110101199001011234 → **************1234
account number         keep the first 4 and last 4 (≥ 12 chars)    6222021234567890 → 6222********7890
birth date             withheld (the age is shown instead)         1990-01-01 → (none)
=====================  ==========================================  ===========================

Why an ID keeps only its last 4 and the birth date is withheld: a resident ID is region (6 digits) + birth date
(8) + sequence (3) + check digit. Shown beside a birth date, "first 4 and last 4" left only the county code and
the birth date's digits hidden, and both follow from the rest of the customer's record, so the whole number could
be rebuilt. Each masked value is judged against what the other shown fields give away (docs/access.md).

Masking is the default. Showing a value in clear needs the ``reveal_pii`` action *and* an explicit
``revealed=True`` from the caller, which must first write an audit row (who, which customer, which
fields, the reason given) — see docs/access.md. Exports are masked inside the query (``mask_table``),
so clear values never leave the database for a masked export.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from finecrm.authz.decide import allowed
from finecrm.authz.principal import Principal

MASK_CHAR = "*"


@dataclass(frozen=True)
class KeepEnds:
    """Keep ``head`` characters at the start and ``tail`` at the end when the value has ``min_len``."""

    head: int
    tail: int
    min_len: int

    def __post_init__(self) -> None:
        # At least one character must always be masked, or the rule would show the whole value.
        if self.min_len <= self.head + self.tail:
            raise ValueError("min_len must exceed head + tail")


INDIVIDUAL_NAME = KeepEnds(head=1, tail=0, min_len=2)
CORPORATE_NAME = KeepEnds(head=2, tail=2, min_len=6)
PHONE = KeepEnds(head=3, tail=4, min_len=11)
ID_NUMBER = KeepEnds(head=0, tail=4, min_len=12)
ACCOUNT = KeepEnds(head=4, tail=4, min_len=12)  # 卡号/账号: shown like bank apps do, first 4 and last 4

#: Columns holding personal data, by contract table. A test checks this against the contract's "(PII)" marks.
PII_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "customers": frozenset({"name", "id_number", "phone", "birth_date"}),
        "transactions": frozenset({"counterparty_name", "counterparty_account"}),
    }
)

# How each PII column is masked. "name" uses the row's ``kind`` column when present; a counterparty's
# kind is never known, so its name gets the length-based rule.
_COLUMN_RULES: Mapping[str, str] = MappingProxyType(
    {
        "name": "name",
        "id_number": "id",
        "phone": "phone",
        "birth_date": "withheld",
        "counterparty_name": "name",
        "counterparty_account": "account",
    }
)
ALL_PII_COLUMNS = frozenset(_COLUMN_RULES)
_KIND_COLUMN = {"name": "kind"}  # the column telling individual from corporate, for each name column


def _keep_ends(value: str | None, rule: KeepEnds) -> str | None:
    if value is None:
        return None
    n = len(value)
    if n < rule.min_len:
        return MASK_CHAR * n
    return value[: rule.head] + MASK_CHAR * (n - rule.head - rule.tail) + (value[n - rule.tail :] if rule.tail else "")


def _name_rule(value: str, corporate: bool | None) -> KeepEnds:
    if corporate is None:
        corporate = len(value) >= CORPORATE_NAME.min_len
    return CORPORATE_NAME if corporate and len(value) >= CORPORATE_NAME.min_len else INDIVIDUAL_NAME


def mask_name(value: str | None, *, corporate: bool | None = False) -> str | None:
    """Mask a person's or company's name; ``corporate=None`` when the kind is unknown (counterparties)."""
    if value is None:
        return None
    return _keep_ends(value, _name_rule(value, corporate))


def mask_phone(value: str | None) -> str | None:
    return _keep_ends(value, PHONE)


def mask_id(value: str | None) -> str | None:
    return _keep_ends(value, ID_NUMBER)


def mask_account(value: str | None) -> str | None:
    return _keep_ends(value, ACCOUNT)


def mask_counterparty_name(value: str | None) -> str | None:
    return mask_name(value, corporate=None)


def _corporate_flag(kind: object) -> bool | None:
    if kind == "corporate":
        return True
    if kind == "individual":
        return False
    return None


def _mask_value(rule: str, value: Any, kind: object = None, has_kind: bool = False) -> Any:
    if value is None or rule == "withheld":
        return None
    text = value if isinstance(value, str) else str(value)
    if rule == "name":
        return mask_name(text, corporate=_corporate_flag(kind) if has_kind else None)
    if rule == "phone":
        return mask_phone(text)
    if rule == "id":
        return mask_id(text)
    return mask_account(text)


def may_reveal(principal: Principal, revealed: bool) -> bool:
    """Clear values only when the caller asked (``revealed``, after auditing) *and* the role allows it."""
    return revealed and allowed(principal, "reveal_pii")


def mask_record(
    principal: Principal,
    record: Mapping[str, Any],
    revealed: bool = False,
    *,
    fields: Collection[str] | None = None,
) -> dict[str, Any]:
    """A copy of ``record`` with every PII field masked, unless ``principal`` may reveal and ``revealed``.

    ``fields`` limits masking to some of the known PII columns (default: all present). Pass
    customer- or transaction-level records: a column called ``name`` is taken to be a customer's name.
    """
    out = dict(record)
    if may_reveal(principal, revealed):
        return out
    for column in _columns_to_mask(record.keys(), fields):
        kind_col = _KIND_COLUMN.get(column)
        has_kind = kind_col is not None and kind_col in record
        out[column] = _mask_value(
            _COLUMN_RULES[column], record[column], record.get(kind_col) if kind_col else None, has_kind
        )
    return out


def _columns_to_mask(present: Collection[str], fields: Collection[str] | None) -> list[str]:
    wanted = ALL_PII_COLUMNS if fields is None else frozenset(fields)
    unknown = wanted - ALL_PII_COLUMNS
    if unknown:
        raise ValueError(f"no masking rule for column(s) {sorted(unknown)}; known: {sorted(ALL_PII_COLUMNS)}")
    return [c for c in present if c in wanted]


# --- the same rules as Ibis expressions --------------------------------------------------------------


def _keep_ends_expr(value: ir.StringValue, rule: KeepEnds) -> ir.StringValue:
    n = value.length()
    star = ibis.literal(MASK_CHAR)
    kept = value.left(rule.head) + star.repeat(n - rule.head - rule.tail)
    if rule.tail:
        kept = kept + value.right(rule.tail)
    return ibis.ifelse(n >= rule.min_len, kept, star.repeat(n))


def _name_expr(value: ir.StringValue, kind: ir.StringValue | None) -> ir.StringValue:
    long_enough = value.length() >= CORPORATE_NAME.min_len
    if kind is None:
        corporate = long_enough
    else:
        # Same as _corporate_flag: 'corporate' → corporate rule, 'individual' → individual rule,
        # anything else (NULL, other codes) → decided by length.
        corporate = ibis.cases(
            (kind == "corporate", long_enough),
            (kind == "individual", ibis.literal(False)),
            else_=long_enough,
        )
    return ibis.ifelse(
        corporate.fill_null(False),
        _keep_ends_expr(value, CORPORATE_NAME),
        _keep_ends_expr(value, INDIVIDUAL_NAME),
    )


def mask_table(
    principal: Principal,
    table: ir.Table,
    revealed: bool = False,
    *,
    fields: Collection[str] | None = None,
) -> ir.Table:
    """``table`` with every PII column masked inside the query (same rules as :func:`mask_record`).

    Use it for lists and exports, so that clear values are never fetched for a masked page or file.
    Column names, order and types are kept (masked text columns stay strings, a withheld date is a null date).
    """
    if may_reveal(principal, revealed):
        return table
    replacements: dict[str, ir.Value] = {}
    for column in _columns_to_mask(table.columns, fields):
        raw = table[column]
        rule = _COLUMN_RULES[column]
        if rule == "withheld":
            replacements[column] = ibis.null(raw.type())
            continue
        value: ir.StringValue = raw if raw.type().is_string() else raw.cast(dt.string)
        if rule == "name":
            kind_col = _KIND_COLUMN.get(column)
            kind = table[kind_col] if kind_col and kind_col in table.columns else None
            if kind is not None and not kind.type().is_string():
                kind = kind.cast(dt.string)
            replacements[column] = _name_expr(value, kind)
        else:
            replacements[column] = _keep_ends_expr(value, {"phone": PHONE, "id": ID_NUMBER}.get(rule, ACCOUNT))
    return table.mutate(**replacements) if replacements else table

"""Masking: the examples, the properties, and the same result in Python and inside a DuckDB query."""

from __future__ import annotations

import re

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finecrm.authz import (
    PII_FIELDS,
    Principal,
    mask_account,
    mask_counterparty_name,
    mask_id,
    mask_name,
    mask_phone,
    mask_record,
    mask_table,
)
from finecrm.authz.masking import (
    ACCOUNT,
    ALL_PII_COLUMNS,
    CORPORATE_NAME,
    ID_NUMBER,
    INDIVIDUAL_NAME,
    PHONE,
    KeepEnds,
)
from finecrm.contract.tables import TABLES

from .conftest import COLUMNS, arrow, customer_rows

ANALYST = Principal("ana", "analyst")
CM = Principal("cm1", "customer_manager", staff_id="S1")
COMPLIANCE = Principal("aml", "compliance_officer")
ADMIN = Principal("root", "admin")
ADMIN_GRANTED = Principal("root2", "admin", extra_actions=frozenset({"reveal_pii"}))


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "张", "*"),
        (mask_name, "", ""),
        (mask_name, None, None),
        (lambda v: mask_name(v, corporate=True), "北京某某科技有限公司", "北京******公司"),
        (lambda v: mask_name(v, corporate=True), "农家乐合作社", "农家**作社"),
        (lambda v: mask_name(v, corporate=True), "华为公司", "华***"),  # too short for first 2 + last 2
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "+8613812345678", "+86*******5678"),
        (mask_phone, "5551234", "*******"),
        (mask_id, "110101199001011234", "**************1234"),
        (mask_id, "110101900101123", "***********1123"),  # old 15-digit ID
        (mask_id, "E12345678", "*********"),  # short: fully masked
        (mask_account, "6222021234567890123", "6222***********0123"),
        (mask_counterparty_name, "李四", "李*"),
        (mask_counterparty_name, "杭州某某贸易有限公司", "杭州******公司"),
    ],
)
def test_examples(fn, value, expected):
    assert fn(value) == expected


# --- properties -----------------------------------------------------------------------------------

MASKERS: list[tuple[str, object, KeepEnds | None]] = [
    ("individual name", mask_name, INDIVIDUAL_NAME),
    ("corporate name", lambda v: mask_name(v, corporate=True), None),
    ("counterparty name", mask_counterparty_name, None),
    ("phone", mask_phone, PHONE),
    ("id", mask_id, ID_NUMBER),
    ("account", mask_account, ACCOUNT),
]
ANY_TEXT = st.one_of(st.none(), st.text(max_size=40))


def _rule_for(label: str, rule: KeepEnds | None, value: str) -> KeepEnds:
    if rule is not None:
        return rule
    # Names of corporate / unknown kind: corporate rule from 6 characters, else the individual rule.
    return CORPORATE_NAME if len(value) >= CORPORATE_NAME.min_len else INDIVIDUAL_NAME


@pytest.mark.parametrize(("label", "fn", "rule"), MASKERS, ids=[m[0] for m in MASKERS])
@settings(max_examples=150, deadline=None)
@given(value=ANY_TEXT)
def test_masking_properties(label, fn, rule, value):
    masked = fn(value)  # never raises
    if value is None:
        assert masked is None
        return
    assert isinstance(masked, str)
    assert len(masked) == len(value)
    assert fn(masked) == masked, "idempotent"
    r = _rule_for(label, rule, value)
    n = len(value)
    if n < r.min_len:
        assert masked == "*" * n
        return
    head, tail = value[: r.head], value[n - r.tail :] if r.tail else ""
    middle = value[r.head : n - r.tail]
    assert masked == head + "*" * len(middle) + tail
    assert len(middle) >= 1, "every rule hides at least one character"
    if "*" not in middle and middle not in head and middle not in tail:
        assert middle not in masked, "the masked middle never shows"


@settings(max_examples=100, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_mobile_numbers_keep_exactly_3_and_4(digits):
    masked = mask_phone(digits)
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", masked)
    assert masked[:3] == digits[:3] and masked[-4:] == digits[-4:]


@settings(max_examples=100, deadline=None)
@given(value=st.text(alphabet="0123456789X", min_size=12, max_size=30))
def test_long_numbers_keep_first_and_last_4(value):
    masked = mask_account(value)
    assert masked[:4] == value[:4] and masked[-4:] == value[-4:]
    assert set(masked[4:-4]) == {"*"}


@settings(max_examples=100, deadline=None)
@given(value=st.text(alphabet="0123456789X", min_size=12, max_size=30))
def test_id_numbers_keep_only_their_last_4(value):
    # Region and birth date (the first 14 digits of a resident ID) follow from the rest of a customer's
    # record: they are never shown.
    masked = mask_id(value)
    assert masked[-4:] == value[-4:] and set(masked[:-4]) == {"*"}


# --- records and tables ---------------------------------------------------------------------------


def test_pii_fields_match_the_contract():
    """Every contract column documented as personal data has a masking rule, and nothing else does."""
    marked = {
        t.name: {c.name for c in t.columns if "(PII)" in c.doc}
        for t in TABLES
        if any("(PII)" in c.doc for c in t.columns)
    }
    assert {"customers", "transactions"} <= set(PII_FIELDS)
    for table, cols in marked.items():
        assert cols <= PII_FIELDS.get(table, frozenset()), (table, cols)
    assert PII_FIELDS["customers"] == {"name", "id_number", "phone", "birth_date"}
    assert PII_FIELDS["transactions"] == {"counterparty_name", "counterparty_account"}
    assert frozenset().union(*PII_FIELDS.values()) == ALL_PII_COLUMNS


def test_mask_record_masks_unless_allowed_and_revealed():
    row = customer_rows()[0]
    masked = mask_record(ANALYST, row)
    assert masked == {**row, "name": "张*", "id_number": "**************1234", "phone": "138****5678"}
    assert masked is not row and row["name"] == "张三", "the input is not changed"
    # Asking to reveal is not enough without the action...
    assert mask_record(ANALYST, row, revealed=True) == masked
    assert mask_record(ADMIN, row, revealed=True) == masked
    # ...and having the action is not enough without asking (masked is the default everywhere).
    assert mask_record(CM, row) == masked
    assert mask_record(CM, row, revealed=True) == row
    assert mask_record(COMPLIANCE, row, revealed=True) == row
    assert mask_record(ADMIN_GRANTED, row, revealed=True) == row  # admin only when explicitly granted
    denied = Principal("cm2", "customer_manager", staff_id="S2", denied_actions=frozenset({"reveal_pii"}))
    assert mask_record(denied, row, revealed=True) == masked


def test_mask_record_uses_the_customer_kind():
    corp = {"kind": "corporate", "name": "北京某某科技有限公司"}
    person = {"kind": "individual", "name": "阿依古丽买买提"}
    assert mask_record(ANALYST, corp)["name"] == "北京******公司"
    assert mask_record(ANALYST, person)["name"] == "阿******"
    # Without a kind, long names get the corporate rule (like counterparties).
    assert mask_record(ANALYST, {"name": "北京某某科技有限公司"})["name"] == "北京******公司"


def test_mask_record_transactions_and_odd_values():
    txn = {"txn_id": "T1", "amount": 20000, "counterparty_name": "王五", "counterparty_account": 6222021234567890123}
    out = mask_record(ANALYST, txn)
    assert out == {**txn, "counterparty_name": "王*", "counterparty_account": "6222***********0123"}
    assert mask_record(ANALYST, {"name": None, "phone": ""}) == {"name": None, "phone": ""}
    assert mask_record(ANALYST, row := {"customer_id": "C1"}) == row
    assert mask_record(ANALYST, {"name": "张三", "phone": "13812345678"}, fields=["phone"]) == {
        "name": "张三", "phone": "138****5678",
    }
    with pytest.raises(ValueError, match="no masking rule"):
        mask_record(ANALYST, {"name": "张三"}, fields=["address"])


def test_mask_record_is_idempotent():
    for row in customer_rows():
        once = mask_record(ANALYST, row)
        assert mask_record(ANALYST, once) == once


def test_mask_table_in_duckdb_matches_mask_record(con, customers):
    expr = mask_table(ANALYST, customers)
    assert expr.columns == customers.columns, "names and order kept"
    got = con.to_pyarrow(expr.order_by("customer_id")).to_pylist()
    want = [mask_record(ANALYST, r) for r in sorted(customer_rows(), key=lambda r: r["customer_id"])]
    assert got == want
    # The clear values never leave the database for a masked list.
    flat = repr(got)
    for r in customer_rows():
        for col in ("id_number", "phone"):
            if r[col] and len(r[col]) >= 12:
                assert r[col] not in flat


def test_a_birth_date_is_withheld_unless_revealed_and_keeps_its_type(con):
    from datetime import date

    rows = [{"customer_id": "C1", "kind": "individual", "birth_date": date(1990, 1, 1), "age": 36}]
    assert mask_record(ANALYST, rows[0]) == {**rows[0], "birth_date": None}
    assert mask_record(COMPLIANCE, rows[0], revealed=True) == rows[0]
    t = ibis.memtable(pa.Table.from_pylist(rows))
    masked = mask_table(ANALYST, t)
    assert masked.schema()["birth_date"].is_date()
    assert con.to_pyarrow(masked).to_pylist() == [{**rows[0], "birth_date": None}]


def test_mask_table_reveals_only_when_allowed_and_asked(con, customers):
    assert mask_table(COMPLIANCE, customers, revealed=True) is customers
    assert mask_table(CM, customers, revealed=True) is customers
    assert mask_table(ADMIN, customers, revealed=True) is not customers
    assert mask_table(COMPLIANCE, customers) is not customers


def test_mask_table_casts_non_string_pii_and_keeps_other_columns(con):
    t = ibis.memtable(
        pa.table({
            "txn_id": ["T1", "T2"],
            "counterparty_account": pa.array([6222021234567890123, None], type=pa.int64()),
            "counterparty_name": ["杭州某某贸易有限公司", "李四"],
            "amount": [20000, 50000],
        })
    )
    got = con.to_pyarrow(mask_table(ANALYST, t).order_by("txn_id")).to_pylist()
    assert got == [
        {"txn_id": "T1", "counterparty_account": "6222***********0123", "counterparty_name": "杭州******公司",
         "amount": 20000},
        {"txn_id": "T2", "counterparty_account": None, "counterparty_name": "李*", "amount": 50000},
    ]


# Text DuckDB stores as given: no NUL (not allowed in VARCHAR) and no lone surrogates (not UTF-8).
_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
_VAL = st.one_of(st.none(), _TEXT)
_RECORD = st.fixed_dictionaries({
    "kind": st.one_of(st.none(), st.sampled_from(["individual", "corporate", "other"])),
    "name": _VAL,
    "id_number": _VAL,
    "phone": _VAL,
    "counterparty_name": _VAL,
    "counterparty_account": _VAL,
})


@settings(max_examples=40, deadline=None)
@given(records=st.lists(_RECORD, min_size=1, max_size=20))
def test_mask_table_equals_mask_record_on_any_values(con, records):
    rows = [{"row": i, **r} for i, r in enumerate(records)]
    cols = ["kind", "name", "id_number", "phone", "counterparty_name", "counterparty_account"]
    data = pa.table({"row": [r["row"] for r in rows], **{c: pa.array([r[c] for r in rows], pa.string()) for c in cols}})
    got = con.to_pyarrow(mask_table(ANALYST, ibis.memtable(data)).order_by("row")).to_pylist()
    assert got == [mask_record(ANALYST, r) for r in rows]


def test_the_fixture_customers_round_trip(con):
    # Guard for the test data itself: the arrow helper keeps every value as written.
    t = ibis.memtable(arrow(customer_rows(), COLUMNS))
    assert con.to_pyarrow(t).to_pylist() == customer_rows()

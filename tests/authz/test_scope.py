"""Row scoping on a real DuckDB: each principal sees exactly the rows it may, in Ibis and in Python."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finecrm.authz import (
    NotFound,
    Principal,
    ScopeError,
    customer_filter,
    customer_in_scope,
    loan_filter,
    loan_in_scope,
    require_customer,
    require_loan,
    scope_customers,
    scope_loans,
)

from .conftest import BRANCHES, EXPECTED_CUSTOMERS, EXPECTED_LOANS, customer_rows, loan_rows, principals

PRINCIPALS = principals()


def _ids(con, table, key: str) -> set[str]:
    return {r[key] for r in con.to_pyarrow(table.select(key)).to_pylist()}


@pytest.mark.parametrize("name", sorted(EXPECTED_CUSTOMERS))
def test_customer_filter_returns_exactly_the_rows_in_scope(con, customers, name):
    p = PRINCIPALS[name]
    assert _ids(con, scope_customers(p, customers), "customer_id") == EXPECTED_CUSTOMERS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_CUSTOMERS))
def test_customer_in_scope_agrees_with_the_filter(name):
    p = PRINCIPALS[name]
    assert {r["customer_id"] for r in customer_rows() if customer_in_scope(p, r)} == EXPECTED_CUSTOMERS[name]


def test_all_branch_roles_get_no_filter_at_all(customers):
    for name in ("analyst", "compliance", "admin", "risk_HO"):
        assert customer_filter(PRINCIPALS[name], customers) is None


def test_customer_manager_sees_only_own_customers_and_grid(con, customers):
    rows = con.to_pyarrow(scope_customers(PRINCIPALS["cm_S1"], customers)).to_pylist()
    assert rows, "S1 manages customers in the sample"
    for r in rows:
        assert r["manager_id"] == "S1" or r["grid_id"] == "G1"
    # Without grids the same manager sees only customers managed by them.
    plain = Principal("cm1", "customer_manager", staff_id="S1")
    assert _ids(con, scope_customers(plain, customers), "customer_id") == {"C01", "C02", "C10"}
    # A table without grid_id is scoped by manager alone.
    assert _ids(con, scope_customers(PRINCIPALS["cm_S1"], customers.drop("grid_id")), "customer_id") == {
        "C01", "C02", "C10",
    }


@pytest.mark.parametrize("name", sorted(EXPECTED_LOANS))
def test_loan_filter(con, loans, name):
    p = PRINCIPALS[name]
    assert _ids(con, scope_loans(p, loans), "loan_id") == EXPECTED_LOANS[name]
    assert {r["loan_id"] for r in loan_rows() if loan_in_scope(p, r)} == EXPECTED_LOANS[name]
    if name == "collector":
        assert loan_filter(p, loans) is not None


@pytest.mark.parametrize(
    ("name", "drop"),
    [("head_BR1", "branch_id"), ("cm_S1", "manager_id"), ("collector", "customer_id")],
)
def test_a_table_that_cannot_be_scoped_is_refused_not_shown(customers, name, drop):
    p = PRINCIPALS[name]
    with pytest.raises(ScopeError, match=drop):
        customer_filter(p, customers.drop(drop))
    row = {k: v for k, v in customer_rows()[0].items() if k != drop}
    with pytest.raises(ScopeError):
        customer_in_scope(p, row)


def test_out_of_scope_is_indistinguishable_from_missing():
    p = PRINCIPALS["cm_S3"]
    rows = {r["customer_id"]: r for r in customer_rows()}
    assert require_customer(p, rows["C06"], "C06") is rows["C06"]
    with pytest.raises(NotFound) as out_of_scope:
        require_customer(p, rows["C01"], "C01")
    with pytest.raises(NotFound) as missing:
        require_customer(p, None, "C01")
    assert str(out_of_scope.value) == str(missing.value)
    assert out_of_scope.value.http_status == 404
    loans = {r["loan_id"]: r for r in loan_rows()}
    col = PRINCIPALS["collector"]
    assert require_loan(col, loans["L1"], "L1") is loans["L1"]
    with pytest.raises(NotFound):
        require_loan(col, loans["L4"], "L4")


# --- property: the Ibis filter and the Python check agree on arbitrary rows ------------------------

_branch = st.sampled_from([*BRANCHES, None])
_staff = st.sampled_from(["S1", "S2", "S3", "S4", None])
_grid = st.sampled_from(["G1", "G2", "G3", None])
_row = st.fixed_dictionaries({"branch_id": _branch, "manager_id": _staff, "grid_id": _grid})


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_row, max_size=25), name=st.sampled_from(sorted(PRINCIPALS)))
def test_filter_and_row_check_agree_on_any_rows(con, rows, name):
    p = PRINCIPALS[name]
    rows = [{"customer_id": f"X{i:03d}", **r} for i, r in enumerate(rows)]
    cols = ["customer_id", "branch_id", "manager_id", "grid_id"]
    data = pa.table({c: pa.array([r[c] for r in rows], type=pa.string()) for c in cols})
    table = ibis.memtable(data)
    in_db = {r["customer_id"] for r in con.to_pyarrow(scope_customers(p, table)).to_pylist()}
    assert in_db == {r["customer_id"] for r in rows if customer_in_scope(p, r)}

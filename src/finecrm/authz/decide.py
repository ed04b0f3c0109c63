"""The one place that decides access: may this principal do this, and which rows may they see.

Two questions, asked separately by every caller:

1. **The action** — ``require(principal, "view_customer")``: role grants plus per-user extras minus
   per-user denials. Failing is :class:`Forbidden` (403): the user may know the function exists.
2. **The rows** — ``scope_customers(principal, table)`` / ``customer_filter`` inside an Ibis query, or
   ``require_customer(principal, row, customer_id)`` for one record. A record outside the scope is
   **not found** (404), never forbidden: answering 403 would tell a customer manager that a customer
   exists at another branch. Callers must raise the same :class:`NotFound` for a record that does not
   exist at all (``require_customer`` does both when given ``None``).

Row scopes by role scope (``roles.Scope``):

- branch-based (all / branch subtree / branch / given): ``branch_id IN branch_scope``; no filter when
  the principal's ``branch_scope`` is ``None`` (all branches);
- own customers: ``manager_id = staff_id``, or ``grid_id IN grid_ids`` when the table has ``grid_id``;
- assigned loans: ``loan_id IN assigned_loan_ids`` for loan tables, ``customer_id IN borrower_ids``
  for customer tables.

A table without the column a scope needs cannot be scoped: that raises :class:`ScopeError` rather than
silently showing everything. Empty scopes select nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from finecrm.authz.actions import AUTHENTICATED, PUBLIC, get_action
from finecrm.authz.errors import Forbidden, NotFound, ScopeError
from finecrm.authz.principal import Principal
from finecrm.authz.roles import BRANCH_SCOPES, Scope, get_role


def granted_actions(principal: Principal) -> frozenset[str]:
    """Every action code ``principal`` may perform (for menus; checks go through ``allowed``)."""
    return (get_role(principal.role).grants | principal.extra_actions) - principal.denied_actions


def allowed(principal: Principal | None, action: str) -> bool:
    """May ``principal`` (None: not logged in) perform ``action``? Unknown actions raise ``UnknownAction``."""
    if action == PUBLIC:
        return True
    if action == AUTHENTICATED:
        return principal is not None
    get_action(action)  # a typo must fail loudly, not read as "no"
    if principal is None:
        return False
    return action in granted_actions(principal)


def require(principal: Principal | None, action: str) -> None:
    """Raise :class:`Forbidden` (naming the action) unless ``principal`` may perform ``action``."""
    if not allowed(principal, action):
        a = get_action(action) if action not in (PUBLIC, AUTHENTICATED) else None
        raise Forbidden(
            action,
            username=principal.username if principal else None,
            zh=a.zh if a else "登录后才能使用的功能",
            en=a.en if a else "use a function for logged-in users",
        )


# --- rows: Ibis predicates -------------------------------------------------------------------------


def _isin(column: ir.Column, values: Collection[str]) -> ir.BooleanValue:
    if not values:
        return ibis.literal(False)
    return column.isin(sorted(values))


def _need(columns: Collection[str], name: str, principal: Principal, what: str) -> None:
    if name not in columns:
        raise ScopeError(
            f"{what}缺少列 {name}，无法按角色 {principal.role} 的范围过滤 / "
            f"the {what} has no column {name!r}, so it cannot be scoped for role {principal.role}"
        )


def _own_customers_filter(principal: Principal, table: ir.Table) -> ir.BooleanValue:
    cols = table.columns
    _need(cols, "manager_id", principal, "表 / table")
    preds: list[ir.BooleanValue] = []
    if principal.staff_id is not None:
        preds.append(table["manager_id"] == principal.staff_id)
    if "grid_id" in cols and principal.grid_ids:
        preds.append(_isin(table["grid_id"], principal.grid_ids))
    if not preds:
        return ibis.literal(False)
    result = preds[0]
    for p in preds[1:]:
        result = result | p
    # NULL manager_id / grid_id compare to NULL; coalesce so the predicate is a plain true/false.
    return result.fill_null(False)


def customer_filter(principal: Principal, table: ir.Table) -> ir.BooleanValue | None:
    """The predicate restricting a customer-level ``table`` to ``principal``'s scope; ``None`` = all rows."""
    scope = get_role(principal.role).scope
    if scope is Scope.OWN_CUSTOMERS:
        return _own_customers_filter(principal, table)
    if scope is Scope.ASSIGNED_LOANS:
        _need(table.columns, "customer_id", principal, "表 / table")
        return _isin(table["customer_id"], principal.borrower_ids)
    assert scope in BRANCH_SCOPES
    if principal.branch_scope is None:
        return None
    _need(table.columns, "branch_id", principal, "表 / table")
    return _isin(table["branch_id"], principal.branch_scope)


def loan_filter(principal: Principal, table: ir.Table) -> ir.BooleanValue | None:
    """Like :func:`customer_filter` for a loan-level table (one row per loan, with ``loan_id``).

    Collectors see their assigned loans. Everyone else sees the loans of customers in their scope, so
    a loan table must carry the *customer's* ``branch_id`` / ``manager_id`` / ``grid_id`` (join
    customers first).
    """
    if get_role(principal.role).scope is Scope.ASSIGNED_LOANS:
        _need(table.columns, "loan_id", principal, "表 / table")
        return _isin(table["loan_id"], principal.assigned_loan_ids)
    return customer_filter(principal, table)


def scope_customers(principal: Principal, table: ir.Table) -> ir.Table:
    """``table`` restricted to the customers ``principal`` may see."""
    pred = customer_filter(principal, table)
    return table if pred is None else table.filter(pred)


def scope_loans(principal: Principal, table: ir.Table) -> ir.Table:
    """``table`` restricted to the loans ``principal`` may see."""
    pred = loan_filter(principal, table)
    return table if pred is None else table.filter(pred)


# --- rows: one record in plain Python ---------------------------------------------------------------


def _own_customer(principal: Principal, row: Mapping[str, Any]) -> bool:
    _need(row.keys(), "manager_id", principal, "记录 / record")
    if principal.staff_id is not None and row["manager_id"] == principal.staff_id:
        return True
    return "grid_id" in row and row["grid_id"] is not None and row["grid_id"] in principal.grid_ids


def customer_in_scope(principal: Principal, row: Mapping[str, Any]) -> bool:
    """Is the customer ``row`` in ``principal``'s scope? Agrees with :func:`customer_filter`.

    Callers treat ``False`` exactly like a missing record (404), see :func:`require_customer`.
    """
    scope = get_role(principal.role).scope
    if scope is Scope.OWN_CUSTOMERS:
        return _own_customer(principal, row)
    if scope is Scope.ASSIGNED_LOANS:
        _need(row.keys(), "customer_id", principal, "记录 / record")
        return row["customer_id"] in principal.borrower_ids
    if principal.branch_scope is None:
        return True
    _need(row.keys(), "branch_id", principal, "记录 / record")
    return row["branch_id"] in principal.branch_scope


def loan_in_scope(principal: Principal, row: Mapping[str, Any]) -> bool:
    """Is the loan ``row`` in ``principal``'s scope? Agrees with :func:`loan_filter`."""
    if get_role(principal.role).scope is Scope.ASSIGNED_LOANS:
        _need(row.keys(), "loan_id", principal, "记录 / record")
        return row["loan_id"] in principal.assigned_loan_ids
    return customer_in_scope(principal, row)


def require_customer(
    principal: Principal, row: Mapping[str, Any] | None, customer_id: str | None = None
) -> Mapping[str, Any]:
    """Return ``row`` if it exists and is in scope; else raise the same :class:`NotFound` either way."""
    if row is None or not customer_in_scope(principal, row):
        raise NotFound("客户", "customer", customer_id)
    return row


def require_loan(principal: Principal, row: Mapping[str, Any] | None, loan_id: str | None = None) -> Mapping[str, Any]:
    """Return ``row`` if it exists and is in scope; else raise the same :class:`NotFound` either way."""
    if row is None or not loan_in_scope(principal, row):
        raise NotFound("贷款", "loan", loan_id)
    return row


# --- insider monitoring: alerts that name a member of staff ---------------------------------------------


def insider_filter(principal: Principal, table: ir.Table) -> ir.BooleanValue | None:
    """The alerts of ``table`` that ``principal`` may see as far as the staff they name goes: never one on
    themselves, nor on a colleague of their own outlet (``staff_id``, ``staff_branch_id``; issue 16: insider
    monitoring is for compliance and audit, not for the people it concerns). None: nothing to hide."""
    conds = []
    if principal.staff_id is not None and "staff_id" in table.columns:
        conds.append(table.staff_id.isnull() | (table.staff_id != principal.staff_id))
    if principal.branch_id is not None and "staff_branch_id" in table.columns:
        conds.append(table.staff_branch_id.isnull() | (table.staff_branch_id != principal.branch_id))
    if not conds:
        return None
    pred = conds[0]
    for c in conds[1:]:
        pred = pred & c
    return pred


def scope_alerts(principal: Principal, table: ir.Table) -> ir.Table:
    """Alerts restricted to the customers ``principal`` may see, less those on themselves or their outlet."""
    t = scope_customers(principal, table)
    pred = insider_filter(principal, t)
    return t if pred is None else t.filter(pred)


def alert_in_scope(principal: Principal, row: Mapping[str, Any]) -> bool:
    """Is the alert ``row`` visible to ``principal``? Agrees with :func:`scope_alerts`."""
    if not customer_in_scope(principal, row):
        return False
    staff, outlet = row.get("staff_id"), row.get("staff_branch_id")
    if principal.staff_id is not None and staff is not None and staff == principal.staff_id:
        return False
    return not (principal.branch_id is not None and outlet is not None and outlet == principal.branch_id)

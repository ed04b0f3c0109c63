"""finecrm.authz — one place decides access.

Actions are declared as data (``actions``), roles grant them and say which rows they see (``roles``),
the logged-in user is a frozen :class:`Principal` with a resolved scope (``principal``), and every
route, endpoint, export and CLI command asks ``decide``:

    require(principal, "view_customer")                 # 403 Forbidden unless granted
    rows = scope_customers(principal, customers)        # Ibis: only rows in scope
    row = require_customer(principal, row, customer_id) # 404 NotFound: missing *or* out of scope
    shown = mask_record(principal, row)                 # PII masked unless revealed (audited by caller)
    export = mask_table(principal, scope_customers(principal, t))  # masked inside the query

Routes declare their action with ``@declare("view_customer")`` (``routes``); see docs/access.md.
This package imports only ``finecrm.core`` (and Ibis): it never touches the database or the web.
"""

from __future__ import annotations

from .actions import ACTION_CODES, ACTIONS, AUTHENTICATED, PERSONAL_DATA_ACTIONS, PUBLIC, Action, get_action
from .decide import (
    alert_in_scope,
    allowed,
    customer_filter,
    customer_in_scope,
    granted_actions,
    insider_filter,
    loan_filter,
    loan_in_scope,
    require,
    require_customer,
    require_loan,
    scope_alerts,
    scope_customers,
    scope_loans,
)
from .errors import Forbidden, NotFound, ScopeError, UnknownAction, UnknownRole
from .masking import (
    PII_FIELDS,
    mask_account,
    mask_counterparty_name,
    mask_id,
    mask_name,
    mask_phone,
    mask_record,
    mask_table,
    may_reveal,
)
from .principal import Principal, branch_subtree, make_principal, resolve_branch_scope, resolve_grid_ids
from .roles import ROLE_CODES, ROLES, Role, Scope, get_role
from .routes import declare, declared_action, undeclared

__all__ = [
    "ACTIONS",
    "ACTION_CODES",
    "AUTHENTICATED",
    "PERSONAL_DATA_ACTIONS",
    "PII_FIELDS",
    "PUBLIC",
    "ROLES",
    "ROLE_CODES",
    "Action",
    "Forbidden",
    "NotFound",
    "Principal",
    "Role",
    "Scope",
    "ScopeError",
    "UnknownAction",
    "UnknownRole",
    "alert_in_scope",
    "allowed",
    "branch_subtree",
    "customer_filter",
    "customer_in_scope",
    "declare",
    "declared_action",
    "get_action",
    "get_role",
    "granted_actions",
    "insider_filter",
    "loan_filter",
    "loan_in_scope",
    "make_principal",
    "mask_account",
    "mask_counterparty_name",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_record",
    "mask_table",
    "may_reveal",
    "require",
    "require_customer",
    "require_loan",
    "resolve_branch_scope",
    "resolve_grid_ids",
    "scope_alerts",
    "scope_customers",
    "scope_loans",
    "undeclared",
]

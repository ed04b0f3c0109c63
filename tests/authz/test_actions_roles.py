"""The action registry and the role grants: declared once, consistent, and exactly as decided."""

from __future__ import annotations

import pytest

from finecrm.authz import (
    ACTION_CODES,
    ACTIONS,
    AUTHENTICATED,
    PERSONAL_DATA_ACTIONS,
    PUBLIC,
    ROLES,
    Scope,
    UnknownAction,
    UnknownRole,
    get_action,
    get_role,
)
from finecrm.core.errors import FinecrmError

REQUIRED_ACTIONS = {
    "view_dashboard", "view_customer", "search_customers", "view_segments", "export_list", "reveal_pii",
    "view_data_status", "run_build", "run_ingest", "manage_users", "view_audit", "manage_config",
    "view_own_tasks", "assign_customers", "record_referral", "view_credit", "work_collections",
    "work_case", "manage_campaigns", "record_outcome", "view_kpi", "record_complaint", "handle_complaints",
    "run_surveys",
}
REQUIRED_ROLES = {
    "analyst", "branch_head", "customer_manager", "lobby_manager", "risk_officer", "collector",
    "compliance_officer", "admin",
}


def test_every_required_action_and_role_is_declared():
    assert REQUIRED_ACTIONS <= ACTION_CODES
    assert set(ROLES) == REQUIRED_ROLES


@pytest.mark.parametrize("code", sorted(ACTION_CODES))
def test_actions_are_described_in_both_languages(code):
    a = ACTIONS[code]
    assert a.code == code
    assert a.zh and any("\u4e00" <= ch <= "\u9fff" for ch in a.zh), "Chinese description"
    assert a.en and a.en.isascii(), "English description"


def test_registries_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        ACTIONS["delete_everything"] = ACTIONS["view_kpi"]  # type: ignore[index]
    with pytest.raises(TypeError):
        ROLES["root"] = ROLES["admin"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        ROLES["admin"].grants.add("reveal_pii")  # type: ignore[attr-defined]


@pytest.mark.parametrize("typo", ["view_customers", "VIEW_CUSTOMER", "", "reveal-pii", PUBLIC, AUTHENTICATED])
def test_unknown_action_codes_raise(typo):
    with pytest.raises(UnknownAction) as err:
        get_action(typo)
    assert isinstance(err.value, FinecrmError)
    assert "actions.py" in str(err.value)


def test_unknown_role_raises():
    with pytest.raises(UnknownRole):
        get_role("superuser")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_grant_is_a_known_action(role):
    r = ROLES[role]
    assert r.grants <= ACTION_CODES
    assert r.grants, "a role that can do nothing is a mistake"
    assert r.zh and r.en


def test_admin_has_no_personal_data_action():
    admin = ROLES["admin"]
    assert "reveal_pii" not in admin.grants
    # The one personal-data action of the admin is browsing the audit log (the workbench issue asks that
    # admin and compliance browse it); it shows customer ids and reasons, not customer records.
    assert admin.grants & PERSONAL_DATA_ACTIONS == {"view_audit"}


def test_personal_data_flags_cover_the_obvious_cases():
    assert {"view_customer", "search_customers", "reveal_pii", "export_list", "work_case", "view_audit"} \
        <= PERSONAL_DATA_ACTIONS
    assert not {"manage_users", "manage_config", "run_build", "run_ingest", "view_dashboard"} & PERSONAL_DATA_ACTIONS


def test_reveal_pii_by_default_only_where_the_job_needs_contact_or_investigation():
    assert {code for code, r in ROLES.items() if "reveal_pii" in r.grants} == {
        "customer_manager", "collector", "compliance_officer",
    }


# The decided role × action matrix. Changing a grant must be a conscious edit here too.
EXPECTED = {
    "customer_manager": {
        "view_dashboard", "view_customer", "search_customers", "view_balances", "reveal_pii",
        "view_own_tasks", "record_visit", "record_outcome", "record_referral", "view_deposit_watch",
        "view_credit", "view_early_warnings", "view_kpi", "export_list", "record_complaint",
        "record_feedback",
    },
    "lobby_manager": {
        "view_dashboard", "view_customer", "search_customers", "view_own_tasks", "record_referral", "view_kpi",
        "record_complaint", "record_feedback",
    },
    "collector": {"view_customer", "reveal_pii", "view_own_tasks", "work_collections", "view_kpi"},
    "compliance_officer": {
        "view_dashboard", "view_customer", "search_customers", "view_balances", "reveal_pii",
        "export_list", "view_own_tasks", "work_case", "view_audit",
    },
    "admin": {"view_dashboard", "view_data_status", "run_ingest", "run_build", "manage_users", "manage_config",
              "view_audit"},
    "analyst": {
        "view_dashboard", "view_customer", "search_customers", "view_balances", "export_list",
        "view_segments", "manage_segments", "view_campaigns", "manage_campaigns", "manage_models",
        "view_deposit_watch", "view_kpi", "view_data_status", "run_ingest", "run_build", "manage_scorecards",
        "record_complaint", "handle_complaints", "run_surveys", "record_feedback", "answer_feedback",
        "manage_kpi_targets",
    },
    "branch_head": {
        "view_dashboard", "view_customer", "search_customers", "view_balances", "export_list",
        "view_segments", "view_campaigns", "assign_customers", "view_own_tasks", "view_deposit_watch",
        "view_credit", "view_early_warnings", "view_kpi", "record_complaint", "handle_complaints",
        "run_surveys", "record_feedback",
    },
    "risk_officer": {
        "view_dashboard", "view_customer", "search_customers", "view_balances", "export_list",
        "view_own_tasks", "view_credit", "view_early_warnings", "work_early_warnings", "classify_loans",
        "approve_credit", "view_collections", "assign_collections", "manage_scorecards",
    },
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_grants_are_exactly_as_decided(role):
    assert set(ROLES[role].grants) == EXPECTED[role]


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("analyst", Scope.ALL), ("compliance_officer", Scope.ALL), ("admin", Scope.ALL),
        ("branch_head", Scope.BRANCH_SUBTREE), ("lobby_manager", Scope.BRANCH),
        ("risk_officer", Scope.GIVEN), ("customer_manager", Scope.OWN_CUSTOMERS),
        ("collector", Scope.ASSIGNED_LOANS),
    ],
)
def test_role_scopes(role, scope):
    assert ROLES[role].scope is scope


def test_only_the_limited_roles_lack_balance_detail():
    with_customers = {c for c, r in ROLES.items() if "view_customer" in r.grants}
    without_balances = {c for c in with_customers if "view_balances" not in ROLES[c].grants}
    assert without_balances == {"lobby_manager", "collector"}

"""allowed / require: role grants plus per-user extras minus denials, failing loudly."""

from __future__ import annotations

import pytest

from finecrm.authz import (
    ACTION_CODES,
    AUTHENTICATED,
    PUBLIC,
    ROLES,
    Forbidden,
    Principal,
    UnknownAction,
    UnknownRole,
    allowed,
    granted_actions,
    require,
)
from finecrm.core.errors import FinecrmError


@pytest.mark.parametrize("role", sorted(ROLES))
def test_allowed_is_the_role_grant_for_every_action(role):
    p = Principal("u", role, branch_id="BR1", branch_scope=frozenset({"BR1"}))
    for action in sorted(ACTION_CODES):
        assert allowed(p, action) is (action in ROLES[role].grants), (role, action)


def test_require_raises_forbidden_naming_the_action():
    p = Principal("root", "admin")
    require(p, "manage_users")  # granted: no error
    with pytest.raises(Forbidden) as err:
        require(p, "reveal_pii")
    e = err.value
    assert isinstance(e, FinecrmError)
    assert e.action == "reveal_pii"
    assert e.username == "root"
    assert e.http_status == 403
    assert "reveal_pii" in str(e)
    assert "查看完整个人信息" in str(e) and "reveal personal data" in str(e)
    assert str(e).index("无权") < str(e).index("not allowed")  # Chinese first


def test_extra_actions_grant_and_denied_actions_win():
    # An admin explicitly granted reveal_pii (documented, audited elsewhere) may reveal.
    admin = Principal("root", "admin", extra_actions=frozenset({"reveal_pii"}))
    assert allowed(admin, "reveal_pii")
    # A customer manager barred from revealing (e.g. during an investigation) may not,
    # even though the role grants it; the rest of the role is untouched.
    cm = Principal("cm", "customer_manager", staff_id="S1", denied_actions=frozenset({"reveal_pii"}))
    assert not allowed(cm, "reveal_pii")
    assert allowed(cm, "view_customer")
    with pytest.raises(Forbidden):
        require(cm, "reveal_pii")
    # Denial beats an extra grant of the same action.
    both = Principal("x", "analyst", extra_actions=frozenset({"work_case"}), denied_actions=frozenset({"work_case"}))
    assert not allowed(both, "work_case")
    assert granted_actions(both) == ROLES["analyst"].grants


def test_principal_accepts_lists_but_stores_frozensets():
    p = Principal("cm", "customer_manager", staff_id="S1", extra_actions=["export_list"])  # type: ignore[arg-type]
    assert p.extra_actions == frozenset({"export_list"})
    assert allowed(p, "export_list")
    with pytest.raises(TypeError):
        Principal("cm", "customer_manager", extra_actions="export_list")  # type: ignore[arg-type]


def test_typos_fail_loudly_everywhere():
    p = Principal("ana", "analyst")
    with pytest.raises(UnknownAction):
        allowed(p, "view_customers")
    with pytest.raises(UnknownAction):
        require(p, "exportlist")
    with pytest.raises(UnknownAction):
        Principal("ana", "analyst", extra_actions=frozenset({"reveal_pi"}))
    with pytest.raises(UnknownAction):
        Principal("ana", "analyst", denied_actions=frozenset({"run-build"}))
    with pytest.raises(UnknownRole):
        Principal("x", "superuser")


def test_anonymous_and_pseudo_actions():
    assert allowed(None, PUBLIC)
    assert not allowed(None, AUTHENTICATED)
    assert not allowed(None, "view_dashboard")
    with pytest.raises(Forbidden) as err:
        require(None, AUTHENTICATED)
    assert err.value.action == AUTHENTICATED
    p = Principal("c", "collector")
    assert allowed(p, PUBLIC) and allowed(p, AUTHENTICATED)
    with pytest.raises(Forbidden):
        require(None, "view_customer")

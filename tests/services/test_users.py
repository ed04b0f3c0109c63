"""Managing accounts on a real database (SQLite file and PostgreSQL): validation, audit, demo users."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from finecrm.authz import ROLES, NotFound
from finecrm.db import repositories
from finecrm.db.models import AuditEvent
from finecrm.services.access import auth, demo_accounts, users

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
PASSWORD = "Chun-Feng9-Li"  # a test fixture's password; the code holds none
ADMIN = "cli:tester"
BRANCHES = {"HQ": None, "B1": "HQ", "S11": "B1", "S12": "B1"}
STAFF = [
    {"staff_id": "E0001", "name": "李娜", "branch_id": "HQ", "role": "analyst", "active": True},
    {"staff_id": "E0002", "name": "周强", "branch_id": "HQ", "role": "risk_officer", "active": True},
    # As read from Parquet: a numpy boolean. This one left the bank.
    {"staff_id": "E0100", "name": "王芳", "branch_id": "S11", "role": "customer_manager", "active": np.False_},
    {"staff_id": "E0101", "name": "陈静", "branch_id": "S11", "role": "customer_manager", "active": True},
    {"staff_id": "E0102", "name": "赵磊", "branch_id": "S11", "role": "branch_head", "active": True},
    {"staff_id": "E0103", "name": "孙丽", "branch_id": "S12", "role": "teller", "active": True},
]


def _audit(db, action=None) -> list[AuditEvent]:
    with db() as s:
        return list(reversed(repositories.list_audit(s, action=action, limit=1000)))


def _audit_text(db) -> str:
    return "\n".join(json.dumps([e.actor, e.action, e.target, e.reason, e.details], ensure_ascii=False)
                     for e in _audit(db))


def _add(db, username="wangfang", role="customer_manager", branch_id="S11", **kw):
    with db() as s, s.begin():
        return users.add_user(s, username=username, role=role, password=kw.pop("password", PASSWORD),
                              branch_id=branch_id, actor=kw.pop("actor", ADMIN), **kw)


def _login(db, username, password, at=T0, **kw):
    with db() as s, s.begin():
        return auth.login(s, username=username, password=password, ip="10.0.0.1", user_agent="t", now=at, **kw)


# --- password policy (no database needed) -------------------------------------------------------------


def test_the_password_policy_names_every_rule_broken_in_both_languages():
    assert users.password_problems(PASSWORD, username="wangfang") == []
    assert users.password_problems("mvz7-kqp2-rtx", username="x-y-z") == []  # three classes are enough

    short, guessable = users.password_problems("Ab1!", username="wangfang")
    assert "至少 10 个字符" in short and "at least 10 characters" in short
    assert "太容易被猜到" in guessable and "too easy to guess" in guessable
    [classes] = users.password_problems("mvz7kqp2rtxw", username="wangfang")
    assert "至少 3 类" in classes and "at least 3 of" in classes and "(it has 2)" in classes
    [name] = users.password_problems("xx-WangFang-2026", username="wangfang")
    assert "不能包含用户名" in name and "must not contain the username" in name
    assert len(users.password_problems("wangfang", username="wangfang")) == 4
    long, _guessable = users.password_problems("Aa1!" * 40, username="wangfang")
    assert "at most 128" in long

    with pytest.raises(users.PasswordPolicyError) as err:
        users.check_password("short", username="wangfang")
    assert len(err.value.problems) == 3
    assert "密码不符合要求" in str(err.value) and "does not meet the policy" in str(err.value)


@pytest.mark.parametrize("password", ["Password123", "P@ssw0rd2024", "Summer2024!", "Qwerty123456", "Aaaaaaaaaa1!",
                                      "Gnafgnaw-2026", "Finecrm2026!"])
def test_common_passwords_and_their_variations_are_refused(password):
    """Long enough and of three classes, yet a common password, a keyboard run, a repeat, the username
    backwards or the product's name with a year: zxcvbn scores each below MIN_PASSWORD_SCORE."""
    [problem] = users.password_problems(password, username="wangfang")
    assert problem.startswith("密码太容易被猜到") and "too easy to guess" in problem
    assert auth.password_score(password, user_inputs=["wangfang"]) < auth.MIN_PASSWORD_SCORE


def test_generated_passwords_meet_the_policy_and_differ():
    made = {auth.generate_password(username="abc") for _ in range(50)}
    assert len(made) == 50
    for p in made:
        assert users.password_problems(p, username="abc") == [] and len(p) == 16


# --- adding and listing -------------------------------------------------------------------------------


def test_add_and_list_users_with_an_audit_row_and_no_password(db):
    user = _add(db, username="WangFang", display_name="王芳", staff_id="E0101", now=T0)
    assert user.username == "wangfang" and user.display_name == "王芳" and user.active
    assert user.must_change_password  # an administrator chose it: changed at first sign-in
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    _add(db, username="lina", role="analyst", branch_id=None)
    with db() as s, s.begin():
        users.disable_user(s, username="lina", actor=ADMIN)
    with db() as s:
        assert [u.username for u in users.list_users(s)] == ["lina", "wangfang"]
        assert [u.username for u in users.list_users(s, active=True)] == ["wangfang"]
        assert [u.username for u in users.list_users(s, role="analyst")] == ["lina"]
        assert [u.username for u in users.list_users(s, branch_id="S11")] == ["wangfang"]
        shown = users.describe_user(users.get_user(s, username="WANGFANG"))
        assert shown["role"] == "customer_manager" and "password_hash" not in shown
        assert not any("argon2" in str(v) for v in shown.values())
        with pytest.raises(NotFound):
            users.get_user(s, username="nobody")

    [added, _] = _audit(db, "user_add")
    assert (added.actor, added.target) == (ADMIN, "wangfang")
    assert added.details["role"] == "customer_manager" and added.details["staff_id"] == "E0101"
    [disabled] = _audit(db, "user_disable")
    assert disabled.target == "lina"
    text = _audit_text(db)
    assert PASSWORD not in text and "argon2" not in text


def test_unknown_roles_are_refused_naming_the_allowed_ones(db):
    with pytest.raises(users.UserError) as err:
        _add(db, role="superuser")
    message = str(err.value)
    assert "superuser" in message and "未知角色" in message and "allowed roles" in message
    for code in ROLES:
        assert code in message
    with db() as s:
        assert users.list_users(s) == []


@pytest.mark.parametrize("bad", ["ab", "wang fang", "王芳", "-wang", "a" * 33, "wang/fang", ""])
def test_usernames_must_follow_the_pattern(db, bad):
    with pytest.raises(users.UserError, match="3–32"):
        _add(db, username=bad)


def test_staff_numbers_and_dotted_names_are_good_usernames(db):
    for name in ("010203", "wang.fang", "wang_fang-2"):
        _add(db, username=name)
    with pytest.raises(users.UserError, match="already taken"):
        _add(db, username="Wang.Fang")


def test_a_weak_password_is_refused_and_nothing_is_written(db):
    with pytest.raises(users.PasswordPolicyError) as err:
        _add(db, password="wangfang12")
    assert any("用户名" in p for p in err.value.problems)
    with db() as s:
        assert users.list_users(s) == [] and repositories.list_audit(s, action="user_add") == []


# Branch-scoped roles need a home branch; all-bank roles and collectors (assigned loans) do not.
NEEDS_BRANCH = {"branch_head", "lobby_manager", "customer_manager", "risk_officer"}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_branch_is_required_exactly_for_branch_scoped_roles(db, role):
    assert users.branch_required(role) == (role in NEEDS_BRANCH)
    if role in NEEDS_BRANCH:
        with pytest.raises(users.UserError) as err:
            _add(db, username="someone", role=role, branch_id=None)
        assert "branch_id" in str(err.value) and "所属机构" in str(err.value)
        _add(db, username="someone", role=role, branch_id="S11")
    else:
        assert _add(db, username="someone", role=role, branch_id=None).branch_id is None


def test_branches_grants_and_scopes_are_checked(db):
    with pytest.raises(users.UserError, match="not in the branch table"):
        _add(db, branch_id="NOPE", branches=BRANCHES)
    with pytest.raises(users.UserError, match="unknown action codes"):
        _add(db, extra_actions=["reveal_everything"])
    with pytest.raises(users.UserError, match="scoped by person"):
        _add(db, given_branches=["S11"])  # a customer manager sees people, not branches
    _add(db, username="zhaolei", role="branch_head", branch_id="B1", given_branches=["S12"],
         extra_actions=["reveal_pii"], branches=BRANCHES)


# --- changing -----------------------------------------------------------------------------------------


def test_update_user_records_each_change_and_ends_sessions_when_access_changes(db):
    _add(db, must_change_password=False)
    token = _login(db, "wangfang", PASSWORD).token
    with db() as s, s.begin():
        users.update_user(s, username="wangfang", actor=ADMIN, display_name="王芳（S11）", now=T0)
    with db() as s:
        assert auth.resolve_session(s, token=token, now=T0) is not None  # a new name changes no access
    with db() as s, s.begin():
        users.update_user(s, username="wangfang", actor=ADMIN, role="branch_head", reason="提任支行行长", now=T0)
        assert users.update_user(s, username="wangfang", actor=ADMIN, role="branch_head").role == "branch_head"
    with db() as s:
        assert auth.resolve_session(s, token=token, now=T0) is None
    first, second = _audit(db, "user_update")  # the no-op wrote nothing
    assert first.details["changes"] == {"display_name": ["wangfang", "王芳（S11）"]}
    assert second.details["changes"] == {"role": ["customer_manager", "branch_head"]}
    assert second.reason == "提任支行行长" and second.details["sessions_revoked"] == 1


def test_disable_enable_and_unlock(db):
    _add(db, must_change_password=False)
    for i in range(auth.MAX_FAILED_LOGINS):
        _login(db, "wangfang", "Wrong-pass-1", at=T0 + timedelta(seconds=i))
    assert _login(db, "wangfang", PASSWORD, at=T0 + timedelta(minutes=1)).reason == auth.LOCKED
    with db() as s, s.begin():
        users.unlock_user(s, username="wangfang", actor=ADMIN, reason="本人来电核实", now=T0 + timedelta(minutes=2))
    assert _login(db, "wangfang", PASSWORD, at=T0 + timedelta(minutes=3)).ok
    [unlock] = _audit(db, "user_unlock")
    assert unlock.details == {"failed_logins": 5, "was_locked": True}

    with db() as s, s.begin():
        users.disable_user(s, username="wangfang", actor=ADMIN, reason="离职")
        users.disable_user(s, username="wangfang", actor=ADMIN)  # already: nothing more happens
        assert not users.get_user(s, username="wangfang").active
    assert len(_audit(db, "user_disable")) == 1
    with db() as s, s.begin():
        users.enable_user(s, username="wangfang", actor=ADMIN)
    assert [e.target for e in _audit(db, "user_enable")] == ["wangfang"]
    assert _login(db, "wangfang", PASSWORD, at=T0 + timedelta(minutes=4)).ok


def test_nobody_disables_themselves_or_the_last_administrator(db):
    _add(db, username="admin1", role="admin", branch_id=None)
    _add(db, username="wangfang")
    with db() as s, s.begin(), pytest.raises(users.UserError, match="your own account"):
        users.disable_user(s, username="wangfang", actor="wangfang")
    with db() as s, s.begin(), pytest.raises(users.UserError, match="last active administrator"):
        users.disable_user(s, username="admin1", actor=ADMIN)
    with db() as s, s.begin(), pytest.raises(users.UserError, match="last active administrator"):
        users.update_user(s, username="admin1", actor=ADMIN, role="analyst")
    _add(db, username="admin2", role="admin", branch_id=None)
    with db() as s, s.begin():
        users.disable_user(s, username="admin1", actor="admin2")
        assert not users.get_user(s, username="admin1").active


def test_reset_password_hands_out_a_temporary_one_that_must_be_changed(db):
    _add(db, must_change_password=False)
    token = _login(db, "wangfang", PASSWORD).token
    with db() as s, s.begin():
        temp = users.reset_password(s, username="wangfang", actor=ADMIN, reason="忘记密码", now=T0)
    assert users.password_problems(temp, username="wangfang") == []
    with db() as s:
        assert auth.resolve_session(s, token=token, now=T0) is None  # sessions ended
    assert not _login(db, "wangfang", PASSWORD, at=T0 + timedelta(minutes=1)).ok
    result = _login(db, "wangfang", temp, at=T0 + timedelta(minutes=2))
    assert result.ok and result.must_change_password
    [event] = _audit(db, "password_reset")
    assert event.target == "wangfang" and event.reason == "忘记密码" and event.details["generated"] is True
    assert event.details["must_change_password"] is True
    assert temp not in _audit_text(db)

    with db() as s, s.begin(), pytest.raises(users.PasswordPolicyError):
        users.reset_password(s, username="wangfang", actor=ADMIN, new_password="123456")
    with db() as s, s.begin():
        chosen = users.reset_password(s, username="wangfang", actor=ADMIN, new_password="Chosen-by-admin-1")
    assert chosen == "Chosen-by-admin-1"
    assert _audit(db, "password_reset")[-1].details["generated"] is False


def test_change_password_checks_the_current_one_and_keeps_only_this_session(db):
    _add(db)
    here = _login(db, "wangfang", PASSWORD)
    elsewhere = _login(db, "wangfang", PASSWORD)
    assert here.must_change_password
    with db() as s, s.begin(), pytest.raises(users.CurrentPasswordRefused, match="current password is wrong"):
        users.change_password(s, username="wangfang", current_password="Not-it-123", new_password="Brand-New-77")
    with db() as s, s.begin(), pytest.raises(users.PasswordPolicyError, match="must differ"):
        users.change_password(s, username="wangfang", current_password=PASSWORD, new_password=PASSWORD)
    with db() as s, s.begin(), pytest.raises(users.PasswordPolicyError, match="at least 10"):
        users.change_password(s, username="wangfang", current_password=PASSWORD, new_password="Ab1!")
    with db() as s, s.begin():
        user = users.change_password(s, username="wangfang", current_password=PASSWORD,
                                     new_password="Brand-New-77", keep_token=here.token, now=T0)
        assert not user.must_change_password
    with db() as s:
        assert auth.resolve_session(s, token=here.token, now=T0) is not None
        assert auth.resolve_session(s, token=elsewhere.token, now=T0) is None
    assert not _login(db, "wangfang", PASSWORD, at=T0 + timedelta(minutes=1)).ok
    assert _login(db, "wangfang", "Brand-New-77", at=T0 + timedelta(minutes=2)).ok
    [event] = _audit(db, "password_change")
    assert event.actor == "wangfang" and event.details["sessions_revoked"] == 1


# --- demo users ---------------------------------------------------------------------------------------


def test_demo_users_one_per_role_with_random_passwords(db):
    with db() as s, s.begin():
        first = demo_accounts.create_demo_users(s, branches=BRANCHES, staff=STAFF, now=T0)
    assert sorted(a.role for a in first) == sorted([*ROLES, *demo_accounts.CHECKER_ROLES])
    by_role = {a.role: a for a in first if not a.checker}
    checker = next(a for a in first if a.checker)
    assert (checker.username, checker.role) == ("demo_risk_officer_checker", "risk_officer")
    assert checker.branch_id == by_role["risk_officer"].branch_id  # approves in the same scope
    assert by_role["customer_manager"].staff_id == "E0101"  # the first *active* customer manager
    assert by_role["customer_manager"].branch_id == "S11"
    assert by_role["risk_officer"].branch_id == "HQ"  # head-office risk officer: whole bank
    assert by_role["lobby_manager"].staff_id is None  # nobody holds it: the first outlet, no staff id
    assert by_role["lobby_manager"].branch_id == "S11"
    assert by_role["admin"].branch_id is None
    passwords = [a.password for a in first]
    assert len(set(passwords)) == len(passwords)
    source = (Path(auth.__file__).read_text(encoding="utf-8") + Path(users.__file__).read_text(encoding="utf-8"))
    for account in first:
        assert users.password_problems(account.password, username=account.username) == []
        assert account.password not in source
    with db() as s:
        demo = users.list_users(s)
        assert all(u.demo and u.active and not u.must_change_password for u in demo)
        assert len(demo) == len(ROLES) + len(demo_accounts.CHECKER_ROLES)

    for account in first:
        assert _login(db, account.username, account.password).reason == auth.DEMO_REFUSED
        assert _login(db, account.username, account.password, demo_mode=True).ok

    # Running it again hands out new passwords; the old ones stop working.
    with db() as s, s.begin():
        second = demo_accounts.create_demo_users(s, branches=BRANCHES, staff=STAFF, now=T0)
    old, new = by_role["analyst"], next(a for a in second if a.role == "analyst")
    assert new.password != old.password
    assert not _login(db, old.username, old.password, demo_mode=True).ok
    assert _login(db, new.username, new.password, demo_mode=True).ok
    assert PASSWORD not in _audit_text(db) and old.password not in _audit_text(db)


def test_demo_users_never_take_over_a_real_account(db):
    _add(db, username="demo_admin", role="admin", branch_id=None)
    with db() as s, s.begin(), pytest.raises(users.UserError, match="not a demo user"):
        demo_accounts.create_demo_users(s, branches=BRANCHES, staff=STAFF)
    with db() as s, s.begin(), pytest.raises(users.UserError, match="branch table"):
        demo_accounts.create_demo_users(s, branches={}, staff=STAFF)

"""Signing in on a real database (SQLite file and PostgreSQL): lockout, throttling, sessions, principal.

Time is passed explicitly (``now=``): nothing here sleeps.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from finecrm.authz import ROLES, Scope, allowed, granted_actions
from finecrm.db import repositories
from finecrm.db.models import AuditEvent, LoginAttempt, User, UserSession
from finecrm.services.access import auth, demo_accounts, users

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
PASSWORD = "Qiu-Shui7-Hu"  # a test fixture's password; the code holds none
ADMIN = "cli:tester"
BRANCHES = {"HQ": None, "B1": "HQ", "S11": "B1", "S12": "B1", "B2": "HQ", "S21": "B2"}


def _add(db, username="wangfang", role="customer_manager", branch_id="S11", staff_id="E1001", **kw):
    with db() as s, s.begin():
        users.add_user(s, username=username, role=role, password=PASSWORD, branch_id=branch_id,
                       staff_id=staff_id, actor=ADMIN, must_change_password=False, **kw)


def _login(db, username="wangfang", password=PASSWORD, *, at=T0, ip="10.1.2.3", **kw):
    with db() as s, s.begin():
        return auth.login(s, username=username, password=password, ip=ip, user_agent="pytest", now=at, **kw)


def _resolve(db, token, at, **kw):
    with db() as s, s.begin():
        found = auth.resolve_session(s, token=token, now=at, **kw)
        return None if found is None else (found[0].username, found[1].id)


def _user(db, username="wangfang") -> User:
    with db() as s:
        user = repositories.get_user(s, username=username)
        assert user is not None
        return user


def _audit(db, action=None) -> list[AuditEvent]:
    with db() as s:
        return list(reversed(repositories.list_audit(s, action=action, limit=1000)))


def _every_value(db) -> str:
    """Every stored value of every table, as one text (to look for secrets in it)."""
    parts = []
    with db() as s:
        for model in (User, UserSession, LoginAttempt, AuditEvent):
            for row in s.scalars(select(model)):
                parts.append(json.dumps({c.key: getattr(row, c.key) for c in model.__table__.columns},
                                        default=str, ensure_ascii=False))
    return "\n".join(parts)


def test_a_successful_login_opens_a_session_stored_only_as_a_hash(db):
    _add(db)
    result = _login(db, username="  WangFang ")  # usernames are case-insensitive
    assert result.ok and result.reason == auth.OK and result.token and result.csrf_token
    assert result.user is not None and result.user.username == "wangfang"
    assert len(result.token) >= 43  # 32 random bytes, url-safe base64
    assert result.expires_at is not None and auth.utc(result.expires_at) == T0 + auth.ABSOLUTE_TIMEOUT

    with db() as s:
        row = s.scalars(select(UserSession)).one()
        assert row.id == hashlib.sha256(result.token.encode()).hexdigest()
        assert row.ip == "10.1.2.3" and row.user_agent == "pytest" and row.revoked_at is None
    stored = _every_value(db)
    assert result.token not in stored  # the database never holds the raw token
    assert PASSWORD not in stored

    assert _resolve(db, result.token, T0 + timedelta(minutes=1)) == ("wangfang", row.id)
    assert _resolve(db, result.token + "x", T0) is None
    assert _resolve(db, "", T0) is None
    [event] = _audit(db, "login")
    assert event.actor == "wangfang" and event.details["ip"] == "10.1.2.3"
    assert auth.utc(_user(db).last_login_at) == T0


def test_a_wrong_password_counts_and_says_nothing_about_the_username(db):
    _add(db)
    wrong = _login(db, password="Wrong-pass-123")
    unknown = _login(db, username="nobody", password="Wrong-pass-123")
    assert not wrong.ok and not unknown.ok
    assert wrong.message == unknown.message == auth.MESSAGES[auth.BAD_CREDENTIALS]
    assert "用户名或密码错误" in wrong.message and "Wrong username or password" in wrong.message
    assert wrong.token is None and wrong.user is None
    assert _user(db).failed_logins == 1

    failed = _audit(db, "login_failed")
    assert [(e.target, e.details["reason"], e.details["known_user"]) for e in failed] == [
        ("wangfang", "bad_credentials", True), ("no****", "bad_credentials", False)]
    with db() as s:
        attempts = repositories.list_login_attempts(s)
        assert {(a.username, a.success, a.reason) for a in attempts} == {
            ("wangfang", False, "bad_credentials"), ("nobody", False, "bad_credentials")}
    assert "Wrong-pass-123" not in _every_value(db)

    assert _login(db, at=T0 + timedelta(minutes=1)).ok  # success resets the run of failures
    assert _user(db).failed_logins == 0


def test_five_failures_lock_the_account_until_the_lock_runs_out(db):
    _add(db)
    results = [_login(db, password=f"Wrong-pass-{i}", at=T0 + timedelta(seconds=i)) for i in range(5)]
    assert [r.reason for r in results] == ["bad_credentials"] * 4 + ["lockout"]
    assert results[-1].message == auth.MESSAGES[auth.LOCKED]
    assert "锁定" in results[-1].message and "locked" in results[-1].message
    user = _user(db)
    assert user.failed_logins == 5
    assert auth.utc(user.locked_until) == T0 + timedelta(seconds=4) + auth.LOCKOUT_DURATION
    [locked_event] = _audit(db, "account_locked")
    assert locked_event.target == "wangfang" and locked_event.details["failed_logins"] == 5

    # The right password does not help while the lock lasts ...
    unlock_at = T0 + timedelta(seconds=4) + auth.LOCKOUT_DURATION
    for at in (T0 + timedelta(minutes=1), unlock_at - timedelta(seconds=1)):
        refused = _login(db, at=at)
        assert not refused.ok and refused.reason == auth.LOCKED and refused.token is None
    assert auth.is_locked(_user(db), now=unlock_at - timedelta(seconds=1))
    # ... and once it has run out, it does.
    assert not auth.is_locked(_user(db), now=unlock_at)
    ok = _login(db, at=unlock_at)
    assert ok.ok
    user = _user(db)
    assert user.failed_logins == 0 and user.locked_until is None


def test_after_a_lock_a_new_run_of_failures_starts_from_zero(db):
    _add(db)
    for i in range(5):
        _login(db, password="Wrong-pass-1", at=T0 + timedelta(seconds=i))
    later = T0 + timedelta(minutes=20)
    assert _login(db, password="Wrong-pass-1", at=later).reason == auth.BAD_CREDENTIALS
    assert _user(db).failed_logins == 1


def test_unknown_usernames_are_locked_out_exactly_like_real_ones(db):
    """The lock message must not tell an attacker which usernames exist."""
    _add(db)

    def run(name):
        times = [T0 + timedelta(minutes=m) for m in (0, 2, 4, 8, 10)]  # five failures over ten minutes
        seq = [_login(db, username=name, password="Wrong-pass-1", at=t, ip=None) for t in times]
        lock_end = times[-1] + auth.LOCKOUT_DURATION
        seq.append(_login(db, username=name, password="Wrong-pass-2", at=lock_end - timedelta(seconds=1), ip=None))
        seq.append(_login(db, username=name, password="Wrong-pass-3", at=lock_end, ip=None))
        return [(r.ok, r.message) for r in seq]

    known, unknown = run("wangfang"), run("ghost")
    assert known == unknown
    bad, locked = auth.MESSAGES[auth.BAD_CREDENTIALS], auth.MESSAGES[auth.LOCKED]
    assert [m for _, m in known] == [bad] * 4 + [locked, locked, bad]


def test_too_many_failures_from_one_address_throttle_it(db):
    _add(db)
    ip = "192.0.2.7"
    # Guessing across many accounts: no account reaches its own lock.
    for i in range(auth.IP_MAX_FAILURES):
        r = _login(db, username=f"guess{i}", password="Wrong-pass-1", ip=ip, at=T0 + timedelta(seconds=i))
        assert r.reason == auth.BAD_CREDENTIALS
    at = T0 + timedelta(minutes=1)
    throttled = _login(db, ip=ip, at=at)  # even the right password
    assert not throttled.ok and throttled.reason == auth.IP_THROTTLED
    assert "此地址" in throttled.message and "from this address" in throttled.message
    assert _user(db).failed_logins == 0  # refused before any account was touched
    assert _login(db, ip="192.0.2.8", at=at).ok  # another address is not affected
    # Once the failures are older than the window, the address may try again.
    assert _login(db, ip=ip, at=T0 + timedelta(seconds=auth.IP_MAX_FAILURES - 1) + auth.IP_WINDOW).ok


def test_a_disabled_user_cannot_sign_in_and_their_sessions_stop_resolving(db):
    _add(db)
    token = _login(db).token
    assert _resolve(db, token, T0 + timedelta(minutes=1))
    with db() as s, s.begin():
        users.disable_user(s, username="wangfang", actor=ADMIN, reason="调岗", now=T0 + timedelta(minutes=2))
    assert _resolve(db, token, T0 + timedelta(minutes=3)) is None
    refused = _login(db, at=T0 + timedelta(minutes=4))
    assert not refused.ok and refused.reason == auth.DISABLED and "停用" in refused.message
    wrong = _login(db, password="Wrong-pass-1", at=T0 + timedelta(minutes=5))
    assert wrong.reason == auth.BAD_CREDENTIALS  # without the password nobody learns it is disabled
    with db() as s, s.begin():
        users.enable_user(s, username="wangfang", actor=ADMIN)
    assert _resolve(db, token, T0 + timedelta(minutes=6)) is None  # ended for good
    assert _login(db, at=T0 + timedelta(minutes=7)).ok


def test_a_user_disabled_behind_the_services_back_stops_resolving_too(db):
    _add(db)
    token = _login(db).token
    with db() as s, s.begin():
        user = repositories.get_user(s, username="wangfang")
        assert user is not None
        user.active = False
    assert _resolve(db, token, T0 + timedelta(minutes=1)) is None


def test_sessions_end_after_idle_time_and_absolutely(db):
    _add(db)
    token = _login(db).token
    # Sliding: each use moves the idle clock.
    at = T0
    for _ in range(3):
        at += auth.IDLE_TIMEOUT - timedelta(minutes=1)
        assert _resolve(db, token, at) is not None
    assert _resolve(db, token, at + auth.IDLE_TIMEOUT) is None  # idle too long

    token = _login(db, at=T0).token
    at = T0
    while at + timedelta(minutes=20) < T0 + auth.ABSOLUTE_TIMEOUT:
        at += timedelta(minutes=20)
        assert _resolve(db, token, at) is not None, at
    assert _resolve(db, token, T0 + auth.ABSOLUTE_TIMEOUT) is None  # active all day, still ends


def test_logout_revokes_the_session(db):
    _add(db)
    first, second = _login(db).token, _login(db).token
    with db() as s, s.begin():
        assert auth.logout(s, token=first, now=T0 + timedelta(minutes=1))
        assert not auth.logout(s, token=first)  # already ended
        assert not auth.logout(s, token="no-such-token")
    assert _resolve(db, first, T0 + timedelta(minutes=2)) is None
    assert _resolve(db, second, T0 + timedelta(minutes=2)) is not None  # other browsers stay signed in
    [event] = _audit(db, "logout")
    assert event.actor == "wangfang"


def test_csrf_tokens_belong_to_their_session(db):
    _add(db)
    a, b = _login(db), _login(db)
    assert a.csrf_token != b.csrf_token
    with db() as s:
        row_a = repositories.get_session(s, token_hash=auth.hash_token(a.token))
        assert row_a is not None
        assert auth.check_csrf(row_a, a.csrf_token)
        assert not auth.check_csrf(row_a, b.csrf_token)
        assert not auth.check_csrf(row_a, None) and not auth.check_csrf(row_a, "")


def test_hashes_made_with_old_parameters_are_upgraded_at_login(db):
    _add(db)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with db() as s, s.begin():
        user = repositories.get_user(s, username="wangfang")
        assert user is not None
        user.password_hash = weak
    assert _login(db).ok
    upgraded = _user(db).password_hash
    assert upgraded != weak and upgraded.startswith("$argon2id$")
    assert not auth.needs_rehash(upgraded)
    assert _login(db, at=T0 + timedelta(minutes=1)).ok


def test_demo_users_sign_in_only_in_demo_mode(db):
    with db() as s, s.begin():
        accounts = demo_accounts.create_demo_users(s, branches=BRANCHES, staff=[], now=T0)
    account = next(a for a in accounts if a.role == "analyst")
    refused = _login(db, username=account.username, password=account.password)
    assert not refused.ok and refused.reason == auth.DEMO_REFUSED
    assert "finecrm serve --demo" in refused.message
    ok = _login(db, username=account.username, password=account.password, demo_mode=True)
    assert ok.ok
    assert _resolve(db, ok.token, T0 + timedelta(minutes=1), demo_mode=True) is not None
    assert _resolve(db, ok.token, T0 + timedelta(minutes=1)) is None  # the server restarted without --demo


def test_nothing_secret_reaches_the_audit_log(db):
    _add(db)
    _login(db)
    _login(db, password="Wrong-pass-Zz9")
    _login(db, username="Typed-A-Password!9", password="x")
    with db() as s, s.begin():
        temp = users.reset_password(s, username="wangfang", actor=ADMIN)
        users.change_password(s, username="wangfang", current_password=temp, new_password="New-Secret-42a")
    audit = "\n".join(json.dumps([e.actor, e.action, e.target, e.reason, e.details], ensure_ascii=False)
                      for e in _audit(db))
    # A password typed into the username box is masked too (the username is unknown).
    for secret in (PASSWORD, "Wrong-pass-Zz9", temp, "New-Secret-42a", "$argon2", "typed-a-password!9"):
        assert secret not in audit, secret
    assert {"user_add", "login", "login_failed", "password_reset", "password_change"} <= {
        e.action for e in _audit(db)}


# --- the principal ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
def test_principal_for_gives_the_roles_actions_and_scope(db, role):
    branch = "B1" if role != "collector" else None
    _add(db, username=f"u-{role.replace('_', '-')}", role=role, branch_id=branch, staff_id="E7")
    user = _user(db, f"u-{role.replace('_', '-')}")
    p = auth.principal_for(user, branches=BRANCHES, grids={"G1": "E7", "G2": "E8"},
                           assigned_loans={"L1": "C1", "L2": "C2"})
    assert p.username == user.username and p.role == role and p.staff_id == "E7"
    assert granted_actions(p) == ROLES[role].grants
    scope = ROLES[role].scope
    expected_branches = {
        Scope.ALL: None,
        Scope.BRANCH_SUBTREE: frozenset({"B1", "S11", "S12"}),
        Scope.BRANCH: frozenset({"B1"}),
        Scope.GIVEN: frozenset({"B1", "S11", "S12"}),
        Scope.OWN_CUSTOMERS: frozenset(),
        Scope.ASSIGNED_LOANS: frozenset(),
    }[scope]
    assert p.branch_scope == expected_branches
    assert p.grid_ids == (frozenset({"G1"}) if scope is Scope.OWN_CUSTOMERS else frozenset())
    assert p.assigned_loan_ids == (frozenset({"L1", "L2"}) if scope is Scope.ASSIGNED_LOANS else frozenset())


def test_principal_for_applies_per_user_grants_and_given_branches(db):
    _add(db, username="zhaolei", role="branch_head", branch_id="B1", staff_id=None)
    _add(db, username="risk-hq", role="risk_officer", branch_id="HQ", staff_id=None)
    with db() as s, s.begin():
        users.update_user(s, username="zhaolei", actor=ADMIN, extra_actions=["reveal_pii"],
                          denied_actions=["export_list"], given_branches=["S12"], branches=BRANCHES)
        users.update_user(s, username="risk-hq", actor=ADMIN, given_branches=["B2"], branches=BRANCHES)
    head = auth.principal_for(_user(db, "zhaolei"), branches=BRANCHES)
    assert allowed(head, "reveal_pii") and not allowed(head, "export_list")
    assert head.branch_scope == frozenset({"S12"})  # narrowed to the given branch
    risk = auth.principal_for(_user(db, "risk-hq"), branches=BRANCHES)
    assert risk.branch_scope == frozenset({"B2", "S21"})  # a risk officer's given scope replaces the default

"""Complaints handled to a deadline, on hand-made cases with a fixed clock: deadlines in working days (weekends,
holidays, make-up days, the bank's time zone), escalation when overdue (two levels, once each), replies on time or
late, closing on acceptance, an appeal that reopens with a new deadline, every step in the history and the audit
log; refusals for the wrong role, the wrong scope and the wrong order of steps. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from finecrm.authz.errors import Forbidden, NotFound
from finecrm.core.settings import ServiceSettings
from finecrm.db.models import AuditEvent, ComplaintEvent, User
from finecrm.services.service import complaints as cp
from finecrm.services.service.inputs import (
    AppealComplaint,
    AssignComplaint,
    CloseComplaint,
    ComplaintFilters,
    ComplaintIntake,
    ReplyComplaint,
)

TZ = "Asia/Shanghai"
SETTINGS = ServiceSettings()  # service_attitude: 3 working days; appeal: 5; level 2 after 2 more


def bank_time(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A moment given in the bank's time (UTC+8), as the UTC datetime the clock hands over."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


def _user(s, username: str, role: str, branch_id: str | None) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    s.add(User(username=username, display_name=username, role=role, branch_id=branch_id, staff_id=None, active=True,
               password_hash="x", created_at=now, updated_at=now, extra_actions=[], denied_actions=[]))
    s.flush()


def _intake(**kw) -> ComplaintIntake:
    fields = {"channel": "lobby", "caller_name": "陈先生", "caller_phone": "13812345678", "category": "service_attitude",
              "branch_id": "B1", "staff_id": "S2", "description": "柜员态度生硬，不解释手续费"}
    return ComplaintIntake(**{**fields, **kw})


def test_deadline_counts_working_days_from_the_bank_date(directory, campaign_db):
    lobby = directory.principal("lobby1", "lobby_manager", "B1")
    with campaign_db() as s, s.begin():
        # Friday 2026-12-04 10:00 in the bank: 3 working days → Wednesday 2026-12-09 (the weekend does not count).
        row = cp.record(s, directory.serving, lobby, SETTINGS, _intake(), now=bank_time(2026, 12, 4), tz=TZ)
        assert (row["due_on"], row["status"], row["overdue"]) == ("2026-12-09", "open", False)
        # Thursday 17:30 UTC is already Friday 01:30 in the bank: counted from Friday (from Thursday, UTC's date,
        # it would be Tuesday 2026-12-08).
        late = cp.record(s, directory.serving, lobby, SETTINGS, _intake(),
                         now=datetime(2026, 12, 3, 17, 30, tzinfo=UTC), tz=TZ)
        assert late["due_on"] == "2026-12-09"
        # The caller's personal data is masked in what comes back; the description is what was typed.
        assert row["caller_phone"] != "13812345678" and "*" in row["caller_phone"]
        assert row["caller_name"] != "陈先生" and row["description"] == "柜员态度生硬，不解释手续费"
    holidays = ServiceSettings(holidays=[date(2026, 12, 7)], extra_working_days=[date(2026, 12, 5)])
    with campaign_db() as s, s.begin():
        # Saturday 12-05 worked (调休), Monday 12-07 a holiday: Sat, Tue, Wed → Wednesday 2026-12-09.
        row = cp.record(s, directory.serving, lobby, holidays, _intake(), now=bank_time(2026, 12, 4), tz=TZ)
        assert row["due_on"] == "2026-12-09"
        fees = cp.record(s, directory.serving, lobby, holidays, _intake(category="fees"), now=bank_time(2026, 12, 4),
                         tz=TZ)
        # 5 working days: Sat 5, Tue 8, Wed 9, Thu 10, Fri 11.
        assert fees["due_on"] == "2026-12-11"


def test_an_overdue_complaint_escalates_once_per_level(directory, campaign_db):
    lobby = directory.principal("lobby1", "lobby_manager", "B1")
    with campaign_db() as s, s.begin():
        cid = cp.record(s, directory.serving, lobby, SETTINGS, _intake(), now=bank_time(2026, 12, 4), tz=TZ)["id"]
        # On the due day, late in the evening: not yet overdue.
        assert cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 9, 23, 50), tz=TZ)["escalated"] == []
        # The next morning: level 1, once.
        run = cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 10, 8), tz=TZ)
        assert run["escalated"] == [{"complaint_id": cid, "level": 1}]
        assert cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 10, 9), tz=TZ)["escalated"] == []
        # Fri 11 and Sat 12: 2 working days late (Thu, Fri) — not more than 2: still level 1.
        assert cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 12, 9), tz=TZ)["escalated"] == []
        # Monday 14: 3 working days late: the head office's (level 2).
        run = cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 14, 9), tz=TZ)
        assert run["escalated"] == [{"complaint_id": cid, "level": 2}]
        head = directory.principal("head1", "branch_head", "B1")
        page = cp.queue(s, head, SETTINGS, ComplaintFilters(), now=bank_time(2026, 12, 14, 9), tz=TZ)
        row = page.rows[0]
        assert (row["id"], row["overdue"], row["overdue_working_days"], row["escalation_level"]) == (cid, True, 3, 2)
        kinds = [e.kind for e in s.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == cid))]
        assert kinds == ["recorded", "escalated", "escalated"]
        audit = s.scalars(select(AuditEvent).where(AuditEvent.target == f"complaint:{cid}")
                          .order_by(AuditEvent.id)).all()
        assert [(a.action, a.actor) for a in audit] == [
            ("complaint_recorded", "lobby1"), ("complaint_escalated", cp.ESCALATION_ACTOR),
            ("complaint_escalated", cp.ESCALATION_ACTOR)]


def test_reply_close_and_an_appeal_that_reopens_with_a_new_deadline(directory, campaign_db):
    lobby = directory.principal("lobby1", "lobby_manager", "B1")
    head = directory.principal("head1", "branch_head", "B1")
    with campaign_db() as s, s.begin():
        _user(s, "head1", "branch_head", "B1")
        _user(s, "head2", "branch_head", "B2")
        cid = cp.record(s, directory.serving, lobby, SETTINGS, _intake(), now=bank_time(2026, 12, 4), tz=TZ)["id"]
        with pytest.raises(cp.ComplaintError):  # not answered yet: cannot be closed
            cp.close(s, head, SETTINGS, cid, CloseComplaint(note="客户认可"), now=bank_time(2026, 12, 7), tz=TZ)
        with pytest.raises(cp.ComplaintError):  # a head of another branch cannot be given it
            cp.assign(s, head, SETTINGS, cid, AssignComplaint(assignee="head2"), now=bank_time(2026, 12, 7), tz=TZ)
        assert cp.assign(s, head, SETTINGS, cid, AssignComplaint(assignee="head1"), now=bank_time(2026, 12, 7),
                         tz=TZ)["status"] == "assigned"
        # Answered on Thursday 12-10, the day after the deadline: late, and that stays on record.
        row = cp.reply(s, head, SETTINGS, cid, ReplyComplaint(reply="已向客户致歉并说明收费依据"),
                       now=bank_time(2026, 12, 10, 15), tz=TZ)
        assert (row["status"], row["replied_on_time"], row["overdue"]) == ("replied", False, False)
        # An answered complaint does not escalate however long the customer takes.
        assert cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 30), tz=TZ)["escalated"] == []
        closed = cp.close(s, head, SETTINGS, cid, CloseComplaint(note="客户表示认可"), now=bank_time(2026, 12, 11), tz=TZ)
        assert closed["status"] == "closed" and closed["closed_at"]
        # The customer comes back on Friday 12-11 and appeals (the lobby manager takes it down): reopened,
        # due 5 working days later (Mon 14 … Fri 18), escalation from level 0 again.
        again = cp.appeal(s, lobby, SETTINGS, cid, AppealComplaint(note="客户认为解释不实，要求退费"),
                          now=bank_time(2026, 12, 11, 16), tz=TZ)
        assert (again["status"], again["due_on"], again["appeals"], again["closed_at"]) == (
            "appealed", "2026-12-18", 1, None)
        assert again["replied_on_time"] is False  # the first answer's record is kept
        run = cp.escalate_overdue(s, SETTINGS, now=bank_time(2026, 12, 21, 9), tz=TZ)
        assert run["escalated"] == [{"complaint_id": cid, "level": 1}]
        d = cp.detail(s, head, SETTINGS, cid, now=bank_time(2026, 12, 21, 9), tz=TZ)
        assert [e["kind"] for e in d["events"]] == ["recorded", "assigned", "replied", "accepted", "appealed",
                                                    "escalated"]
        assert d["events"][2]["note"] == "已向客户致歉并说明收费依据"
        assert d["handlers"] == ["head1"]


def test_roles_and_scopes_are_held(directory, campaign_db):
    lobby = directory.principal("lobby1", "lobby_manager", "B1")
    other_head = directory.principal("head2", "branch_head", "B2")
    manager = directory.principal("cm1", "customer_manager", "B1", staff_id="S1")
    with campaign_db() as s, s.begin():
        cid = cp.record(s, directory.serving, lobby, SETTINGS, _intake(), now=bank_time(2026, 12, 4), tz=TZ)["id"]
        with pytest.raises(Forbidden):  # recording is not handling
            cp.reply(s, lobby, SETTINGS, cid, ReplyComplaint(reply="已处理完毕"), now=bank_time(2026, 12, 7), tz=TZ)
        with pytest.raises(NotFound):  # another branch's head does not see it
            cp.detail(s, other_head, SETTINGS, cid, now=bank_time(2026, 12, 7), tz=TZ)
        assert cp.queue(s, other_head, SETTINGS, ComplaintFilters(), now=bank_time(2026, 12, 7), tz=TZ).total == 0
        # A customer manager sees what they recorded, not the lobby's complaint about a caller they do not manage.
        assert cp.queue(s, manager, SETTINGS, ComplaintFilters(), now=bank_time(2026, 12, 7), tz=TZ).total == 0
        mine = cp.record(s, directory.serving, manager, SETTINGS, _intake(channel="manager"),
                         now=bank_time(2026, 12, 7), tz=TZ)["id"]
        assert [r["id"] for r in cp.queue(s, manager, SETTINGS, ComplaintFilters(), now=bank_time(2026, 12, 7),
                                          tz=TZ).rows] == [mine]
        with pytest.raises(cp.ComplaintError):  # a lobby manager's branch only
            cp.record(s, directory.serving, lobby, SETTINGS, _intake(branch_id="B2"), now=bank_time(2026, 12, 4), tz=TZ)
        with pytest.raises(cp.ComplaintError):  # a category the bank did not configure
            cp.record(s, directory.serving, lobby, SETTINGS, _intake(category="weather"), now=bank_time(2026, 12, 4),
                      tz=TZ)
        with pytest.raises(cp.ComplaintError):  # neither a customer nor anything about the caller
            cp.record(s, directory.serving, lobby, SETTINGS, _intake(caller_name=None, caller_phone=None),
                      now=bank_time(2026, 12, 4), tz=TZ)


def test_the_queue_puts_overdue_first_and_filters(directory, campaign_db):
    lobby = directory.principal("lobby1", "lobby_manager", "B1")
    analyst = directory.principal("ana", "analyst")
    with campaign_db() as s, s.begin():
        a = cp.record(s, directory.serving, lobby, SETTINGS, _intake(category="product"),
                      now=bank_time(2026, 12, 1), tz=TZ)["id"]  # due 12-15
        b = cp.record(s, directory.serving, lobby, SETTINGS, _intake(), now=bank_time(2026, 12, 2), tz=TZ)["id"]  # 12-07
        c = cp.record(s, directory.serving, lobby, SETTINGS, _intake(category="fees"),
                      now=bank_time(2026, 12, 3), tz=TZ)["id"]  # due 12-10
        now = bank_time(2026, 12, 8)
        page = cp.queue(s, analyst, SETTINGS, ComplaintFilters(), now=now, tz=TZ)
        assert [r["id"] for r in page.rows] == [b, c, a]  # b overdue; then by deadline
        assert [r["overdue"] for r in page.rows] == [True, False, False]
        only = cp.queue(s, analyst, SETTINGS, ComplaintFilters(overdue=True), now=now, tz=TZ)
        assert [r["id"] for r in only.rows] == [b]
        fees = cp.queue(s, analyst, SETTINGS, ComplaintFilters(category="fees"), now=now, tz=TZ)
        assert [r["id"] for r in fees.rows] == [c]
        content, n = cp.export(s, analyst, SETTINGS, ComplaintFilters(), now=now, tz=TZ)
        assert n == 3 and content[:2] == b"PK"
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "export_list",
                                                  AuditEvent.target == "service:complaints")).one().details["rows"] == 3

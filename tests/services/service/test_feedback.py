"""Needs fed back to product owners: routed by product category (configured owner, else the team), answered once by
the owner only, seen by the branches that noted them and by the owners; audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from finecrm.authz.errors import Forbidden
from finecrm.core.settings import ServiceSettings
from finecrm.db.models import AuditEvent
from finecrm.services.service import feedback as fb
from finecrm.services.service.inputs import AnswerNeed, NoteNeed

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
SETTINGS = ServiceSettings(feedback_owners={"wealth": "pm_wealth"})


def test_routing_answer_and_scope(directory, campaign_db):
    lobby = directory.principal("lobby1", "lobby_manager", "B1")
    other_lobby = directory.principal("lobby2", "lobby_manager", "B2")
    owner = directory.principal("pm_wealth", "analyst")
    team = directory.principal("pm_team", "analyst")
    with campaign_db() as s, s.begin():
        w = fb.note(s, lobby, SETTINGS, NoteNeed(source="staff", product_category="wealth",
                                                 need="客户希望有起购金额一万元以下的理财"), now=NOW)
        e = fb.note(s, lobby, SETTINGS, NoteNeed(source="work_log", product_category="e_banking",
                                                 need="老年客户需要手机银行大字版"), now=NOW)
        assert (w["owner"], e["owner"], w["branch_id"], w["status"]) == ("pm_wealth", None, "B1", "open")
        with pytest.raises(fb.FeedbackError):  # routed to its owner: the team does not answer it
            fb.answer(s, team, w["id"], AnswerNeed(status="answered", answer="已列入明年产品计划"), now=NOW)
        with pytest.raises(Forbidden):
            fb.answer(s, lobby, e["id"], AnswerNeed(status="answered", answer="可以开发"), now=NOW)
        done = fb.answer(s, owner, w["id"], AnswerNeed(status="answered", answer="一月起发行五千元起购的产品"), now=NOW)
        assert (done["status"], done["answered_by"]) == ("answered", "pm_wealth")
        with pytest.raises(fb.FeedbackError):  # once
            fb.answer(s, owner, w["id"], AnswerNeed(status="declined", answer="重复答复测试"), now=NOW)
        assert fb.answer(s, team, e["id"], AnswerNeed(status="declined", answer="暂不开发，已有关怀模式"),
                         now=NOW)["status"] == "declined"
        assert [r["id"] for r in fb.board(s, lobby)] == [e["id"], w["id"]]
        assert fb.board(s, other_lobby) == []  # another branch's needs
        assert [r["id"] for r in fb.board(s, owner, status="answered")] == [w["id"]]
        actions = [a.action for a in s.scalars(select(AuditEvent).where(AuditEvent.target.like("feedback:%"))
                                                .order_by(AuditEvent.id))]
        assert actions == ["feedback_recorded", "feedback_recorded", "feedback_answered", "feedback_answered"]

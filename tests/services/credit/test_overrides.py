"""Changing a loan's category with two people (maker-checker), through the use cases on a generated bank's real
snapshot, on SQLite and PostgreSQL; and the change surviving a rebuild (the mart applies it)."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy import select

from finecrm.authz import Principal, make_principal
from finecrm.authz.errors import Forbidden, NotFound
from finecrm.db.models import AuditEvent, CategoryOverride
from finecrm.services.credit import overrides as ov
from finecrm.services.credit.inputs import OverrideDecision, OverrideProposal
from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.snapshot.serving import Serving
from finecrm.services.workspace import database_session, init_workspace, known_branches, open_workspace
from finecrm.synth import generate


@pytest.fixture(scope="session")
def credit_ws(tmp_path_factory):
    base = tmp_path_factory.mktemp("creditbank")
    generate(base / "bank", customers=1500, months=12, seed=17)
    init_workspace(base / "ws")
    ws = open_workspace(base / "ws")
    assert not ingest(ws, base / "bank")["unusable"]
    assert build(ws)["checks_passed"]
    return ws


def _officer(ws, name: str, role: str = "risk_officer") -> Principal:
    return make_principal(name, role, branches=known_branches(ws) or {})


def _loans(ws, where: str) -> list[dict]:
    build_id = Serving(ws).build_id
    path = ws.snapshots / build_id / "marts" / "loan_classification"
    rel = duckdb.sql(f"SELECT loan_id, system_category, final_category FROM read_parquet('{path}/**/*.parquet') "
                     f"WHERE {where} ORDER BY loan_id")
    return [dict(zip(("loan_id", "system_category", "final_category"), r, strict=True)) for r in rel.fetchall()]


def test_more_severe_applies_at_once_and_is_audited(credit_ws, campaign_db):
    serving = Serving(credit_ws)
    loan = _loans(credit_ws, "system_category = 'normal'")[0]
    with campaign_db() as s, s.begin():
        row = ov.propose(s, serving, _officer(credit_ws, "ro1"),
                         OverrideProposal(loan_id=loan["loan_id"], category="substandard", reason="借款人已失联"))
        assert (row["status"], row["direction"], row["from_category"]) == ("applied", "more_severe", "normal")
        assert ov.current_category(s, {**loan}, serving.build_id) == "substandard"
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "loan_category_proposed")).all()
        assert [(a.actor, a.target, a.reason) for a in audit] == [("ro1", f"loan:{loan['loan_id']}", "借款人已失联")]


def test_less_severe_waits_for_a_second_officer(credit_ws, campaign_db):
    serving = Serving(credit_ws)
    loan = _loans(credit_ws, "system_category <> 'normal'")[0]
    maker, checker = _officer(credit_ws, "ro1"), _officer(credit_ws, "ro2")
    with campaign_db() as s, s.begin():
        row = ov.propose(s, serving, maker, OverrideProposal(loan_id=loan["loan_id"], category="normal",
                                                             reason="已全额还款，系统未更新"))
        assert row["status"] == "pending" and row["direction"] == "less_severe"
        assert ov.current_category(s, loan, serving.build_id) == loan["final_category"]  # nothing changed yet
        with pytest.raises(ov.OverrideError, match="待复核"):  # one pending change per loan
            ov.propose(s, serving, maker, OverrideProposal(loan_id=loan["loan_id"], category="normal",
                                                           reason="再次提出"))
        with pytest.raises(Forbidden):  # the maker cannot check
            ov.decide(s, maker, row["id"], OverrideDecision(approve=True, note="同意"))
        done = ov.decide(s, checker, row["id"], OverrideDecision(approve=True, note="核实无误"))
        assert (done["status"], done["decided_by"]) == ("approved", "ro2")
        assert ov.current_category(s, loan, serving.build_id) == "normal"
        with pytest.raises(ov.OverrideError):  # decided once
            ov.decide(s, checker, row["id"], OverrideDecision(approve=False, note="改主意"))
        actions = [a.action for a in s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()]
        assert actions == ["loan_category_proposed", "loan_category_approved"]
        assert [r["id"] for r in ov.queue(s, checker).rows] == []


def test_who_may_do_what(credit_ws, campaign_db):
    serving = Serving(credit_ws)
    loan = _loans(credit_ws, "system_category <> 'normal'")[0]
    with campaign_db() as s, s.begin():
        with pytest.raises(Forbidden):  # a branch head sees credit but does not classify
            ov.propose(s, serving, make_principal("h", "branch_head", branches=known_branches(credit_ws) or {},
                                                  branch_id=next(iter(known_branches(credit_ws) or {}))),
                       OverrideProposal(loan_id=loan["loan_id"], category="normal", reason="不应允许"))
        with pytest.raises(NotFound):
            ov.propose(s, serving, _officer(credit_ws, "ro1"),
                       OverrideProposal(loan_id="NO-SUCH-LOAN", category="loss", reason="不存在的贷款"))
        with pytest.raises(NotFound):
            ov.decide(s, _officer(credit_ws, "ro2"), 999_999, OverrideDecision(approve=True, note="无此项"))
        with pytest.raises(ov.OverrideError, match="无需调整"):
            ov.propose(s, serving, _officer(credit_ws, "ro1"),
                       OverrideProposal(loan_id=loan["loan_id"], category=loan["final_category"], reason="同一分类"))


def test_changes_in_force_survive_a_rebuild(credit_ws):
    """Through the workspace's own database: the next build's mart carries the approved and applied changes."""
    serving = Serving(credit_ws)
    up = _loans(credit_ws, "system_category = 'normal'")[1]
    down = _loans(credit_ws, "system_category <> 'normal'")[0]
    with database_session(credit_ws) as s:
        ov.propose(s, serving, _officer(credit_ws, "ro1"),
                   OverrideProposal(loan_id=up["loan_id"], category="doubtful", reason="抵押物灭失"))
        pending = ov.propose(s, serving, _officer(credit_ws, "ro1"),
                             OverrideProposal(loan_id=down["loan_id"], category="normal", reason="系统延迟入账"))
        ov.decide(s, _officer(credit_ws, "ro2"), pending["id"], OverrideDecision(approve=True, note="已核实"))
    assert build(credit_ws)["checks_passed"]
    after = {r["loan_id"]: r for r in _loans(credit_ws, f"loan_id IN ('{up['loan_id']}', '{down['loan_id']}')")}
    assert after[up["loan_id"]]["final_category"] == "doubtful"
    assert after[down["loan_id"]]["final_category"] == "normal"
    with database_session(credit_ws) as s:
        kept = s.scalars(select(CategoryOverride).order_by(CategoryOverride.id)).all()
        assert [o.status for o in kept] == ["applied", "approved"]

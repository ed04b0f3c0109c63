"""Migration 0005 (contacts, the follow-up date of a campaign task) up and down, on SQLite and PostgreSQL:
outcomes recorded before it become contacts, and going down keeps the campaigns and their outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from finecrm.db.session import current_revision
from tests.db.test_marketing_migration import _alembic

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def _campaign(conn) -> None:
    conn.execute(text(
        "INSERT INTO campaigns (id, name, target, control_share, seed, channel, start_date, end_date, "
        "cost_per_contact, status, created_by, created_at) VALUES (1, 'cards', 'credit_card', '0.2', 1, 'phone', "
        ":t, :t, '0', 'assigned', 'li', :t)"), {"t": T0})
    rows = [("C1", "contacted", "wang", "S1"), ("C2", None, None, "S1"), ("C3", "interested", "wang", "S2")]
    for cid, outcome, by, to in rows:
        conn.execute(text(
            "INSERT INTO campaign_members (campaign_id, customer_id, arm, stratum, branch_id, assigned_to, outcome, "
            "outcome_note, outcome_by, outcome_at) VALUES (1, :c, 'treatment', '大众', 'B1', :to, :o, :n, :by, :at)"),
            {"c": cid, "to": to, "o": outcome, "n": "回电" if outcome else None, "by": by,
             "at": T0 if outcome else None})


def test_0005_adds_contacts_from_recorded_outcomes_and_goes_down_again(db_engine):
    _alembic(db_engine, "upgrade", "0003")
    with db_engine.begin() as c:
        _campaign(c)
    _alembic(db_engine, "upgrade", "0005")
    assert current_revision(db_engine) == "0005"
    assert "contacts" in inspect(db_engine).get_table_names()
    assert "follow_up_on" in {c["name"] for c in inspect(db_engine).get_columns("campaign_members")}
    with db_engine.connect() as c:
        contacts = c.execute(text("SELECT customer_id, kind, channel, staff_id, recorded_by, outcome, note, "
                                  "campaign_id, branch_id FROM contacts ORDER BY customer_id")).all()
        recorded = c.execute(text("SELECT customer_id, assigned_to, outcome_by, outcome, outcome_note FROM "
                                  "campaign_members WHERE outcome IS NOT NULL ORDER BY customer_id")).all()
    # one contact per recorded outcome, as the members hold them
    assert [(k.customer_id, k.staff_id, k.recorded_by, k.outcome, k.note) for k in contacts] == \
        [tuple(r) for r in recorded]
    assert {(k.kind, k.channel, k.campaign_id, k.branch_id) for k in contacts} == {("campaign_task", "phone", 1, "B1")}

    _alembic(db_engine, "downgrade", "0003")
    assert "contacts" not in inspect(db_engine).get_table_names()
    assert "follow_up_on" not in {c["name"] for c in inspect(db_engine).get_columns("campaign_members")}
    with db_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM campaign_members WHERE outcome IS NOT NULL")).scalar() == 2
    _alembic(db_engine, "upgrade", "0005")  # and up again
    assert current_revision(db_engine) == "0005"

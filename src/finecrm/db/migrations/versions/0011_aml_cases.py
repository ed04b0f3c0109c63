"""AML: alert triage, cases and their events.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aml_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("customer_id", sa.String(40)),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("proposal", sa.String(12)),
        sa.Column("proposal_text", sa.Text),
        sa.Column("proposed_by", sa.String(64)),
        sa.Column("proposed_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text),
        sa.Column("retain_until", sa.Date),
    )
    op.create_index("ix_aml_cases_status", "aml_cases", ["status", "due_on"])
    op.create_table(
        "aml_alert_triage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(160), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40)),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("aml_cases.id")),
        sa.Column("reason", sa.Text),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_aml_alert_triage_alert", "aml_alert_triage", ["alert_id", "id"])
    op.create_table(
        "aml_case_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("aml_cases.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("alert_id", sa.String(160)),
        sa.Column("text", sa.Text),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_aml_case_events_case", "aml_case_events", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_aml_case_events_case", "aml_case_events")
    op.drop_table("aml_case_events")
    op.drop_index("ix_aml_alert_triage_alert", "aml_alert_triage")
    op.drop_table("aml_alert_triage")
    op.drop_index("ix_aml_cases_status", "aml_cases")
    op.drop_table("aml_cases")

"""Service quality: complaints and requests with their deadline, handler, escalation, and every step of them.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_complaints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("customer_id", sa.String(40)),
        sa.Column("caller_name", sa.String(60)),
        sa.Column("caller_phone", sa.String(30)),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("branch_id", sa.String(40), nullable=False),
        sa.Column("staff_id", sa.String(40)),
        sa.Column("manager_id", sa.String(40)),
        sa.Column("grid_id", sa.String(40)),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("assignee", sa.String(64)),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("escalated_at", sa.DateTime(timezone=True)),
        sa.Column("first_replied_at", sa.DateTime(timezone=True)),
        sa.Column("replied_on_time", sa.Boolean),
        sa.Column("appeals", sa.Integer, nullable=False, server_default="0"),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_service_complaints_branch", "service_complaints", ["branch_id", "status", "due_on"])
    op.create_index("ix_service_complaints_customer", "service_complaints", ["customer_id", "id"])
    op.create_table(
        "service_complaint_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("service_complaints.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("details", sa.JSON),
    )
    op.create_index("ix_service_complaint_events_complaint", "service_complaint_events", ["complaint_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_service_complaint_events_complaint", "service_complaint_events")
    op.drop_table("service_complaint_events")
    op.drop_index("ix_service_complaints_customer", "service_complaints")
    op.drop_index("ix_service_complaints_branch", "service_complaints")
    op.drop_table("service_complaints")

"""Service quality: complaints and requests with their deadline, handler, escalation, and every step of them;
satisfaction surveys with their recorded sample, one-use link tokens (hashed) and answers; needs fed back to product owners.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
    op.create_table(
        "service_surveys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("strata", sa.String(12), nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.String(64)),
    )
    op.create_table(
        "service_survey_members",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("service_surveys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("manager_id", sa.String(40)),
        sa.Column("grid_id", sa.String(40)),
        sa.Column("tier", sa.String(40)),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("responded_at", sa.DateTime(timezone=True)),
        sa.Column("responded_via", sa.String(12)),
        sa.Column("entered_by", sa.String(64)),
    )
    op.create_index("ix_service_survey_members_survey", "service_survey_members", ["survey_id", "branch_id"])
    op.create_table(
        "service_survey_answers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("service_surveys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("service_survey_members.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("text", sa.Text),
    )
    op.create_index("ix_service_survey_answers_survey", "service_survey_answers", ["survey_id", "question"])
    op.create_table(
        "service_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("complaint_id", sa.Integer),
        sa.Column("product_category", sa.String(20), nullable=False),
        sa.Column("need", sa.Text, nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answered_by", sa.String(64)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_service_feedback_owner", "service_feedback", ["status", "product_category"])


def downgrade() -> None:
    op.drop_index("ix_service_feedback_owner", "service_feedback")
    op.drop_table("service_feedback")
    op.drop_index("ix_service_survey_answers_survey", "service_survey_answers")
    op.drop_table("service_survey_answers")
    op.drop_index("ix_service_survey_members_survey", "service_survey_members")
    op.drop_table("service_survey_members")
    op.drop_table("service_surveys")
    op.drop_index("ix_service_complaint_events_complaint", "service_complaint_events")
    op.drop_table("service_complaint_events")
    op.drop_index("ix_service_complaints_customer", "service_complaints")
    op.drop_index("ix_service_complaints_branch", "service_complaints")
    op.drop_table("service_complaints")

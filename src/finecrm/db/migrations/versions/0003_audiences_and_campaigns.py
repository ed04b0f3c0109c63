"""Audiences (saved, versioned target lists), campaigns and their members.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "audience_versions",
        sa.Column("audience_id", sa.Integer, sa.ForeignKey("audiences.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("build_id", sa.String(64)),
        sa.Column("customers", sa.BigInteger),
        sa.Column("aum", sa.JSON),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("offer_product", sa.String(40)),
        sa.Column("audience_id", sa.Integer, sa.ForeignKey("audiences.id")),
        sa.Column("audience_version", sa.Integer),
        sa.Column("top_n", sa.Integer),
        sa.Column("size_cap", sa.Integer),
        sa.Column("control_share", sa.JSON, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cost_per_contact", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("build_id", sa.String(64)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON),
    )
    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("customer_id", sa.String(40), primary_key=True),
        sa.Column("arm", sa.String(10), nullable=False),
        sa.Column("stratum", sa.String(40), nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("grid_id", sa.String(40)),
        sa.Column("manager_id", sa.String(40)),
        sa.Column("score", sa.JSON),
        sa.Column("decile", sa.Integer),
        sa.Column("reason", sa.Text),
        sa.Column("assigned_to", sa.String(40)),
        sa.Column("assigned_by", sa.String(64)),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("outcome_note", sa.Text),
        sa.Column("outcome_by", sa.String(64)),
        sa.Column("outcome_at", sa.DateTime(timezone=True)),
        sa.Column("converted_on", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_campaign_members_assignee", "campaign_members", ["assigned_to", "campaign_id"])
    op.create_index("ix_campaign_members_branch", "campaign_members", ["campaign_id", "branch_id"])


def downgrade() -> None:
    op.drop_index("ix_campaign_members_branch", table_name="campaign_members")
    op.drop_index("ix_campaign_members_assignee", table_name="campaign_members")
    op.drop_table("campaign_members")
    op.drop_table("campaigns")
    op.drop_table("audience_versions")
    op.drop_table("audiences")

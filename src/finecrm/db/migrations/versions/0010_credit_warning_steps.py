"""Credit: the work on loan early warnings (taken, noted, closed, reopened).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_warning_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("warning_id", sa.String(120), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("step", sa.String(12), nullable=False),
        sa.Column("assignee", sa.String(64)),
        sa.Column("outcome", sa.String(30)),
        sa.Column("note", sa.Text),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_credit_warning_steps_warning", "credit_warning_steps", ["warning_id", "id"])
    op.create_index("ix_credit_warning_steps_assignee", "credit_warning_steps", ["assignee", "id"])


def downgrade() -> None:
    op.drop_index("ix_credit_warning_steps_assignee", "credit_warning_steps")
    op.drop_index("ix_credit_warning_steps_warning", "credit_warning_steps")
    op.drop_table("credit_warning_steps")

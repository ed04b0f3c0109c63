"""Credit: proposed and approved changes of a loan's five-category classification.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_category_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40)),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("system_category", sa.String(20), nullable=False),
        sa.Column("from_category", sa.String(20), nullable=False),
        sa.Column("to_category", sa.String(20), nullable=False),
        sa.Column("direction", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.String(64)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text),
    )
    op.create_index("ix_credit_overrides_loan", "credit_category_overrides", ["loan_id", "id"])
    op.create_index("ix_credit_overrides_status", "credit_category_overrides", ["status", "branch_id"])


def downgrade() -> None:
    op.drop_index("ix_credit_overrides_status", "credit_category_overrides")
    op.drop_index("ix_credit_overrides_loan", "credit_category_overrides")
    op.drop_table("credit_category_overrides")

"""KPI: targets per indicator, month, level and unit.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_targets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("unit_id", sa.String(40), nullable=False),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.UniqueConstraint("indicator", "period", "level", "unit_id", name="uq_kpi_targets_unit"),
    )


def downgrade() -> None:
    op.drop_table("kpi_targets")

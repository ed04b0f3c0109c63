"""Collections: loans assigned to collectors, contacts with debtors and promises to pay.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("staff_id", sa.String(40), nullable=False),
        sa.Column("bucket", sa.String(8)),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", sa.String(64)),
        sa.Column("end_reason", sa.Text),
    )
    # at most one open assignment per loan (a partial index: SQLite and PostgreSQL both have them)
    op.create_index("ux_collection_assignments_open", "collection_assignments", ["loan_id"], unique=True,
                    sqlite_where=sa.text("ended_at IS NULL"), postgresql_where=sa.text("ended_at IS NULL"))
    op.create_index("ix_collection_assignments_staff", "collection_assignments", ["staff_id", "ended_at"])
    op.create_index("ix_collection_assignments_loan", "collection_assignments", ["loan_id", "id"])
    op.create_table(
        "collection_contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("staff_id", sa.String(40)),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("next_step", sa.String(12)),
        sa.Column("next_on", sa.Date),
        sa.Column("bucket", sa.String(8)),
        sa.Column("dpd", sa.Integer),
        sa.Column("template", sa.String(12)),
        sa.Column("rendered_text", sa.Text),
    )
    op.create_index("ix_collection_contacts_loan", "collection_contacts", ["loan_id", "at"])
    op.create_index("ix_collection_contacts_staff", "collection_contacts", ["staff_id", "at"])
    op.create_table(
        "collection_promises",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("collection_contacts.id"), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("staff_id", sa.String(40)),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("promised_on", sa.Date, nullable=False),
    )
    op.create_index("ix_collection_promises_loan", "collection_promises", ["loan_id", "promised_on"])


def downgrade() -> None:
    op.drop_index("ix_collection_promises_loan", "collection_promises")
    op.drop_table("collection_promises")
    op.drop_index("ix_collection_contacts_staff", "collection_contacts")
    op.drop_index("ix_collection_contacts_loan", "collection_contacts")
    op.drop_table("collection_contacts")
    op.drop_index("ix_collection_assignments_loan", "collection_assignments")
    op.drop_index("ix_collection_assignments_staff", "collection_assignments")
    op.drop_index("ux_collection_assignments_open", "collection_assignments")
    op.drop_table("collection_assignments")

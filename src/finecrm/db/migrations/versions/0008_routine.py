"""The work log (工作日志) in the contacts table, and referrals from the lobby (转介).

Visits, calls, messages and meetings are contacts of new kinds; they need the place, the purpose, the next
step and the page they were recorded from (the 360, a task, the visit plan, a reminder). Contacts recorded
before keep these empty. A referral is a walk-in the lobby sends to a customer manager, with the follow-up
deadline and what came of it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("place", sa.String(200)))
        batch.add_column(sa.Column("purpose", sa.String(20)))
        batch.add_column(sa.Column("next_step", sa.Text))
        batch.add_column(sa.Column("source", sa.String(20)))
    # The daily standard and the visit plan read one manager's (or one customer's) contacts of a kind by time.
    op.create_index("ix_contacts_kind_staff", "contacts", ["kind", "staff_id", "at"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("referrer_staff_id", sa.String(40)),
        sa.Column("branch_id", sa.String(40)),
        sa.Column("customer_id", sa.String(40)),
        sa.Column("prospect_name", sa.String(100)),
        sa.Column("prospect_phone", sa.String(30)),
        sa.Column("interest", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("to_staff_id", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("worked_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("outcome_note", sa.Text),
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer_staff_id", "created_at"])
    op.create_index("ix_referrals_to", "referrals", ["to_staff_id", "status", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_referrals_to", table_name="referrals")
    op.drop_index("ix_referrals_referrer", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("ix_contacts_kind_staff", table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("source")
        batch.drop_column("next_step")
        batch.drop_column("purpose")
        batch.drop_column("place")

"""Contacts (the record of every contact with a customer) and the follow-up date of a campaign task.

Outcomes recorded before this revision become contacts too (one per task that has an outcome), so the
customer 360's contact history is complete from the start.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20)),
        sa.Column("staff_id", sa.String(40)),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("note", sa.Text),
        sa.Column("follow_up_on", sa.Date),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE")),
        sa.Column("branch_id", sa.String(40)),
    )
    op.create_index("ix_contacts_customer", "contacts", ["customer_id", "at"])
    op.create_index("ix_contacts_staff", "contacts", ["staff_id", "at"])
    op.create_index("ix_contacts_campaign", "contacts", ["campaign_id", "customer_id"])
    op.add_column("campaign_members", sa.Column("follow_up_on", sa.Date))
    op.execute(
        "INSERT INTO contacts (customer_id, kind, channel, staff_id, recorded_by, at, outcome, note, campaign_id, "
        "branch_id) SELECT m.customer_id, 'campaign_task', c.channel, m.assigned_to, m.outcome_by, m.outcome_at, "
        "m.outcome, m.outcome_note, m.campaign_id, m.branch_id FROM campaign_members m JOIN campaigns c "
        "ON c.id = m.campaign_id WHERE m.outcome IS NOT NULL AND m.outcome_at IS NOT NULL "
        "AND m.outcome_by IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("campaign_members") as batch:
        batch.drop_column("follow_up_on")
    op.drop_index("ix_contacts_campaign", table_name="contacts")
    op.drop_index("ix_contacts_staff", table_name="contacts")
    op.drop_index("ix_contacts_customer", table_name="contacts")
    op.drop_table("contacts")

"""The work log (工作日志) in the contacts table: where, why, the next step, and where it was recorded from.

Visits, calls, messages and meetings are contacts of new kinds; they need the place, the purpose, the next
step and the page they were recorded from (the 360, a task, the visit plan, a reminder). Contacts recorded
before keep these empty.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
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


def downgrade() -> None:
    op.drop_index("ix_contacts_kind_staff", table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("source")
        batch.drop_column("next_step")
        batch.drop_column("purpose")
        batch.drop_column("place")

"""An index on ``lower(email_events.to_address), created_at`` (issue 17): the gate's counts of
automatic mails to an address in the last day read it instead of every mail of the day.

Revision ID: 0008_i17
Revises: 0007_i16
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_i17"
down_revision: str | None = "0007_i16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_email_events_to_address_lower_created_at",
        "email_events",
        [sa.text("lower(to_address)"), "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_email_events_to_address_lower_created_at", table_name="email_events")

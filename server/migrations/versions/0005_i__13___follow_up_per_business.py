"""The automatic follow-up per business: ``businesses.follow_up_enabled`` and
``businesses.follow_up_delay_h`` (hours; NULL keeps LEADFLOW_FOLLOW_UP_DELAY_H).

Revision ID: 0005_i13
Revises: 0004_i17
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_i13"
down_revision: str | None = "0004_i17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follow_up_enabled", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch_op.add_column(sa.Column("follow_up_delay_h", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.drop_column("follow_up_delay_h")
        batch_op.drop_column("follow_up_enabled")

"""Revocable reply addresses (issue 16): ``revoked_reply_tokens``, and an index on
``lower(businesses.contact_email)`` for the inbound sender rule.

Revision ID: 0007_i16
Revises: 0006_i16
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_i16"
down_revision: str | None = "0006_i16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_reply_tokens",
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_revoked_reply_tokens_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_revoked_reply_tokens_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_revoked_reply_tokens")),
    )
    op.create_index(op.f("ix_revoked_reply_tokens_lead_id"), "revoked_reply_tokens", ["lead_id"])
    op.create_index(
        "ix_businesses_contact_email_lower", "businesses", [sa.text("lower(contact_email)")]
    )


def downgrade() -> None:
    op.drop_index("ix_businesses_contact_email_lower", table_name="businesses")
    op.drop_index(op.f("ix_revoked_reply_tokens_lead_id"), table_name="revoked_reply_tokens")
    op.drop_table("revoked_reply_tokens")

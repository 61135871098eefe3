"""Unused invite and reset links of deactivated accounts and memberships stop working.

Before this revision a deactivation left them valid, and accepting one switched the account
back on; deactivation now expires them itself (``server.auth.repository.cut_off``), this
expires the ones left from before. Nothing to undo on downgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite keeps UTC without an offset (UTCDateTime)
    invites = sa.table(
        "invites",
        sa.column("user_id"),
        sa.column("business_id"),
        sa.column("used_at"),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    tokens = sa.table(
        "refresh_tokens",
        sa.column("user_id"),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    users = sa.table("users", sa.column("id"), sa.column("is_active", sa.Boolean()))
    members = sa.table(
        "business_members",
        sa.column("user_id"),
        sa.column("business_id"),
        sa.column("is_active", sa.Boolean()),
    )
    inactive_users = sa.select(users.c.id).where(users.c.is_active.is_(False))
    inactive_member = (
        sa.select(sa.literal(1))
        .select_from(members)
        .where(
            members.c.user_id == invites.c.user_id,
            members.c.business_id == invites.c.business_id,
            members.c.is_active.is_(False),
        )
        .exists()
    )
    op.execute(
        invites.update()
        .where(
            invites.c.used_at.is_(None),
            sa.or_(invites.c.user_id.in_(inactive_users), inactive_member),
        )
        .values(expires_at=now)
    )
    op.execute(
        tokens.update()
        .where(tokens.c.revoked_at.is_(None), tokens.c.user_id.in_(inactive_users))
        .values(revoked_at=now)
    )


def downgrade() -> None:
    pass

"""Inbound mail on the admin's health page: whether it is on, each channel's last poll, last
mail, last error and backlog, and how much mail waits in the unmatched list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.context import ServerContext
from server.models.inbound import InboundChannel, InboundMail
from shared.models.enums import InboundOutcome
from shared.models.inbound import InboundChannelHealth, InboundHealth


async def inbound_health(session: AsyncSession, settings: Settings) -> InboundHealth:
    channels = (await session.execute(select(InboundChannel))).scalars().all()
    unmatched = (
        await session.execute(
            select(func.count())
            .select_from(InboundMail)
            .where(InboundMail.outcome == InboundOutcome.UNMATCHED.value)
        )
    ).scalar_one()
    configured = {
        "imap": settings.inbound_enabled and bool(settings.imap_host),
        "webhook": settings.inbound_enabled and bool(settings.inbound_secret.get_secret_value()),
    }
    return InboundHealth(
        enabled=settings.inbound_enabled,
        domain=settings.inbound_domain or None,
        unmatched=int(unmatched),
        channels=[
            InboundChannelHealth(
                name=c.name,
                configured=configured.get(c.name, False),
                last_poll_at=c.last_poll_at,
                last_mail_at=c.last_mail_at,
                last_error=c.last_error,
                last_error_at=c.last_error_at,
                backlog=c.backlog,
                processed=c.processed,
            )
            for c in sorted(channels, key=lambda c: c.name)
        ],
    )


async def count_received(
    ctx: ServerContext, channel: str, count: int, at: datetime, **values: object
) -> None:
    """Add ``count`` mails received to the channel's numbers (and any other ``values``), in a
    short transaction of its own after theirs: one row shared by every receiving transaction
    would make them wait for each other. A crash in between loses a count, not a mail."""
    changes = dict(values)
    if count:
        changes.update(processed=InboundChannel.processed + count, last_mail_at=at)
    if not changes:
        return
    async with ctx.db.session() as session:
        await session.execute(
            update(InboundChannel).where(InboundChannel.name == channel).values(**changes)
        )

"""Which lead an arriving mail answers (CONTRACT §10), tried in order: the reply token in any
recipient; ``In-Reply-To``/``References`` against the Message-IDs sent for a lead; the sender
against an open lead of the business the mail was addressed to.

A mail to a revoked reply address (and to no live one) is not matched by the later rules: the
address was revoked because it reached the wrong people, who may well quote the lead's thread.
Only the lead's own customer, from the lead's own address, still reaches the lead; anything
else waits in the business's unmatched list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.inbound.addresses import token_of
from server.inbound.parse import ParsedMail
from server.mail.service import CUSTOMER_KINDS
from server.models.business import Business
from server.models.inbound import RevokedReplyToken
from server.models.lead import LEAD_LOCK, Lead
from server.models.ops import EmailEvent
from shared.models.enums import CLOSED_LEAD_STATUSES, InboundMatch

MAX_THREAD_IDS = 50
REVOKED_NOTE = "Sent to a reply address that was revoked"


@dataclass
class Match:
    lead_id: uuid.UUID | None
    matched_by: InboundMatch | None
    business_id: uuid.UUID | None
    note: str | None = None
    # The lead and its business when the match already loaded them with the lead locked.
    locked: tuple[Lead, Business] | None = None


async def find_lead(session: AsyncSession, settings: Settings, mail: ParsedMail) -> Match:
    tokens = [token for r in mail.recipients if (token := token_of(settings, r))]
    if tokens:
        found = await locked_lead(session, Lead.reply_token.in_(tokens))
        if found is not None:
            return Match(found[0].id, InboundMatch.TOKEN, found[0].business_id, locked=found)
        revoked = await _revoked(session, mail, tokens)
        if revoked is not None:
            return revoked
    sent = await sent_mail(session, mail.thread_ids)
    if sent is not None and sent.lead_id is not None:
        return Match(sent.lead_id, InboundMatch.THREAD, sent.business_id)
    businesses = (
        list(
            (
                await session.execute(
                    select(Business.id).where(
                        func.lower(Business.contact_email).in_(mail.recipients)
                    )
                )
            ).scalars()
        )
        if mail.recipients
        else []
    )
    if businesses and mail.from_address:
        row = (
            await session.execute(
                select(Lead.id, Lead.business_id)
                .where(
                    Lead.business_id.in_(businesses),
                    Lead.email_normalized == mail.from_address,
                    Lead.status.not_in([s.value for s in CLOSED_LEAD_STATUSES]),
                )
                .order_by(Lead.last_activity_at.desc())
                .limit(1)
            )
        ).first()
        if row is not None:
            return Match(row[0], InboundMatch.SENDER, row[1])
    return Match(None, None, businesses[0] if len(businesses) == 1 else None)


async def locked_lead(session: AsyncSession, where: Any) -> tuple[Lead, Business] | None:
    """The lead matching ``where`` and its business in one query, the lead locked for the
    receiving transaction (``LEAD_LOCK``): one round trip where three were."""
    row = (
        await session.execute(
            select(Lead, Business)
            .join(Business, Business.id == Lead.business_id)
            .where(where)
            .limit(1)
            .with_for_update(of=Lead, key_share=LEAD_LOCK["key_share"])
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def _revoked(session: AsyncSession, mail: ParsedMail, tokens: list[str]) -> Match | None:
    """The match of a mail to a revoked reply address: its lead when it comes from the lead's
    own address, else none (kept unmatched for the lead's business)."""
    row = (
        await session.execute(
            select(RevokedReplyToken.lead_id, RevokedReplyToken.business_id)
            .where(RevokedReplyToken.token.in_(tokens))
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    lead_id, business_id = row
    if mail.from_address:
        own = (
            await session.execute(
                select(Lead.id).where(
                    Lead.id == lead_id, Lead.email_normalized == mail.from_address
                )
            )
        ).first()
        if own is not None:
            return Match(lead_id, InboundMatch.SENDER, business_id)
    return Match(None, None, business_id, REVOKED_NOTE)


async def sent_mail(
    session: AsyncSession, thread_ids: list[str], *, customer_only: bool = True
) -> EmailEvent | None:
    """The newest mail LeadFlow sent (to a customer, unless ``customer_only`` is false) among
    these Message-IDs (stored with their angle brackets)."""
    if not thread_ids:
        return None
    wanted = [f"<{m}>" for m in thread_ids[:MAX_THREAD_IDS]]
    query = select(EmailEvent).where(EmailEvent.message_id.in_(wanted))
    if customer_only:
        query = query.where(EmailEvent.kind.in_([k.value for k in CUSTOMER_KINDS]))
    found = await session.execute(query.order_by(EmailEvent.created_at.desc()).limit(1))
    return found.scalar_one_or_none()

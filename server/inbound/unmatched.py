"""The unmatched list (super-admins, and owners for mail addressed to their business) and
attaching such a mail to a lead, which then has every effect of a matched reply."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.context import ServerContext
from server.errors import Conflict, NotFound
from server.inbound import files
from server.inbound.effects import store_reply
from server.inbound.parse import read
from server.inbound.service import Received, keep_attachments, write_files
from server.models.business import Business
from server.models.inbound import InboundMail
from server.models.lead import Lead
from server.pagination import PageParams, fetch_page
from shared.models.enums import InboundMatch, InboundOutcome
from shared.models.inbound import UnmatchedMailOut


async def unmatched_page(
    session: AsyncSession,
    paging: PageParams,
    *,
    business_id: uuid.UUID | None = None,
    q: str | None = None,
) -> tuple[list[UnmatchedMailOut], int]:
    """Unmatched mail, newest first; ``business_id`` limits it to mail addressed to it."""
    query = (
        select(InboundMail, Business.name)
        .outerjoin(Business, Business.id == InboundMail.business_id)
        .where(InboundMail.outcome == InboundOutcome.UNMATCHED.value)
        .order_by(InboundMail.received_at.desc(), InboundMail.id)
    )
    if business_id is not None:
        query = query.where(InboundMail.business_id == business_id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                InboundMail.from_address.like(like),
                InboundMail.subject.ilike(like),
                InboundMail.recipients.like(like),
            )
        )
    rows, total = await fetch_page(session, query, paging)
    return [_out(mail, name) for mail, name in rows], total


def _out(mail: InboundMail, business_name: str | None) -> UnmatchedMailOut:
    return UnmatchedMailOut(
        id=mail.id,
        received_at=mail.received_at,
        channel=mail.channel,
        from_address=mail.from_address,
        from_name=mail.from_name,
        recipients=mail.recipients,
        subject=mail.subject,
        text=mail.text,
        business_id=mail.business_id,
        business_name=business_name,
        note=mail.note,
    )


async def attach(
    ctx: ServerContext,
    session: AsyncSession,
    mail_id: uuid.UUID,
    lead_id: uuid.UUID,
    *,
    business_id: uuid.UUID | None = None,
) -> Received:
    """Attach an unmatched mail to a lead (of ``business_id`` when given), in the request's
    session: 404 for a mail or lead out of reach, 409 for a mail no longer unmatched."""
    row = await session.get(InboundMail, mail_id, with_for_update=True)
    lead = await session.get(Lead, lead_id)
    if row is None or (business_id is not None and row.business_id != business_id):
        raise NotFound("This mail is not in the unmatched list.", code="mail_not_found")
    if lead is None or (business_id is not None and lead.business_id != business_id):
        raise NotFound("Lead not found.", code="lead_not_found")
    if row.outcome != InboundOutcome.UNMATCHED.value:
        raise Conflict("This mail was already attached.", code="mail_already_attached")
    raw = await asyncio.to_thread(files.read, ctx.data_dir, row.raw_path)
    mail = read(raw)
    chosen, note = keep_attachments(ctx, mail)
    kept = [kept_file for kept_file, _ in chosen]
    await asyncio.to_thread(write_files, ctx, mail_id, raw, chosen)

    message = await store_reply(
        session, ctx.settings, lead_id, mail, kept, note, InboundMatch.ADMIN
    )
    if message is None:
        raise NotFound("Lead not found.", code="lead_not_found")
    row.outcome = InboundOutcome.STORED.value
    row.matched_by = InboundMatch.ADMIN.value
    row.lead_id, row.business_id = lead_id, message.business_id
    row.thread_message = message
    row.note = note
    return Received(InboundOutcome.STORED, lead_id, mail_id)

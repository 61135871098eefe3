"""Receive one raw mail from any channel: keep it once, match it, and apply its effects.

The original is written under the data dir first, then one write transaction stores the mail
under its unique ``dedupe_key`` (its Message-ID, or a digest of its bytes) with all its effects:
a second delivery of the same mail, by the same or another channel or process, fails that
insert, its transaction rolls back whole, and it is answered ``duplicate``. A crash before the
commit leaves only the written files behind.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import audit
from server.context import ServerContext
from server.inbound import files
from server.inbound.effects import KeptFile, mark_bounced, store_reply
from server.inbound.matching import find_lead
from server.inbound.parse import ParsedMail, read
from server.models.base import utcnow
from server.models.inbound import InboundMail
from shared.models.enums import InboundOutcome

log = logging.getLogger(__name__)


@dataclass
class Received:
    outcome: InboundOutcome
    lead_id: uuid.UUID | None
    mail_id: uuid.UUID | None = None


async def receive(ctx: ServerContext, raw: bytes, channel: str) -> Received:
    """Keep, match and apply one mail; never raises for what the mail contains."""
    mail = read(raw)
    key = mail.dedupe_key(raw)
    mail_id = uuid.uuid4()
    chosen, note = keep_attachments(ctx, mail)
    kept = [kept_file for kept_file, _ in chosen]
    written = [files.raw_path(mail_id), *(f.path for f in kept)]
    await asyncio.to_thread(write_files, ctx, mail_id, raw, chosen)
    try:
        received = await ctx.db.run_write(
            _store, ctx, mail, key, mail_id, channel, len(raw), kept, note
        )
    except IntegrityError:
        await asyncio.to_thread(files.remove, ctx.data_dir, written)
        if not await _seen(ctx, key):
            raise
        # The same mail was committed first (another channel, process or delivery).
        return Received(InboundOutcome.DUPLICATE, None)
    except BaseException:
        await asyncio.to_thread(files.remove, ctx.data_dir, written)
        raise
    if received.outcome is not InboundOutcome.STORED and kept:
        await asyncio.to_thread(files.remove, ctx.data_dir, [f.path for f in kept])
    return received


async def _seen(ctx: ServerContext, key: str) -> bool:
    async with ctx.db.read_session() as session:
        found = await session.execute(select(InboundMail.id).where(InboundMail.dedupe_key == key))
        return found.first() is not None


def keep_attachments(
    ctx: ServerContext, mail: ParsedMail
) -> tuple[list[tuple[KeptFile, bytes]], str | None]:
    """The attachments within the per-message limit, in order; a note names what was cut."""
    limit = ctx.settings.inbound_attachments_max_bytes
    kept: list[tuple[KeptFile, bytes]] = []
    cut: list[str] = []
    total = 0
    for attachment in mail.attachments:
        size = len(attachment.data)
        if total + size > limit:
            cut.append(attachment.filename)
            continue
        total += size
        attachment_id = uuid.uuid4()
        kept_file = KeptFile(
            attachment_id,
            attachment.filename,
            attachment.content_type,
            size,
            files.attachment_path(attachment_id),
        )
        kept.append((kept_file, attachment.data))
    note = None
    if cut:
        megabytes = limit / 1_048_576
        note = (
            f"{len(cut)} attachment(s) not kept, over the {megabytes:g} MB limit per message: "
            + ", ".join(cut)
        )
    return kept, note


def write_files(
    ctx: ServerContext, mail_id: uuid.UUID, raw: bytes, chosen: list[tuple[KeptFile, bytes]]
) -> None:
    files.write(ctx.data_dir, files.raw_path(mail_id), raw)
    for kept_file, data in chosen:
        files.write(ctx.data_dir, kept_file.path, data)


def _store(
    session: Session,
    ctx: ServerContext,
    mail: ParsedMail,
    key: str,
    mail_id: uuid.UUID,
    channel: str,
    size: int,
    kept: list[KeptFile],
    note: str | None,
) -> Received:
    """The receiving transaction. Its rows go out in one flush at commit (no autoflush before
    each query: none of them reads what this mail writes); a second copy of the mail fails
    the ``dedupe_key`` insert there and the whole transaction rolls back."""
    row = InboundMail(
        id=mail_id,
        dedupe_key=key,
        message_id=(mail.message_id or "")[:300] or None,
        channel=channel,
        outcome=InboundOutcome.UNMATCHED.value,
        from_address=mail.from_address,
        from_name=mail.from_name,
        recipients=", ".join(mail.recipients)[:4000],
        subject=mail.subject,
        text=mail.text,
        raw_path=files.raw_path(mail_id),
        size=size,
        received_at=utcnow(),
    )
    with session.no_autoflush:
        received = _apply(session, ctx, mail, row, kept, note)
    session.add(row)
    return received


def _apply(
    session: Session,
    ctx: ServerContext,
    mail: ParsedMail,
    row: InboundMail,
    kept: list[KeptFile],
    note: str | None,
) -> Received:
    """Match the mail and apply its effects, recording the outcome on ``row``."""
    if mail.bounce is not None:
        event = mark_bounced(session, mail, mail.bounce)
        row.outcome = InboundOutcome.BOUNCE.value
        row.note = mail.bounce.reason
        if event is not None:
            row.lead_id, row.business_id = event.lead_id, event.business_id
        return Received(InboundOutcome.BOUNCE, row.lead_id, row.id)
    match = find_lead(session, ctx.settings, mail)
    row.business_id, row.lead_id = match.business_id, match.lead_id
    row.matched_by = match.matched_by.value if match.matched_by else None
    if mail.auto_reply:
        row.outcome = InboundOutcome.AUTO_REPLY.value
        if match.lead_id is not None:
            # Only the timeline hears of it: the lead, its follow-ups and its desktops do not.
            audit.record(
                session,
                "lead.auto_reply_received",
                business_id=match.business_id,
                lead_id=match.lead_id,
                entity="inbound_mail",
                entity_id=row.id,
                details={"subject": mail.subject[:200]},
            )
        return Received(InboundOutcome.AUTO_REPLY, match.lead_id, row.id)
    if match.lead_id is None or match.matched_by is None:
        row.note = match.note
        return Received(InboundOutcome.UNMATCHED, None, row.id)
    message = store_reply(
        session, ctx.settings, match.lead_id, mail, kept, note, match.matched_by, match.locked
    )
    if message is None:
        row.lead_id = None
        return Received(InboundOutcome.UNMATCHED, None, row.id)
    row.outcome = InboundOutcome.STORED.value
    row.thread_message = message
    row.note = note
    return Received(InboundOutcome.STORED, match.lead_id, row.id)

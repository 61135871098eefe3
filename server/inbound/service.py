"""Receive one raw mail from any channel: keep it once, match it, and apply its effects.

The original is written under the data dir first, then one write transaction stores the mail
under its unique ``dedupe_key`` (its Message-ID, or a digest of its bytes) with all its effects:
a second delivery of the same mail, by the same or another channel or process, fails that
insert, its transaction rolls back whole, and it is answered ``duplicate``. A crash before the
commit leaves only the written files behind. ``receive_many`` does the same for several mails
in one transaction (the IMAP channel's batches).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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


@dataclass
class Arrived:
    """A mail read and its files written under the data dir, before its transaction."""

    raw: bytes
    mail: ParsedMail
    key: str
    mail_id: uuid.UUID
    kept: list[KeptFile]
    note: str | None

    @property
    def written(self) -> list[str]:
        return [files.raw_path(self.mail_id), *(f.path for f in self.kept)]


async def _arrive(ctx: ServerContext, raws: list[bytes]) -> list[Arrived]:
    """Read the mails and write their originals and kept attachments, in one thread hop."""
    arrived: list[Arrived] = []
    writes: list[tuple[uuid.UUID, bytes, list[tuple[KeptFile, bytes]]]] = []
    for raw in raws:
        mail = read(raw)
        chosen, note = keep_attachments(ctx, mail)
        mail_id = uuid.uuid4()
        arrived.append(
            Arrived(raw, mail, mail.dedupe_key(raw), mail_id, [f for f, _ in chosen], note)
        )
        writes.append((mail_id, raw, chosen))

    def write_all() -> None:
        for mail_id, raw, chosen in writes:
            write_files(ctx, mail_id, raw, chosen)

    await asyncio.to_thread(write_all)
    return arrived


async def _forget(ctx: ServerContext, arrived: list[Arrived], results: list[Received]) -> None:
    """Remove the attachments of the mails that did not become a thread message."""
    unused = [
        f.path
        for a, r in zip(arrived, results, strict=True)
        if r.outcome is not InboundOutcome.STORED
        for f in a.kept
    ]
    if unused:
        await asyncio.to_thread(files.remove, ctx.data_dir, unused)


async def receive(ctx: ServerContext, raw: bytes, channel: str) -> Received:
    """Keep, match and apply one mail; never raises for what the mail contains."""
    (one,) = await _arrive(ctx, [raw])
    try:
        async with ctx.db.session() as session:
            received = await _store_one(session, ctx, one, channel)
    except IntegrityError:
        await asyncio.to_thread(files.remove, ctx.data_dir, one.written)
        if not await _seen(ctx, one.key):
            raise
        # The same mail was committed first (another channel, process or delivery).
        return Received(InboundOutcome.DUPLICATE, None)
    except BaseException:
        await asyncio.to_thread(files.remove, ctx.data_dir, one.written)
        raise
    await _forget(ctx, [one], [received])
    return received


async def receive_many(ctx: ServerContext, raws: list[bytes], channel: str) -> list[Received]:
    """Keep, match and apply several mails in one transaction, in order (the IMAP channel's
    batches): one commit, and one turn at each business's sync counter, for all of them.

    Mails already stored, or twice in the list, are answered ``duplicate``. If the transaction
    fails for any database reason — the same mail committed meanwhile by another channel or
    process, a deadlock with another batch on the same leads — it rolls back whole and every
    mail is received again on its own (``receive``), so each is still stored exactly once."""
    if not raws:
        return []
    arrived = await _arrive(ctx, raws)
    try:
        async with ctx.db.session() as session:
            results = await _store_many(session, ctx, arrived, channel)
    except DBAPIError as error:
        log.info("inbound batch of %d rolled back (%s); receiving one by one", len(raws), error)
        await asyncio.to_thread(files.remove, ctx.data_dir, [p for a in arrived for p in a.written])
        return [await receive(ctx, raw, channel) for raw in raws]
    except BaseException:
        await asyncio.to_thread(files.remove, ctx.data_dir, [p for a in arrived for p in a.written])
        raise
    await _forget(ctx, arrived, results)
    return results


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


async def _store_one(
    session: AsyncSession, ctx: ServerContext, one: Arrived, channel: str
) -> Received:
    """One mail's transaction. Its rows go out in one flush at commit (no autoflush before
    each query: none of them reads what this mail writes); a second copy of the mail fails
    the ``dedupe_key`` insert there and the whole transaction rolls back."""
    return await _store(session, ctx, one, channel)


async def _store_many(
    session: AsyncSession, ctx: ServerContext, arrived: list[Arrived], channel: str
) -> list[Received]:
    """Several mails' transaction: the keys already stored are read first, and each mail is
    flushed before the next is matched, so a later mail sees what an earlier one did (its
    canceled follow-ups, its lead's new state)."""
    found = await session.execute(
        select(InboundMail.dedupe_key).where(InboundMail.dedupe_key.in_({a.key for a in arrived}))
    )
    stored = set(found.scalars())
    results: list[Received] = []
    for one in arrived:
        if one.key in stored:
            results.append(Received(InboundOutcome.DUPLICATE, None))
            continue
        stored.add(one.key)
        results.append(await _store(session, ctx, one, channel))
        await session.flush()
    return results


async def _store(session: AsyncSession, ctx: ServerContext, one: Arrived, channel: str) -> Received:
    """Match one mail, apply its effects and add its ``inbound_mails`` row to the session."""
    mail = one.mail
    row = InboundMail(
        id=one.mail_id,
        dedupe_key=one.key,
        message_id=(mail.message_id or "")[:300] or None,
        channel=channel,
        outcome=InboundOutcome.UNMATCHED.value,
        from_address=mail.from_address,
        from_name=mail.from_name,
        recipients=", ".join(mail.recipients)[:4000],
        subject=mail.subject,
        text=mail.text,
        raw_path=files.raw_path(one.mail_id),
        size=len(one.raw),
        received_at=utcnow(),
    )
    with session.no_autoflush:
        received = await _apply(session, ctx, mail, row, one.kept, one.note)
    session.add(row)
    return received


async def _apply(
    session: AsyncSession,
    ctx: ServerContext,
    mail: ParsedMail,
    row: InboundMail,
    kept: list[KeptFile],
    note: str | None,
) -> Received:
    """Match the mail and apply its effects, recording the outcome on ``row``."""
    if mail.bounce is not None:
        event = await mark_bounced(session, mail, mail.bounce)
        row.outcome = InboundOutcome.BOUNCE.value
        row.note = mail.bounce.reason
        if event is not None:
            row.lead_id, row.business_id = event.lead_id, event.business_id
        return Received(InboundOutcome.BOUNCE, row.lead_id, row.id)
    match = await find_lead(session, ctx.settings, mail)
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
    message = await store_reply(
        session, ctx.settings, match.lead_id, mail, kept, note, match.matched_by, match.locked
    )
    if message is None:
        row.lead_id = None
        return Received(InboundOutcome.UNMATCHED, None, row.id)
    row.outcome = InboundOutcome.STORED.value
    row.thread_message = message
    row.note = note
    return Received(InboundOutcome.STORED, match.lead_id, row.id)

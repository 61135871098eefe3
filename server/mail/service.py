"""Queue an email with its cause, and the job that delivers it.

Every email is an ``email_events`` row written in the caller's transaction together with a
``deliver_email`` job, so a mail exists exactly when what caused it was committed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.config import Settings
from server.context import ServerContext
from server.jobs import queue
from server.jobs.worker import JobError, JobRun
from server.mail import compose
from server.mail.base import DeliveryError
from server.models.base import utcnow
from server.models.ops import EmailEvent
from shared.models.enums import EmailKind, EmailStatus

DELIVER_EMAIL = "deliver_email"
CUSTOMER_KINDS = (
    EmailKind.AUTO_REPLY,
    EmailKind.ACKNOWLEDGEMENT,
    EmailKind.OWNER_REPLY,
    EmailKind.FOLLOW_UP,
)
MAX_REFERENCES = 20
# The Message-IDs of a lead's earlier customer mail, oldest first (threading headers).
_EARLIER_MAIL = (
    select(EmailEvent.message_id)
    .where(
        EmailEvent.lead_id == bindparam("lead_id", type_=EmailEvent.lead_id.type),
        EmailEvent.kind.in_([k.value for k in CUSTOMER_KINDS]),
    )
    .order_by(EmailEvent.created_at)
    # Earlier mail is committed mail: rows added in this transaction are not flushed for it.
    .execution_options(autoflush=False)
)


async def queue_email(session: AsyncSession, settings: Settings, **fields: Any) -> EmailEvent:
    """``queue_email_now`` in an async session's transaction (same keyword arguments)."""
    event: EmailEvent = await session.run_sync(queue_email_now, settings, **fields)
    return event


def queue_email_now(
    session: Session,
    settings: Settings,
    *,
    kind: EmailKind,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    business_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    display_name: str | None = None,
    reply_to: str | None = None,
    automatic: bool = False,
) -> EmailEvent:
    """Render the mail and add its ``email_events`` row and ``deliver_email`` job to the
    caller's transaction (synchronous code: ``Database.run_write`` or ``run_sync``)."""
    text_body, html_body = compose.render(template, {**context, "subject": subject})
    domain = compose.platform_address(settings.email_from).rpartition("@")[2] or "localhost"
    event = EmailEvent(
        id=uuid.uuid4(),
        business_id=business_id,
        lead_id=lead_id,
        kind=kind.value,
        automatic=automatic,
        status=EmailStatus.QUEUED.value,
        from_address=compose.sender(settings.email_from, display_name),
        to_address=to,
        reply_to=reply_to,
        subject=compose.clean_header(subject)[:300],
        text_body=text_body,
        html_body=html_body,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        created_at=utcnow(),
    )
    if lead_id is not None and kind in CUSTOMER_KINDS:
        earlier = list(session.execute(_EARLIER_MAIL, {"lead_id": lead_id}).scalars())
        if earlier:
            event.in_reply_to = earlier[-1]
            event.references = " ".join(earlier[-MAX_REFERENCES:])
    session.add(event)  # flushed with the caller's other rows (the job insert does not flush)
    queue.enqueue_now(
        session, DELIVER_EMAIL, {"email_event_id": str(event.id)}, dedupe_key=f"email:{event.id}"
    )
    return event


async def deliver_email(ctx: ServerContext, run: JobRun) -> None:
    """Job handler: send one queued email; a sent one is never sent again."""
    event_id = uuid.UUID(run.payload["email_event_id"])
    async with ctx.db.read_session() as session:
        event = await session.get(EmailEvent, event_id)
        pending = event is not None and event.status == EmailStatus.QUEUED.value
        composed_error: str | None = None
        try:
            message = compose.to_mime(event) if event is not None and pending else None
        except Exception as error:  # the stdlib's parser raises many kinds on odd addresses
            composed_error = f"The email could not be composed: {error}"
            message = None
    if composed_error is not None:
        # Composing is deterministic: a retry would fail the same way, so it fails once.
        async with ctx.db.session() as session:
            event = await session.get(EmailEvent, event_id)
            if event is not None:
                event.status = EmailStatus.FAILED.value
                event.error = composed_error[:2000]
                await _mirror_status(session, event)
            await run.complete(session)
        return
    if message is None:
        async with ctx.db.session() as session:
            await run.complete(session)
        return
    try:
        provider_id = await ctx.mailer.send(message)
    except DeliveryError as error:
        async with ctx.db.session() as session:
            event = await session.get(EmailEvent, event_id)
            if event is not None:
                event.attempts = run.attempts
                event.error = str(error)[:2000]
                event.provider = ctx.mailer.name
        raise JobError(str(error), permanent=error.permanent) from error
    async with ctx.db.session() as session:
        event = await session.get(EmailEvent, event_id)
        if event is not None:
            event.attempts = run.attempts
            event.status = EmailStatus.SENT.value
            event.provider = ctx.mailer.name
            event.provider_message_id = provider_id[:300]
            event.sent_at = utcnow()
            event.error = None
            await _mirror_status(session, event)
        await run.complete(session)


async def email_gave_up(ctx: ServerContext, run: JobRun, error: str) -> None:
    """After the last attempt: the email is ``failed`` with the error, and stays on record."""
    async with ctx.db.session() as session:
        event = await session.get(EmailEvent, uuid.UUID(run.payload["email_event_id"]))
        if event is not None and event.status == EmailStatus.QUEUED.value:
            event.status = EmailStatus.FAILED.value
            event.error = error[:2000]
            await _mirror_status(session, event)


async def _mirror_status(session: AsyncSession, event: EmailEvent) -> None:
    """Copy the delivery status onto the thread message, so desktops see "sent" or "failed"."""
    from server.models.lead import Message

    if event.lead_id is None:
        return
    for message in (
        await session.execute(select(Message).where(Message.email_event_id == event.id))
    ).scalars():
        message.email_status = event.status

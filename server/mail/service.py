"""Queue an email with its cause, and the job that delivers it.

Every email is an ``email_events`` row written in the caller's transaction together with a
``deliver_email`` job, so a mail exists exactly when what caused it was committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.config import Settings
from server.context import ServerContext
from server.errors import Conflict, NotFound
from server.jobs import queue
from server.jobs.worker import JobError, JobRun
from server.mail import compose
from server.mail.base import DeliveryError
from server.models.base import table_of, utcnow
from server.models.lead import Message
from server.models.ops import AuditLog, EmailEvent, Job
from server.models.user import User
from shared.models.enums import EmailKind, EmailStatus

log = logging.getLogger(__name__)

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


async def queue_email(
    session: AsyncSession,
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
    caller's transaction."""
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
        earlier = list((await session.execute(_EARLIER_MAIL, {"lead_id": lead_id})).scalars())
        if earlier:
            event.in_reply_to = earlier[-1]
            event.references = " ".join(earlier[-MAX_REFERENCES:])
    session.add(event)  # flushed with the caller's other rows (the job insert does not flush)
    await queue.enqueue(
        session,
        DELIVER_EMAIL,
        {"email_event_id": str(event.id)},
        dedupe_key=f"email:{event.id}",
        max_attempts=MAIL_MAX_ATTEMPTS,
    )
    return event


async def deliver_email(ctx: ServerContext, run: JobRun) -> None:
    """Job handler: send one queued email, at most once.

    Three steps. First, in its own committed transaction, the mail is claimed for sending
    (``sending_until``) by the worker that still holds the job; a mail already sent, failed or
    claimed by another worker is not sent. Then the provider is called. Then the outcome is
    recorded: a sent mail is recorded even when the job was taken over meanwhile, so the new
    claimant finds it sent. Only a crash between the provider's acceptance and that record can
    repeat a mail (after the claim expires): the provider has it, LeadFlow does not know.

    A lead's mails to one recipient go out in the order they were queued: the claim step puts
    a mail back in the queue, its attempt not counted, while an earlier one is still queued
    (``_held_back_until``); the earlier one's outcome makes it due at once (``release``).
    """
    event_id = uuid.UUID(run.payload["email_event_id"])
    limit_s = send_limit_s(ctx.settings)
    claimed_at = time.monotonic()
    async with ctx.db.session() as session:
        claimed = await _claim_send(session, run, event_id, limit_s)
    if isinstance(claimed, float):
        raise JobError("another worker is sending this mail", retry_after_s=claimed)
    if claimed is None:
        return
    try:
        provider_id = await asyncio.wait_for(ctx.mailer.send(claimed), timeout=limit_s)
    except (DeliveryError, TimeoutError) as error:
        reason = str(error) or f"{ctx.mailer.name} did not answer within {limit_s:.0f} s"
        permanent = isinstance(error, DeliveryError) and error.permanent
        async with ctx.db.session() as session:
            permanent = await _record_failure(
                session, run, event_id, ctx.mailer.name, reason, permanent
            )
        raise JobError(
            reason,
            permanent=permanent,
            retry_after_s=retry_after_s(run.attempts, ctx.settings.mail_retry_first_s),
        ) from error
    # The provider has the mail: record it while the claim holds, even through a database
    # restart, so that no other worker sends it again.
    record_until = claimed_at + 2 * limit_s - 1.0
    while True:
        try:
            async with ctx.db.session() as session:
                following = await _record_sent(session, run, event_id, ctx.mailer.name, provider_id)
            break
        except (SQLAlchemyError, OSError):
            if time.monotonic() >= record_until:
                raise
            log.warning("could not record mail %s as sent yet; retrying", event_id)
            await asyncio.sleep(0.5)
    await release(ctx, following)


# Temporary failures are retried like an MTA does: 1 min, 2, 4 … then hourly, until the mail is
# a day old; ``MAIL_MAX_ATTEMPTS`` only bounds a job whose worker dies on every attempt.
RETRY_HORIZON = timedelta(hours=24)
RETRY_CAP_S = 3600.0
MAIL_MAX_ATTEMPTS = 60


def retry_after_s(attempts: int, first_s: float = 60.0) -> float:
    """The wait after ``attempts`` failed tries: ``first_s`` (``LEADFLOW_MAIL_RETRY_FIRST_S``)
    doubling up to an hour."""
    return float(min(RETRY_CAP_S, first_s * 2 ** max(0, attempts - 1)))


def send_limit_s(settings: Settings) -> float:
    """How long one send may take before it counts as failed (a few provider timeouts)."""
    return 3 * settings.smtp_timeout_s


async def _claim_send(
    session: AsyncSession, run: JobRun, event_id: uuid.UUID, limit_s: float
) -> EmailMessage | float | None:
    """The claim step: the message to send; seconds to wait if another worker is sending it;
    None when there is nothing to send (the job is then complete unless it was taken over)."""
    if not await run.owned(session):
        return None  # our lease expired: the new claimant delivers it
    event = (await session.execute(_LOCK_MAIL, {"event_id": event_id})).first()
    now = utcnow()
    if event is None or event.status != EmailStatus.QUEUED.value:
        await run.complete(session)
        return None
    if event.sending_until is not None and event.sending_until > now:
        return max(1.0, (event.sending_until - now).total_seconds())
    held_until = await _held_back_until(session, event, now)
    if held_until is not None:
        await run.defer(session, held_until)
        return None
    try:
        message = compose.to_mime(event)
    except Exception as error:  # the stdlib's parser raises many kinds on odd addresses
        # Composing is deterministic: a retry would fail the same way, so it fails once.
        reason = f"The email could not be composed: {error}"[:2000]
        failed = {"status": EmailStatus.FAILED.value, "sending_until": None, "error": reason}
        await _set_mail(session, event_id, failed)
        await _mirror_status(session, event, EmailStatus.FAILED.value)
        await run.complete(session)
        return None
    # Twice the send's limit: its result is recorded well within the second half.
    sending_until = now + timedelta(seconds=2 * limit_s)
    await session.execute(_CLAIM_MAIL, {"event_id": event_id, "sending_until": sending_until})
    return message


# A held-back mail looks again this long after the earlier mail's next attempt, or after now
# while that attempt is under way (its sender wakes it when done; the look covers a crash).
ORDER_GAP_S = 2.0

# The mail's row, statements built once: delivery runs them for every mail, and a plain row
# costs a fraction of an ORM object (the table is not synced, so no version is due).
_MAILS = table_of(EmailEvent)
_OTHER = _MAILS.alias("other")
_EVENT_ID = bindparam("event_id", type_=EmailEvent.id.type)


def _same_thread(mails: Any, event: Any) -> tuple[Any, ...]:
    """The queued ``mails`` of the event's lead to the event's recipient (the order kept);
    ``event`` is a row, or the columns of an outer statement's mail."""
    return (
        mails.c.lead_id == event.lead_id,
        mails.c.to_address == event.to_address,
        mails.c.status == EmailStatus.QUEUED.value,
    )


# A mail's thread as bound parameters, for statements built once.
_THREAD = SimpleNamespace(
    lead_id=bindparam("lead_id", type_=_MAILS.c.lead_id.type),
    to_address=bindparam("to_address", type_=_MAILS.c.to_address.type),
    created_at=bindparam("created_at", type_=_MAILS.c.created_at.type),
)


# The mail, and whether an earlier mail of its thread is queued (``_held_back_until``).
_LOCK_MAIL = (
    select(
        _MAILS,
        select(_OTHER.c.id)
        .where(*_same_thread(_OTHER, _MAILS.c), _OTHER.c.created_at < _MAILS.c.created_at)
        .exists()
        .label("earlier_queued"),
    )
    .where(_MAILS.c.id == _EVENT_ID)
    .with_for_update(of=_MAILS)
)
_CLAIM_MAIL = (
    update(_MAILS)
    .where(_MAILS.c.id == _EVENT_ID)
    .values(
        sending_until=bindparam("sending_until", type_=_MAILS.c.sending_until.type),
        attempts=_MAILS.c.attempts + 1,
    )
)
# What ``_mirror_status`` and ``_following`` need of a mail.
_CHANGED = (
    _MAILS.c.id,
    _MAILS.c.lead_id,
    _MAILS.c.kind,
    _MAILS.c.to_address,
    _MAILS.c.created_at,
)


async def _set_mail(session: AsyncSession, event_id: uuid.UUID, values: dict[str, Any]) -> Any:
    """Change the mail's row; ``_CHANGED`` of it, or None if it is gone."""
    statement = update(_MAILS).where(_MAILS.c.id == event_id).values(values)
    return (await session.execute(statement.returning(*_CHANGED))).first()


async def _held_back_until(session: AsyncSession, event: Any, now: datetime) -> datetime | None:
    """When to try this mail again if an earlier mail of its lead to the same recipient is
    still queued with a live job (waiting for a retry, or being sent); None if it may go.
    Mails queued at the same instant are not ordered among themselves.

    An earlier mail whose job is gone (done or dead without recording the mail) holds nothing
    back, so a mail stuck by a crash never blocks the lead's later mail for good.
    """
    if not event.earlier_queued:
        return None
    earlier = (
        await session.execute(
            select(_MAILS.c.id).where(
                *_same_thread(_MAILS, event), _MAILS.c.created_at < event.created_at
            )
        )
    ).scalars()
    jobs = (
        await session.execute(
            select(Job.status, Job.run_at).where(
                Job.dedupe_key.in_([f"email:{event_id}" for event_id in earlier]),
                Job.status.in_([queue.QUEUED, queue.RUNNING]),
            )
        )
    ).all()
    if not jobs:
        return None
    next_try = max(run_at if status == queue.QUEUED else now for status, run_at in jobs)
    return max(now, next_try) + timedelta(seconds=ORDER_GAP_S)


async def release(ctx: ServerContext, following: uuid.UUID | None) -> None:
    """After a mail was recorded sent or failed for good, the mail that waited for it
    (``_following``) is due now: a transaction of its own, as it waits for that mail's claim
    step, which must not wait for the earlier mail's locks. If it fails, the mail still looks
    again at its own time."""
    if following is None:
        return
    try:
        async with ctx.db.session() as session:
            await queue.wake(session, f"email:{following}")
    except (SQLAlchemyError, OSError):
        log.warning("could not wake mail %s; it looks again soon", following)


# The next queued mail of a lead to one recipient, if never tried: the one a mail held back.
_FOLLOWING = (
    select(_MAILS.c.id)
    .where(
        *_same_thread(_MAILS, _THREAD),
        _MAILS.c.created_at > _THREAD.created_at,
        _MAILS.c.attempts == 0,
    )
    .order_by(_MAILS.c.created_at)
    .limit(1)
)


async def _following(session: AsyncSession, event: Any) -> uuid.UUID | None:
    """The mail this one held back (``_FOLLOWING``)."""
    if event.lead_id is None:
        return None
    values = {"lead_id": event.lead_id, "to_address": event.to_address}
    following: uuid.UUID | None = await session.scalar(
        _FOLLOWING, {**values, "created_at": event.created_at}
    )
    return following


async def _record_sent(
    session: AsyncSession, run: JobRun, event_id: uuid.UUID, provider: str, provider_id: str
) -> uuid.UUID | None:
    """Record the mail sent; the mail it held back (``release``)."""
    await run.complete(session)  # the job row first, then the mail: the claim's lock order
    sent = {
        "status": EmailStatus.SENT.value,
        "provider": provider,
        "provider_message_id": provider_id[:300],
        "sent_at": utcnow(),
        "sending_until": None,
        "error": None,
    }
    event = await _set_mail(session, event_id, sent)
    if event is None:
        return None
    await _mirror_status(session, event, EmailStatus.SENT.value)
    return await _following(session, event)


async def _record_failure(
    session: AsyncSession,
    run: JobRun,
    event_id: uuid.UUID,
    provider: str,
    reason: str,
    permanent: bool,
) -> bool:
    """Record a failed try on the mail; True if it is not to be retried (5xx, or the mail has
    been failing for ``RETRY_HORIZON``)."""
    await run.owned(session)  # the job row first, then the mail: the claim's lock order
    tried = {"error": reason[:2000], "provider": provider, "sending_until": None}
    event = await _set_mail(session, event_id, tried)
    return event is None or permanent or utcnow() - event.created_at >= RETRY_HORIZON


async def email_gave_up(ctx: ServerContext, run: JobRun, error: str) -> None:
    """After the last attempt: the email is ``failed`` with its reason, and stays on record."""
    async with ctx.db.session() as session:
        following = await _gave_up(session, uuid.UUID(run.payload["email_event_id"]), error)
    await release(ctx, following)


async def _gave_up(session: AsyncSession, event_id: uuid.UUID, error: str) -> uuid.UUID | None:
    event = (await session.execute(_LOCK_MAIL, {"event_id": event_id})).first()
    if event is None or event.status != EmailStatus.QUEUED.value:
        return None
    # The provider's own words when there are some; the worker's when it died sending.
    reason = event.error or error
    if utcnow() - event.created_at >= RETRY_HORIZON:
        reason = f"gave up after {RETRY_HORIZON.total_seconds() / 3600:.0f} hours: {reason}"
    failed = {"status": EmailStatus.FAILED.value, "sending_until": None, "error": reason[:2000]}
    changed = await _set_mail(session, event_id, failed)
    await _mirror_status(session, changed, EmailStatus.FAILED.value)
    return await _following(session, changed)


async def _mirror_status(session: AsyncSession, event: Any, status: str) -> None:
    """Copy the mail's delivery status onto its thread message, so desktops see "sent" or
    "failed" (through the ORM: messages are synced)."""
    if event.lead_id is None or event.kind not in _THREAD_KINDS:
        return
    messages = await session.execute(_THREAD_MESSAGES, {"event_id": event.id})
    for message in messages.scalars():
        message.email_status = status


# Only customer mail is in a lead's thread (``send_customer_mail``).
_THREAD_KINDS = frozenset(kind.value for kind in CUSTOMER_KINDS)
_THREAD_MESSAGES = select(Message).where(
    Message.email_event_id == bindparam("event_id", type_=Message.email_event_id.type)
)


# A mail the provider refused for good, or one that bounced (CONTRACT §10), may be sent again.
RESENDABLE = (EmailStatus.FAILED.value, "bounced")


class EmailNotResendable(Conflict):
    code = "email_not_resendable"
    message = "Only an email that failed or bounced can be sent again; this one is not."


async def resend(
    session: AsyncSession, email_id: uuid.UUID, *, actor: User, business_id: uuid.UUID | None
) -> EmailEvent:
    """Send a failed or bounced mail again: a new row with the same content and thread headers
    and its own Message-ID (each row is sent at most once), and its delivery job; the thread
    message follows the new row. ``business_id`` (an owner's) limits it to that business.
    Twice for one failed mail queues one resend: the second finds the mail already resent."""
    old = await session.get(EmailEvent, email_id, with_for_update=True, populate_existing=True)
    if old is None or (business_id is not None and old.business_id != business_id):
        raise NotFound("No such email.")
    if old.status not in RESENDABLE or await session.scalar(
        select(AuditLog.id).where(
            AuditLog.action == "email.resent", AuditLog.entity_id == str(old.id)
        )
    ):
        raise EmailNotResendable()
    domain = old.message_id.rpartition("@")[2].rstrip(">") or "localhost"
    new = EmailEvent(
        id=uuid.uuid4(),
        business_id=old.business_id,
        lead_id=old.lead_id,
        kind=old.kind,
        automatic=False,
        status=EmailStatus.QUEUED.value,
        from_address=old.from_address,
        to_address=old.to_address,
        reply_to=old.reply_to,
        subject=old.subject,
        text_body=old.text_body,
        html_body=old.html_body,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        in_reply_to=old.in_reply_to,
        references=old.references,
        created_at=utcnow(),
    )
    session.add(new)
    await queue.enqueue(
        session,
        DELIVER_EMAIL,
        {"email_event_id": str(new.id)},
        dedupe_key=f"email:{new.id}",
        max_attempts=MAIL_MAX_ATTEMPTS,
    )
    messages = await session.execute(_THREAD_MESSAGES, {"event_id": old.id})
    for message in messages.scalars():
        message.email_event_id = new.id
        message.email_message_id = new.message_id
        message.email_status = new.status
    audit.record(
        session,
        "email.resent",
        actor=actor,
        business_id=old.business_id,
        lead_id=old.lead_id,
        entity="email",
        entity_id=old.id,
        details={"resent_as": str(new.id), "error": old.error},
    )
    return new

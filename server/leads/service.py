"""Rules of the owner's actions on leads; the REST routes and the sync push both call these."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.context import ServerContext
from server.errors import Conflict, NotFound, ValidationFailed
from server.jobs import queue
from server.leads import repository as repo
from server.mail import service as mail_service
from server.models.base import utcnow
from server.models.business import Business
from server.models.lead import FollowUp, Lead, Message
from server.models.user import User
from server.workflow import customer_mail, follow_ups
from server.workflow.pipeline import PROCESS_LEAD
from shared.models.enums import (
    EmailKind,
    FollowUpStatus,
    LeadStatus,
    MessageDirection,
    MessageType,
)

STOPPING_STATUSES = follow_ups.STOPPING_STATUSES


class NoCustomerEmail(Conflict):
    code = "no_customer_email"
    message = "This lead has no email address to reply to."


class NoDraft(NotFound):
    code = "no_draft"
    message = "This lead has no AI draft to approve."


class DraftAlreadySent(Conflict):
    code = "draft_already_sent"
    message = "This AI draft has already been sent to the customer."


class InvalidState(Conflict):
    code = "invalid_state"


async def get_lead(
    session: AsyncSession, business: Business, lead_id: uuid.UUID, *, lock: bool = False
) -> Lead:
    lead = await repo.lead_in_business(session, business.id, lead_id, lock=lock)
    if lead is None:
        raise NotFound("No such lead.", code="lead_not_found")
    return lead


async def set_status(
    session: AsyncSession,
    business: Business,
    user: User,
    lead_id: uuid.UUID,
    status: LeadStatus,
) -> Lead:
    """Change a lead's status. Closing statuses cancel follow-ups; "not spam" runs the workflow."""
    lead = await get_lead(session, business, lead_id, lock=True)
    old = lead.status
    if old == status.value:
        return lead
    lead.status = status.value
    audit.record(
        session,
        "lead.status_changed",
        actor=user,
        business_id=business.id,
        lead_id=lead.id,
        entity="lead",
        entity_id=lead.id,
        old={"status": old},
        new={"status": status.value},
    )
    if status.value in STOPPING_STATUSES:
        await follow_ups.cancel_for_lead(session, lead, f"lead_{status.value}")
    if old == LeadStatus.SPAM.value and status != LeadStatus.SPAM:
        lead.spam_suspected = False
        if lead.gate_allowed is None:  # never processed: run the normal workflow now
            await session.flush()
            first = next(
                (
                    m
                    for m in await repo.messages(session, lead.id)
                    if m.type == MessageType.CUSTOMER_MESSAGE.value
                ),
                None,
            )
            await queue.enqueue(
                session,
                PROCESS_LEAD,
                {
                    "lead_id": str(lead.id),
                    "message_id": str(first.id) if first else None,
                    "duplicate": False,
                },
                dedupe_key=f"not_spam:{lead.id}",
            )
    await session.flush()
    return lead


async def mark_opened(session: AsyncSession, business: Business, lead_id: uuid.UUID) -> Lead:
    """Opening a lead marks it read; it never changes the lead's status."""
    # Lock the lead before the flush takes the sync counter, as every other lead write does.
    lead = await get_lead(session, business, lead_id, lock=True)
    if lead.opened_at is None:
        lead.opened_at = utcnow()
    return lead


async def reply(
    session: AsyncSession,
    ctx: ServerContext,
    business: Business,
    user: User,
    lead_id: uuid.UUID,
    content: str,
    *,
    client_id: str | None = None,
    from_draft: bool = False,
) -> tuple[Message, bool]:
    """Email the customer (threaded) and record it; the same ``client_id`` sends once.

    Returns the message and whether it was created now (False for a repeat).
    """
    lead = await get_lead(session, business, lead_id, lock=True)
    if client_id:
        existing = await repo.message_by_client_id(session, lead.id, client_id)
        if existing is not None:
            return existing, False
    if not lead.customer_email:
        raise NoCustomerEmail()
    message, _event = await customer_mail.send_customer_mail(
        session,
        ctx.settings,
        kind=EmailKind.OWNER_REPLY,
        lead=lead,
        business=business,
        content=content,
        automatic=False,
        author_user_id=user.id,
        client_id=client_id,
    )
    if lead.status == LeadStatus.NEW.value:
        lead.status = LeadStatus.CONTACTED.value
    await follow_ups.cancel_for_lead(session, lead, "owner_replied")
    audit.record(
        session,
        "lead.draft_approved" if from_draft else "lead.owner_replied",
        actor=user,
        business_id=business.id,
        lead_id=lead.id,
        entity="message",
        entity_id=message.id,
    )
    await session.flush()
    return message, True


async def resend_message(
    session: AsyncSession, business: Business, user: User, lead_id: uuid.UUID, message_id: uuid.UUID
) -> Message:
    """The owner's "Resend" on a message whose mail failed or bounced (a new mail, queued)."""
    lead = await get_lead(session, business, lead_id)
    message = await session.get(Message, message_id)
    if message is None or message.lead_id != lead.id:
        raise NotFound("No such message.")
    if message.email_event_id is None:
        raise mail_service.EmailNotResendable()
    await mail_service.resend(session, message.email_event_id, actor=user, business_id=business.id)
    return message  # the same object: the resend pointed it at the new mail


async def approve_draft(
    session: AsyncSession,
    ctx: ServerContext,
    business: Business,
    user: User,
    lead_id: uuid.UUID,
    content: str | None,
    *,
    client_id: str | None = None,
) -> tuple[Message, bool]:
    """ "Approve & send": the AI draft, optionally edited, goes out as the owner's reply, once.

    A draft that went out (sent automatically, or by an earlier approval) answers
    ``draft_already_sent``; a retry with the same ``client_id`` answers the first reply."""
    # The lead's lock first: a second approval waits here and then sees the draft sent.
    lead = await get_lead(session, business, lead_id, lock=True)
    if client_id:
        existing = await repo.message_by_client_id(session, lead.id, client_id)
        if existing is not None:
            return existing, False
    draft = await repo.latest_draft(session, lead.id)
    if draft is None and content is None:
        raise NoDraft()
    if draft is not None and draft.email_event_id is not None:
        raise DraftAlreadySent()
    message, created = await reply(
        session,
        ctx,
        business,
        user,
        lead_id,
        content if content is not None else draft.content,  # type: ignore[union-attr]
        client_id=client_id,
        from_draft=True,
    )
    if draft is not None:
        draft.email_event_id = message.email_event_id  # the draft is sent: never again
    return message, created


async def add_note(
    session: AsyncSession,
    business: Business,
    user: User,
    lead_id: uuid.UUID,
    content: str,
    *,
    client_id: str | None = None,
) -> Message:
    lead = await get_lead(session, business, lead_id)
    if client_id:
        existing = await repo.message_by_client_id(session, lead.id, client_id)
        if existing is not None:
            return existing
    note = Message(
        id=uuid.uuid4(),
        business_id=business.id,
        lead_id=lead.id,
        type=MessageType.NOTE.value,
        direction=MessageDirection.INTERNAL.value,
        subject=None,
        content=content,
        author_user_id=user.id,
        client_id=client_id,
        created_at=utcnow(),
    )
    session.add(note)
    audit.record(
        session,
        "lead.note_added",
        actor=user,
        business_id=business.id,
        lead_id=lead.id,
        entity="message",
        entity_id=note.id,
    )
    await session.flush()
    return note


async def schedule_follow_up(
    session: AsyncSession,
    business: Business,
    user: User,
    lead_id: uuid.UUID,
    scheduled_at: datetime,
) -> FollowUp:
    lead = await get_lead(session, business, lead_id)
    if not lead.customer_email:
        raise NoCustomerEmail("This lead has no email address to follow up.")
    follow_up = FollowUp(
        id=uuid.uuid4(),
        business_id=business.id,
        lead_id=lead.id,
        status=FollowUpStatus.SCHEDULED.value,
        scheduled_at=scheduled_at,
    )
    session.add(follow_up)
    audit.record(
        session,
        "follow_up.scheduled",
        actor=user,
        business_id=business.id,
        lead_id=lead.id,
        entity="follow_up",
        entity_id=follow_up.id,
        new={"scheduled_at": scheduled_at},
    )
    await session.flush()
    return follow_up


async def update_follow_up(
    session: AsyncSession,
    ctx: ServerContext,
    business: Business,
    user: User,
    follow_up_id: uuid.UUID,
    *,
    status: FollowUpStatus | None,
    scheduled_at: datetime | None,
) -> FollowUp:
    """Send now (``status: sent``), cancel, or reschedule a scheduled follow-up."""
    follow_up = await repo.follow_up_in_business(session, business.id, follow_up_id)
    if follow_up is None:
        raise NotFound("No such follow-up.", code="follow_up_not_found")
    if status is None and scheduled_at is None:
        raise ValidationFailed(
            "Give a status or a new time.",
            details=[{"field": "status", "type": "missing", "message": "Give status or time."}],
        )
    if status not in (None, FollowUpStatus.SENT, FollowUpStatus.CANCELED):
        # Only "send now" and "cancel" are actions; any other status is an invalid field value.
        raise ValidationFailed(
            details=[
                {
                    "field": "status",
                    "type": "enum",
                    "message": "A follow-up can be set to sent or canceled.",
                }
            ]
        )
    if follow_up.status != FollowUpStatus.SCHEDULED.value:
        raise InvalidState(f"This follow-up is already {follow_up.status}.")
    lead = await get_lead(session, business, follow_up.lead_id)
    if status == FollowUpStatus.CANCELED:
        follow_ups.cancel(session, follow_up, "owner", actor=user)
    elif status == FollowUpStatus.SENT:
        if not lead.customer_email:
            raise NoCustomerEmail()
        await customer_mail.send_customer_mail(
            session,
            ctx.settings,
            kind=EmailKind.FOLLOW_UP,
            lead=lead,
            business=business,
            automatic=False,
            author_user_id=user.id,
        )
        follow_up.status = FollowUpStatus.SENT.value
        follow_up.sent_at = utcnow()
        audit.record(
            session,
            "follow_up.sent",
            actor=user,
            business_id=business.id,
            lead_id=lead.id,
            entity="follow_up",
            entity_id=follow_up.id,
        )
    if scheduled_at is not None and follow_up.status == FollowUpStatus.SCHEDULED.value:
        old = follow_up.scheduled_at
        follow_up.scheduled_at = scheduled_at
        audit.record(
            session,
            "follow_up.rescheduled",
            actor=user,
            business_id=business.id,
            lead_id=lead.id,
            entity="follow_up",
            entity_id=follow_up.id,
            old={"scheduled_at": old},
            new={"scheduled_at": scheduled_at},
        )
    await session.flush()
    return follow_up

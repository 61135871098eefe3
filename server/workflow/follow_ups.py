"""Automatic follow-ups: found due by the scheduler tick, sent once by a job, canceled by humans."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.context import ServerContext
from server.jobs import queue
from server.jobs.worker import JobRun
from server.models.base import utcnow
from server.models.business import Business
from server.models.lead import FollowUp, Lead, Message
from server.models.user import User
from server.workflow import customer_mail
from server.workflow.gate import MAX_AUTO_MAILS_PER_ADDRESS_PER_DAY
from shared.models.enums import EmailKind, FollowUpStatus, LeadStatus, MessageType

SEND_FOLLOW_UP = "send_follow_up"
UNANSWERED = "Not sent: the customer has not had an answer yet. Reply first, then follow up."
TICK_BATCH = 500
STOPPING_STATUSES = {
    LeadStatus.BOOKED.value,
    LeadStatus.LOST.value,
    LeadStatus.ARCHIVED.value,
    LeadStatus.SPAM.value,
}


def _dedupe_key(follow_up_id: uuid.UUID, scheduled_at: datetime) -> str:
    # One job per follow-up and due time: a rescheduled follow-up gets a new job, a second
    # worker ticking at the same moment does not.
    return f"follow_up:{follow_up_id}:{scheduled_at.isoformat()}"


async def queue_due_follow_ups(session: AsyncSession) -> int:
    rows = (
        await session.execute(
            select(FollowUp.id, FollowUp.scheduled_at)
            .where(
                FollowUp.status == FollowUpStatus.SCHEDULED.value, FollowUp.scheduled_at <= utcnow()
            )
            .order_by(FollowUp.scheduled_at)
            .limit(TICK_BATCH)
        )
    ).all()
    for follow_up_id, scheduled_at in rows:
        await queue.enqueue(
            session,
            SEND_FOLLOW_UP,
            {"follow_up_id": str(follow_up_id)},
            dedupe_key=_dedupe_key(follow_up_id, scheduled_at),
        )
    return len(rows)


async def queue_now(session: AsyncSession, follow_up: FollowUp) -> None:
    """Send a follow-up as soon as a worker is free (the owner's "Send now")."""
    await queue.enqueue(
        session,
        SEND_FOLLOW_UP,
        {"follow_up_id": str(follow_up.id)},
        dedupe_key=_dedupe_key(follow_up.id, follow_up.scheduled_at),
    )


async def cancel_for_lead(session: AsyncSession, lead: Lead, why: str) -> int:
    """Cancel the lead's scheduled follow-ups (an owner reply, a customer's reply, or
    booked/lost/archived/spam)."""
    found = await session.execute(
        select(FollowUp).where(
            FollowUp.lead_id == lead.id, FollowUp.status == FollowUpStatus.SCHEDULED.value
        )
    )
    pending = list(found.scalars())
    for follow_up in pending:
        cancel(session, follow_up, why)
    return len(pending)


def cancel(
    session: AsyncSession, follow_up: FollowUp, why: str, *, actor: User | None = None
) -> None:
    """Cancel one scheduled follow-up, with its audit row."""
    follow_up.status = FollowUpStatus.CANCELED.value
    follow_up.canceled_at = utcnow()
    audit.record(
        session,
        "follow_up.canceled",
        actor=actor,
        business_id=follow_up.business_id,
        lead_id=follow_up.lead_id,
        entity="follow_up",
        entity_id=follow_up.id,
        details={"why": why},
    )


async def _customer_was_answered(session: AsyncSession, lead: Lead) -> bool:
    answer = select(Message.id).where(
        Message.lead_id == lead.id,
        Message.type.in_([MessageType.AUTO_REPLY.value, MessageType.OWNER_REPLY.value]),
    )
    return (await session.execute(answer.limit(1))).first() is not None


async def send_follow_up(ctx: ServerContext, run: JobRun) -> None:
    follow_up_id = uuid.UUID(run.payload["follow_up_id"])
    async with ctx.db.session() as session:
        if not await run.owned(session):
            return
        follow_up = await session.get(FollowUp, follow_up_id, with_for_update=True)
        if (
            follow_up is None
            or follow_up.status != FollowUpStatus.SCHEDULED.value
            or follow_up.scheduled_at > utcnow()
        ):
            await run.complete(session)  # canceled, sent, or moved later meanwhile
            return
        lead = await session.get(Lead, follow_up.lead_id)
        business = await session.get(Business, follow_up.business_id)
        if lead is None or business is None or not lead.customer_email:
            follow_up.status = FollowUpStatus.FAILED.value
            follow_up.error = "the lead has no email address"
            await run.complete(session)
            return
        if lead.status in STOPPING_STATUSES:
            await cancel_for_lead(session, lead, f"lead_{lead.status}")
            await run.complete(session)
            return
        sent_today = await customer_mail.auto_mails_to_address_today(session, lead.customer_email)
        if lead.spam_suspected or sent_today >= MAX_AUTO_MAILS_PER_ADDRESS_PER_DAY:
            why = "spam_suspected" if lead.spam_suspected else "address_daily_limit"
            await cancel_for_lead(session, lead, why)
            await run.complete(session)
            return
        if not await _customer_was_answered(session, lead):
            # "Following up" on a question nobody answered reads as being ignored: the owner
            # answers first (and sees this follow-up as not sent, with why).
            follow_up.status = FollowUpStatus.FAILED.value
            follow_up.error = UNANSWERED
            audit.record(
                session,
                "follow_up.held",
                business_id=lead.business_id,
                lead_id=lead.id,
                entity="follow_up",
                entity_id=follow_up.id,
                details={"why": "unanswered"},
            )
            await run.complete(session)
            return
        await customer_mail.send_customer_mail(
            session,
            ctx.settings,
            kind=EmailKind.FOLLOW_UP,
            lead=lead,
            business=business,
            automatic=True,
        )
        follow_up.status = FollowUpStatus.SENT.value
        follow_up.sent_at = utcnow()
        audit.record(
            session,
            "follow_up.sent",
            business_id=lead.business_id,
            lead_id=lead.id,
            entity="follow_up",
            entity_id=follow_up.id,
        )
        await run.complete(session)

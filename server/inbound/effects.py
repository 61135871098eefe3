"""What a matched mail does, in the receiving transaction: a customer's reply lands in the
thread with its effects; a delivery report marks the sent mail bounced.
Nothing here ever emails the customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.config import Settings
from server.inbound.matching import locked_lead, sent_mail
from server.inbound.parse import Bounce, ParsedMail
from server.mail.service import queue_email
from server.models.base import utcnow
from server.models.business import Business
from server.models.inbound import MessageAttachment
from server.models.lead import Lead, Message
from server.models.ops import EmailEvent
from server.workflow.follow_ups import cancel_for_lead
from shared.models.enums import CommStatus, EmailKind, EmailStatus, MessageDirection, MessageType


@dataclass
class KeptFile:
    """An attachment already written under the data dir, to be listed on the message."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    path: str


async def store_reply(
    session: AsyncSession,
    settings: Settings,
    lead_id: uuid.UUID,
    mail: ParsedMail,
    files: list[KeptFile],
    note: str | None,
    why: str,
    locked: tuple[Lead, Business] | None = None,
) -> Message | None:
    """The reply as an inbound ``customer_message`` on the lead, which moves to the top of the
    inbox as ``customer_replied``; its scheduled follow-ups are canceled and the owner alerted.
    ``locked`` is the lead and business when the match already loaded them with the lead
    locked. ``None`` when the lead is gone."""
    found = locked or await locked_lead(session, Lead.id == lead_id)
    if found is None:
        return None
    lead, business = found
    now = utcnow()
    content = mail.text or ("(attachments only)" if files else "(no text)")
    if note:
        content = f"{content}\n\n[{note}]"
    message = Message(
        id=uuid.uuid4(),
        business_id=lead.business_id,
        lead_id=lead.id,
        type=MessageType.CUSTOMER_MESSAGE.value,
        direction=MessageDirection.INBOUND.value,
        subject=mail.subject or None,
        content=content,
        sender=mail.from_address or None,
        attachments=[
            {
                "id": str(f.id),
                "filename": f.filename,
                "content_type": f.content_type,
                "size": f.size,
            }
            for f in files
        ],
        created_at=now,
    )
    session.add(message)
    session.add_all(
        MessageAttachment(
            id=f.id,
            business_id=lead.business_id,
            lead_id=lead.id,
            message_id=message.id,
            filename=f.filename,
            content_type=f.content_type,
            size=f.size,
            path=f.path,
            created_at=now,
        )
        for f in files
    )
    lead.comm_status = CommStatus.CUSTOMER_REPLIED.value
    lead.last_activity_at = now
    lead.last_customer_message_at = now
    await cancel_for_lead(session, lead, "customer_replied")
    audit.record(
        session,
        "lead.customer_replied",
        business_id=lead.business_id,
        lead_id=lead.id,
        entity="message",
        entity_id=message.id,
        details={"matched_by": why, "attachments": len(files)},
    )
    if business.reply_alerts:
        await _alert_owner(session, settings, lead, business, mail, content, files)
    return message


async def _alert_owner(
    session: AsyncSession,
    settings: Settings,
    lead: Lead,
    business: Business,
    mail: ParsedMail,
    content: str,
    files: list[KeptFile],
) -> None:
    other = mail.from_address if mail.from_address != (lead.email_normalized or "") else None
    await queue_email(
        session,
        settings,
        kind=EmailKind.REPLY_ALERT,
        to=business.contact_email,
        subject=f"Reply from {lead.customer_name}",
        template="reply_alert",
        context={
            "header": business.name,
            "brand_color": business.brand_color,
            "business_name": business.name,
            "customer_name": lead.customer_name,
            "other_sender": other,
            "reply_subject": mail.subject,
            "message": content,
            "attachments": [f.filename for f in files],
        },
        business_id=business.id,
        lead_id=lead.id,
        reply_to=mail.from_address or lead.customer_email,
    )


async def mark_bounced(
    session: AsyncSession, mail: ParsedMail, bounce: Bounce
) -> EmailEvent | None:
    """Mark the reported mail ``bounced`` with the reason, on its row and its thread message
    (the desktop flags the address). ``None`` when the report names no mail we sent."""
    ids = bounce.original_message_ids or mail.thread_ids
    event = await sent_mail(session, ids, customer_only=False)
    if event is None:
        return None
    event.status = EmailStatus.BOUNCED.value
    event.error = f"Bounced: {bounce.reason}"[:2000]
    messages = await session.execute(select(Message).where(Message.email_event_id == event.id))
    for message in messages.scalars():
        message.email_status = EmailStatus.BOUNCED.value
    if event.lead_id is not None:
        audit.record(
            session,
            "email.bounced",
            business_id=event.business_id,
            lead_id=event.lead_id,
            entity="email",
            entity_id=event.id,
            details={"recipient": bounce.recipient, "reason": bounce.reason[:300]},
        )
    return event

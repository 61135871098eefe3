"""The emails of the lead workflow: what each says and who it is from (CONTRACT §9)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.config import Settings
from server.mail.service import queue_email_now
from server.models.business import Business
from server.models.lead import Lead, Message
from server.models.ops import EmailEvent
from shared.models.enums import (
    CommStatus,
    EmailKind,
    GateReason,
    MessageDirection,
    MessageType,
    Urgency,
    label,
)

SUBJECTS = {
    EmailKind.AUTO_REPLY: "Re: Your {service} request — {business}",
    EmailKind.OWNER_REPLY: "Re: Your {service} request — {business}",
    EmailKind.ACKNOWLEDGEMENT: "We received your request — {business}",
    EmailKind.FOLLOW_UP: "Following up on your request — {business}",
}
COMM_STATUS = {
    EmailKind.AUTO_REPLY: CommStatus.AI_REPLIED,
    EmailKind.OWNER_REPLY: CommStatus.OWNER_REPLIED,
    EmailKind.ACKNOWLEDGEMENT: CommStatus.ACKNOWLEDGED,
}
MESSAGE_TYPES = {
    EmailKind.AUTO_REPLY: MessageType.AUTO_REPLY,
    EmailKind.OWNER_REPLY: MessageType.OWNER_REPLY,
    EmailKind.ACKNOWLEDGEMENT: MessageType.ACKNOWLEDGEMENT,
    EmailKind.FOLLOW_UP: MessageType.FOLLOW_UP,
}


def first_name(lead: Lead) -> str:
    name = lead.customer_name.strip().split()
    return name[0] if name else "there"


def subject_for(kind: EmailKind, lead: Lead, business: Business) -> str:
    return SUBJECTS[kind].format(service=lead.service_needed or "service", business=business.name)


def acknowledgement_text(lead: Lead, business: Business) -> str:
    about = f" about {lead.service_needed}" if lead.service_needed else ""
    return (
        f"Hi {first_name(lead)},\n\n"
        f"Thank you for contacting {business.name}. We received your request{about} and a member "
        "of our team will get back to you as soon as possible.\n\n"
        "If you want to add anything, simply reply to this email.\n\n"
        f"Kind regards,\n{business.name}"
    )


def follow_up_text(lead: Lead, business: Business) -> str:
    about = f" about {lead.service_needed}" if lead.service_needed else ""
    return (
        f"Hi {first_name(lead)},\n\n"
        f"We wanted to follow up on your request{about} to {business.name}. If you still need "
        "help, just reply to this email and we will take it from there.\n\n"
        f"Kind regards,\n{business.name}"
    )


async def send_customer_mail(
    session: AsyncSession, settings: Settings, **fields: Any
) -> tuple[Message, EmailEvent]:
    """``send_customer_mail_now`` in an async session's transaction (same keyword arguments)."""
    sent: tuple[Message, EmailEvent] = await session.run_sync(
        send_customer_mail_now, settings, **fields
    )
    return sent


def send_customer_mail_now(
    session: Session,
    settings: Settings,
    *,
    kind: EmailKind,
    lead: Lead,
    business: Business,
    content: str,
    automatic: bool,
    author_user_id: object = None,
    client_id: str | None = None,
) -> tuple[Message, EmailEvent]:
    """Queue a customer email and record it in the lead's thread, in the caller's transaction."""
    if not lead.customer_email:
        raise ValueError("the lead has no email address")
    subject = subject_for(kind, lead, business)
    paragraphs = [p.strip() for p in content.split("\n\n") if p.strip()]
    event = queue_email_now(
        session,
        settings,
        kind=kind,
        to=lead.customer_email,
        subject=subject,
        template="customer",
        context={
            "header": business.name,
            "brand_color": business.brand_color,
            "paragraphs": paragraphs,
            "business_name": business.name,
            "business_phone": business.phone,
        },
        business_id=business.id,
        lead_id=lead.id,
        display_name=business.name,
        reply_to=business.contact_email,
        automatic=automatic,
    )
    message = Message(
        business_id=business.id,
        lead_id=lead.id,
        type=MESSAGE_TYPES[kind].value,
        direction=MessageDirection.OUTBOUND.value,
        subject=subject,
        content=content,
        author_user_id=author_user_id,
        client_id=client_id,
        email_event_id=event.id,
        email_message_id=event.message_id,
        email_status=event.status,
        created_at=event.created_at,
    )
    session.add(message)
    if kind in COMM_STATUS:  # the latest outbound message sets the lead's comm status
        lead.comm_status = COMM_STATUS[kind].value
    return message, event


def alert_owner_now(
    session: Session,
    settings: Settings,
    *,
    lead: Lead,
    business: Business,
    message_text: str,
    summary: str | None,
    urgency: str | None,
    reply: str | None,
    auto_sent: bool,
    reasons: list[str],
) -> EmailEvent:
    """Queue the owner's new-lead alert in the caller's transaction (synchronous code)."""
    return queue_email_now(
        session,
        settings,
        kind=EmailKind.OWNER_ALERT,
        to=business.contact_email,
        subject=f"New lead: {lead.customer_name}",
        template="owner_alert",
        context={
            "header": business.name,
            "brand_color": business.brand_color,
            "business_name": business.name,
            "customer_name": lead.customer_name,
            "customer_email": lead.customer_email,
            "customer_phone": lead.customer_phone,
            "service": lead.service_needed,
            "preferred_time": lead.preferred_time,
            # Words, never codes: the same labels as the desktop app (shared.models.enums).
            "urgency": label(Urgency, urgency) or None,
            "message": message_text,
            "summary": summary,
            "reply": reply,
            "auto_sent": auto_sent,
            "reasons": [label(GateReason, reason, reason) for reason in reasons],
        },
        business_id=business.id,
        lead_id=lead.id,
        reply_to=lead.customer_email,
    )

"""The emails of the lead workflow: what each says and who it is from (CONTRACT §9)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.ai.reply_templates import first_name, in_sentence, own_service
from server.businesses import repository as business_repo
from server.config import Settings
from server.inbound.addresses import reply_to_for
from server.mail.service import queue_email
from server.models.base import utcnow
from server.models.business import Business, Form
from server.models.lead import Lead, Message
from server.models.ops import EmailEvent
from server.workflow.owner_alert import OwnerAlert, owner_alert_context
from shared.models.enums import (
    CommStatus,
    EmailKind,
    EmailStatus,
    MessageDirection,
    MessageType,
)

SUBJECTS = {
    EmailKind.AUTO_REPLY: "Re: Your {service} request — {business}",
    EmailKind.OWNER_REPLY: "Re: Your {service} request — {business}",
    EmailKind.ACKNOWLEDGEMENT: "We received your request — {business}",
    EmailKind.FOLLOW_UP: "Following up on your request — {business}",
}
SUBJECT_WITHOUT_SERVICE = "Re: Your request — {business}"
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
# Mail LeadFlow sends by itself; counted per recipient address across all businesses.
AUTOMATIC_KINDS = (EmailKind.AUTO_REPLY, EmailKind.ACKNOWLEDGEMENT, EmailKind.FOLLOW_UP)
_FORM_SERVICES = business_repo.the_form(
    Form.services, business_id=bindparam("business_id", type_=Form.business_id.type)
).execution_options(autoflush=False)
AUTO_MAILS_TO_ADDRESS = (
    select(func.count())
    .select_from(EmailEvent)
    .where(
        func.lower(EmailEvent.to_address) == bindparam("address", type_=String()),
        EmailEvent.automatic.is_(True),
        EmailEvent.kind.in_([k.value for k in AUTOMATIC_KINDS]),
        EmailEvent.status != EmailStatus.FAILED.value,
        EmailEvent.created_at > bindparam("day_ago", type_=EmailEvent.created_at.type),
    )
    .scalar_subquery()
)


async def auto_mails_to_address_today(session: AsyncSession, address: str | None) -> int:
    """Automatic customer mails any business sent ``address`` in the last 24 hours."""
    if not address:
        return 0
    params = {"address": address.lower(), "day_ago": utcnow() - timedelta(hours=24)}
    statement = select(AUTO_MAILS_TO_ADDRESS).execution_options(autoflush=False)
    return int((await session.execute(statement, params)).scalar() or 0)


def greeting_name(lead: Lead) -> str:
    """The customer's first name when it is plain letters, else "there" (never other text)."""
    return first_name(lead.customer_name) or "there"


async def named_service(session: AsyncSession, lead: Lead) -> str | None:
    """The business's own spelling of the lead's service when it is one of the form's services;
    free text a submitter typed is never put into a mail."""
    services = (await session.execute(_FORM_SERVICES, {"business_id": lead.business_id})).scalar()
    return own_service(lead.service_needed, services or [])


def _your_request(service: str | None) -> str:
    return f"your {in_sentence(service)} request" if service else "your request"


def subject_for(kind: EmailKind, business: Business, service: str | None) -> str:
    template = SUBJECTS[kind]
    if "{service}" in template and not service:
        template = SUBJECT_WITHOUT_SERVICE
    return template.format(service=service, business=business.name)


def acknowledgement_text(lead: Lead, business: Business, service: str | None) -> str:
    return (
        f"Hi {greeting_name(lead)},\n\n"
        f"Thank you for contacting {business.name}. We have received {_your_request(service)}, "
        "and someone from our team will get back to you as soon as we can.\n\n"
        "If you would like to add anything, just reply to this email.\n\n"
        f"Kind regards,\n{business.name}"
    )


def follow_up_text(lead: Lead, business: Business, service: str | None) -> str:
    return (
        f"Hi {greeting_name(lead)},\n\n"
        f"We are checking in on {_your_request(service)}. If you still need help, or there is "
        "anything we have not answered yet, just reply to this email and we will take it from "
        "there.\n\n"
        f"Kind regards,\n{business.name}"
    )


STANDARD_TEXTS = {
    EmailKind.ACKNOWLEDGEMENT: acknowledgement_text,
    EmailKind.FOLLOW_UP: follow_up_text,
}


def customer_context(business: Business, content: str) -> dict[str, Any]:
    """The ``customer`` template's context for ``content``, a text of paragraphs."""
    # The HTML part breaks lines where the text part does (customer.html splits each one).
    paragraphs = [
        "\n".join(line.strip() for line in block.strip().splitlines())
        for block in content.replace("\r\n", "\n").split("\n\n")
        if block.strip()
    ]
    return {
        "header": business.name,
        "brand_color": business.brand_color,
        "paragraphs": paragraphs,
        "business_name": business.name,
        "business_phone": business.phone,
    }


async def send_customer_mail(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: EmailKind,
    lead: Lead,
    business: Business,
    automatic: bool,
    content: str | None = None,
    author_user_id: object = None,
    client_id: str | None = None,
    services: Sequence[str] | None = None,
) -> tuple[Message, EmailEvent]:
    """Queue a customer email and record it in the lead's thread, in the caller's transaction.
    The acknowledgement and the follow-up are written here (``content`` None); an AI or owner
    reply brings its ``content``. ``services``: the form's, when the caller read them in this
    transaction."""
    if not lead.customer_email:
        raise ValueError("the lead has no email address")
    if services is None:
        service = await named_service(session, lead)
    else:
        service = own_service(lead.service_needed, tuple(services))
    subject = subject_for(kind, business, service)
    if content is None:
        content = STANDARD_TEXTS[kind](lead, business, service)
    event = await queue_email(
        session,
        settings,
        kind=kind,
        to=lead.customer_email,
        subject=subject,
        template="customer",
        context=customer_context(business, content),
        business_id=business.id,
        lead_id=lead.id,
        display_name=business.name,
        reply_to=reply_to_for(settings, lead, business),
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


async def alert_owner(
    session: AsyncSession,
    settings: Settings,
    *,
    lead: Lead,
    business: Business,
    alert: OwnerAlert,
) -> EmailEvent:
    """Queue the owner's new-lead alert in the caller's transaction."""
    return await queue_email(
        session,
        settings,
        kind=EmailKind.OWNER_ALERT,
        to=business.contact_email,
        subject=f"New lead: {lead.customer_name}",
        template="owner_alert",
        context=owner_alert_context(lead, business, alert),
        business_id=business.id,
        lead_id=lead.id,
        reply_to=lead.customer_email,
    )

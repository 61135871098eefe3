"""Storing a submission: limits, idempotency, duplicates and spam, then the ``process_lead`` job.

Everything here happens in the customer's request and one transaction; analysis and mail are
jobs, so the customer's answer never waits for the AI or a mail server.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit, ratelimit
from server.businesses import repository as business_repo
from server.businesses.service import form_available
from server.config import Settings
from server.errors import NotFound, RateLimited, ValidationFailed
from server.intake.validation import CleanSubmission, check, spam_signals
from server.jobs import queue
from server.models.base import utcnow
from server.models.business import Business, Form
from server.models.lead import Lead, Message, Submission
from server.models.user import RateLimitHit
from server.workflow.pipeline import PROCESS_LEAD
from shared.models.enums import CLOSED_LEAD_STATUSES, LeadStatus, MessageDirection, MessageType
from shared.models.leads import SubmissionIn

DUPLICATE_WINDOW = timedelta(days=30)


class FormUnavailable(NotFound):
    code = "form_unavailable"
    message = "This form is unavailable."


@dataclass
class IntakeResult:
    outcome: str  # "stored", "attached", "spam", "honeypot", "repeat"
    success_message: str
    lead_id: uuid.UUID | None = None


async def available_form(session: AsyncSession, slug: str) -> tuple[Form, Business]:
    found = await business_repo.form_by_slug(session, slug)
    if found is None or not form_available(*found):
        raise FormUnavailable()
    return found


def validate(data: SubmissionIn) -> CleanSubmission:
    clean = check(data)
    if clean.errors:
        raise ValidationFailed(
            details=[
                {"field": f, "message": m, "type": "value_error"} for f, m in clean.errors.items()
            ]
        )
    return clean


async def _enforce_limits(
    session: AsyncSession, settings: Settings, business_id: uuid.UUID, client_ip: str
) -> None:
    """Count every accepted submission (a new lead, spam, or one attached to an open lead) per
    client address and per form, so resubmitting as a returning customer is limited too."""
    now = utcnow()
    limits = (
        (
            f"intake:ip:{client_ip[:64]}",
            settings.intake_ip_window_s,
            settings.intake_ip_limit,
            "Too many requests from your connection. Please try again later.",
        ),
        (
            f"intake:form:{business_id}",
            settings.intake_form_window_s,
            settings.intake_form_limit,
            "This form is receiving too many requests. Please try again soon.",
        ),
    )
    columns = []
    for key, window_s, _limit, _message in limits:
        window = (RateLimitHit.key == key, RateLimitHit.at > now - timedelta(seconds=window_s))
        columns.append(select(func.count()).where(*window).scalar_subquery())
        columns.append(select(func.min(RateLimitHit.at)).where(*window).scalar_subquery())
    # Both windows in one round trip: this runs in every submit's write transaction.
    found = (await session.execute(select(*columns))).one()
    for index, (key, window_s, limit, message) in enumerate(limits):
        count, oldest = found[2 * index], found[2 * index + 1]
        if count >= limit:
            wait = (oldest + timedelta(seconds=window_s) - now).total_seconds() if oldest else 60
            raise RateLimited(math.ceil(wait), message)
        ratelimit.hit(session, key)


async def _claim_submission(
    session: AsyncSession, business_id: uuid.UUID, submission_id: uuid.UUID
) -> bool:
    """Record the submission id; False when it was already seen (a double click or a retry)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(Submission)
        .values(
            business_id=business_id,
            submission_id=submission_id,
            outcome="pending",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return bool(getattr(result, "rowcount", 0))


async def _open_duplicate(
    session: AsyncSession, business_id: uuid.UUID, clean: CleanSubmission, now: datetime
) -> Lead | None:
    keys = []
    if clean.email_normalized:
        keys.append(Lead.email_normalized == clean.email_normalized)
    if clean.phone_normalized:
        keys.append(Lead.phone_normalized == clean.phone_normalized)
    if not keys:
        return None
    return (
        await session.execute(
            select(Lead)
            .where(
                Lead.business_id == business_id,
                or_(*keys),
                Lead.status.not_in([s.value for s in CLOSED_LEAD_STATUSES]),
                Lead.created_at > now - DUPLICATE_WINDOW,
            )
            .order_by(Lead.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def submit(
    session: AsyncSession,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    *,
    client_ip: str,
    too_fast: bool = False,
) -> IntakeResult:
    """Store one submission durably (the caller commits before answering)."""
    form, business = await available_form(session, slug)
    success = form.success_message
    if data.website:  # the honeypot: people never see it, so a filled one is a bot
        return IntakeResult("honeypot", success)
    clean = validate(data)
    submission_id = data.submission_id or uuid.uuid4()
    if not await _claim_submission(session, business.id, submission_id):
        return IntakeResult("repeat", success)
    await _enforce_limits(session, settings, business.id, client_ip)
    now = utcnow()
    spam = spam_signals(data) + (["too_fast"] if too_fast else [])
    duplicate = None if spam else await _open_duplicate(session, business.id, clean, now)
    if duplicate is not None:
        message = _customer_message(duplicate, clean, now)
        session.add(message)
        duplicate.last_activity_at = now
        duplicate.last_customer_message_at = now
        await session.flush()
        await queue.enqueue(
            session,
            PROCESS_LEAD,
            {"lead_id": str(duplicate.id), "message_id": str(message.id), "duplicate": True},
        )
        audit.record(
            session,
            "lead.customer_message_added",
            business_id=business.id,
            lead_id=duplicate.id,
            entity="message",
            entity_id=message.id,
            details={"submission_id": str(submission_id)},
        )
        await _settle(session, business.id, submission_id, duplicate.id, "attached")
        return IntakeResult("attached", success, duplicate.id)
    lead = Lead(
        id=uuid.uuid4(),
        business_id=business.id,
        form_id=form.id,
        submission_id=submission_id,
        customer_name=data.customer_name.strip(),
        customer_email=clean.email,
        customer_phone=clean.phone,
        email_normalized=clean.email_normalized,
        phone_normalized=clean.phone_normalized,
        service_needed=data.service_needed or None,
        preferred_time=data.preferred_time or None,
        message=data.message,
        source="form",
        utm_source=data.utm_source or None,
        utm_medium=data.utm_medium or None,
        utm_campaign=data.utm_campaign or None,
        utm_term=data.utm_term or None,
        utm_content=data.utm_content or None,
        referrer=data.referrer or None,
        client_ip=client_ip[:64],
        status=LeadStatus.SPAM.value if spam else LeadStatus.NEW.value,
        spam_suspected=bool(spam),
        spam_reasons=spam,
        comm_status="new",
        gate_reasons=[],
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        last_customer_message_at=now,
    )
    session.add(lead)  # flushed with its message: one sync-version bump, not two
    message = _customer_message(lead, clean, now)
    session.add(message)
    audit.record(
        session,
        "lead.received",
        business_id=business.id,
        lead_id=lead.id,
        entity="lead",
        entity_id=lead.id,
        details={"spam": spam, "submission_id": str(submission_id)},
    )
    if not spam:
        await session.flush()
        await queue.enqueue(
            session,
            PROCESS_LEAD,
            {"lead_id": str(lead.id), "message_id": str(message.id), "duplicate": False},
        )
    await _settle(session, business.id, submission_id, lead.id, "spam" if spam else "stored")
    return IntakeResult("spam" if spam else "stored", success, lead.id)


def _customer_message(lead: Lead, clean: CleanSubmission, now: datetime) -> Message:
    data = clean.data
    parts = [data.message.strip()] if data.message.strip() else []
    if lead.id is not None and lead.message != data.message:
        extra = [
            f"{label}: {value}"
            for label, value in (
                ("Service", data.service_needed),
                ("Preferred time", data.preferred_time),
            )
            if value
        ]
        parts = parts + extra
    return Message(
        id=uuid.uuid4(),
        business_id=lead.business_id,
        lead_id=lead.id,
        type=MessageType.CUSTOMER_MESSAGE.value,
        direction=MessageDirection.INBOUND.value,
        subject=None,
        content="\n\n".join(parts) or "(no message)",
        created_at=now,
    )


async def _settle(
    session: AsyncSession,
    business_id: uuid.UUID,
    submission_id: uuid.UUID,
    lead_id: uuid.UUID,
    outcome: str,
) -> None:
    await session.execute(
        update(Submission)
        .where(Submission.business_id == business_id, Submission.submission_id == submission_id)
        .values(lead_id=lead_id, outcome=outcome)
    )

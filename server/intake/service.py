"""Storing a submission: limits, idempotency, duplicates and spam, then the ``process_lead`` job.

Everything here happens in the customer's request and one transaction; analysis and mail are
jobs, so the customer's answer never waits for the AI or a mail server.

This is the hottest write of the product, so it is written for few statements: one query reads
the form, both rate-limit windows and a possible open duplicate; a new lead is then stored with
prebuilt Core statements and versions reserved up front (``sync_versions.reserve_versions``)
instead of the ORM's unit of work. The transaction is synchronous code run by
``Database.run_write`` (on SQLite in one thread hand-off; on PostgreSQL in a normal session).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server import audit, ratelimit, sync_versions
from server.businesses import repository as business_repo
from server.businesses.service import form_available
from server.config import Settings
from server.db import Database
from server.errors import NotFound, RateLimited, ValidationFailed
from server.intake.validation import CleanSubmission, check, spam_signals
from server.jobs import queue
from server.models.base import table_of, utcnow
from server.models.business import Business, Form
from server.models.lead import Lead, Message, Submission
from server.models.user import RateLimitHit
from server.workflow.pipeline import PROCESS_LEAD
from shared.models.enums import (
    CLOSED_LEAD_STATUSES,
    BusinessStatus,
    LeadStatus,
    MessageDirection,
    MessageType,
)
from shared.models.leads import SubmissionIn

DUPLICATE_WINDOW = timedelta(days=30)
_CLOSED = [s.value for s in CLOSED_LEAD_STATUSES]


def _window(key: str, since: str) -> tuple[Any, Any]:
    where = (RateLimitHit.key == bindparam(key), RateLimitHit.at > bindparam(since))
    return (
        select(func.count()).where(*where).scalar_subquery(),
        select(func.min(RateLimitHit.at)).where(*where).scalar_subquery(),
    )


# The statements of the hot path are built once, with bound parameters: building a statement
# from literal values and computing its cache key cost more CPU than running it.
_OPEN_DUPLICATE = (
    select(Lead.id)
    .where(
        Lead.business_id == Form.business_id,
        or_(
            Lead.email_normalized == bindparam("email", type_=Lead.email_normalized.type),
            Lead.phone_normalized == bindparam("phone", type_=Lead.phone_normalized.type),
        ),
        Lead.status.not_in(_CLOSED),
        Lead.created_at > bindparam("since", type_=Lead.created_at.type),
    )
    .order_by(Lead.created_at.desc())
    .limit(1)
    .correlate(Form)
    .scalar_subquery()
)
# The form, both rate-limit windows and the newest open lead of the same customer, in one query.
_INTAKE = (
    select(
        Form.id,
        Form.success_message,
        Form.active,
        Business.id,
        Business.status,
        *_window("ip_key", "ip_since"),
        *_window("form_key", "form_since"),
        _OPEN_DUPLICATE,
    )
    .select_from(Form)
    .join(Business, Business.id == Form.business_id)
    .where(Form.slug == bindparam("slug"))
)
_CLAIM = {
    "postgresql": pg_insert(table_of(Submission)).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(table_of(Submission)).on_conflict_do_nothing(),
}
_SETTLE = (
    update(table_of(Submission))
    .where(
        Submission.business_id == bindparam("b_business_id", type_=Submission.business_id.type),
        Submission.submission_id
        == bindparam("b_submission_id", type_=Submission.submission_id.type),
    )
    .values(lead_id=bindparam("s_lead_id"), outcome=bindparam("s_outcome"))
)
_INSERT_LEAD = insert(table_of(Lead))
_INSERT_MESSAGE = insert(table_of(Message))


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
    _raise_errors(clean)
    return clean


def _raise_errors(clean: CleanSubmission) -> None:
    if clean.errors:
        raise ValidationFailed(
            details=[
                {"field": f, "message": m, "type": "value_error"} for f, m in clean.errors.items()
            ]
        )


async def submit(
    db: Database,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    *,
    client_ip: str,
    too_fast: bool = False,
) -> IntakeResult:
    """Store one submission durably, in its own transaction (committed when this returns)."""
    return await db.run_write(_store, settings, slug, data, client_ip, too_fast)


async def submit_in(
    session: AsyncSession,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    *,
    client_ip: str,
    too_fast: bool = False,
) -> IntakeResult:
    """Store one submission in the caller's transaction (the caller commits)."""
    return await session.run_sync(_store, settings, slug, data, client_ip, too_fast)


def _store(
    session: Session,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    client_ip: str,
    too_fast: bool,
) -> IntakeResult:
    clean = check(data)
    spam = spam_signals(data) + (["too_fast"] if too_fast else [])
    now = utcnow()
    ip_key = f"intake:ip:{client_ip[:64]}"
    form_key = f"intake:form:{slug}"
    row = session.execute(
        _INTAKE,
        {
            "slug": slug,
            "ip_key": ip_key,
            "ip_since": now - timedelta(seconds=settings.intake_ip_window_s),
            "form_key": form_key,
            "form_since": now - timedelta(seconds=settings.intake_form_window_s),
            # NULL equals nothing: an absent key, or a spam submission, finds no duplicate.
            "email": None if spam else clean.email_normalized,
            "phone": None if spam else clean.phone_normalized,
            "since": now - DUPLICATE_WINDOW,
        },
    ).first()
    if row is None:
        raise FormUnavailable()
    form_id, success, active, business_id, status = row[:5]
    ip_count, ip_oldest, form_count, form_oldest, duplicate_id = row[5:]
    if not (active and status == BusinessStatus.ACTIVE.value):
        raise FormUnavailable()
    if data.website:  # the honeypot: people never see it, so a filled one is a bot
        return IntakeResult("honeypot", success)
    _raise_errors(clean)
    submission_id = data.submission_id or uuid.uuid4()
    if not _claim_submission(session, business_id, submission_id, now):
        return IntakeResult("repeat", success)
    # Every accepted submission counts (a new lead, spam, or one attached to an open lead), per
    # client address and per form, so resubmitting as a returning customer is limited too.
    for count, oldest, window_s, limit, message in (
        (
            ip_count,
            ip_oldest,
            settings.intake_ip_window_s,
            settings.intake_ip_limit,
            "Too many requests from your connection. Please try again later.",
        ),
        (
            form_count,
            form_oldest,
            settings.intake_form_window_s,
            settings.intake_form_limit,
            "This form is receiving too many requests. Please try again soon.",
        ),
    ):
        if count >= limit:
            wait = (oldest + timedelta(seconds=window_s) - now).total_seconds() if oldest else 60
            raise RateLimited(math.ceil(wait), message)
    ratelimit.record_hits(session, [ip_key, form_key])
    if duplicate_id is not None:
        duplicate = session.get(Lead, duplicate_id, with_for_update=True)
        if duplicate is not None and duplicate.status not in _CLOSED:
            return _attach(session, duplicate, clean, submission_id, now, success)
    return _new_lead(
        session, form_id, business_id, data, clean, spam, submission_id, client_ip, now, success
    )


def _claim_submission(
    session: Session, business_id: uuid.UUID, submission_id: uuid.UUID, now: datetime
) -> bool:
    """Record the submission id; False when it was already seen (a double click or a retry)."""
    result = session.execute(
        _CLAIM[session.get_bind().dialect.name],
        {
            "business_id": business_id,
            "submission_id": submission_id,
            "outcome": "pending",
            "created_at": now,
        },
    )
    return bool(getattr(result, "rowcount", 0))


def _attach(
    session: Session,
    duplicate: Lead,
    clean: CleanSubmission,
    submission_id: uuid.UUID,
    now: datetime,
    success: str,
) -> IntakeResult:
    """A returning customer's submission becomes a new message on their open lead."""
    message = _customer_message(duplicate.business_id, duplicate.id, duplicate.message, clean, now)
    session.add(message)
    duplicate.last_activity_at = now
    duplicate.last_customer_message_at = now
    session.flush()
    queue.enqueue_now(
        session,
        PROCESS_LEAD,
        {"lead_id": str(duplicate.id), "message_id": str(message.id), "duplicate": True},
    )
    audit.record(
        session,
        "lead.customer_message_added",
        business_id=duplicate.business_id,
        lead_id=duplicate.id,
        entity="message",
        entity_id=message.id,
        details={"submission_id": str(submission_id)},
    )
    _settle(session, duplicate.business_id, submission_id, duplicate.id, "attached")
    return IntakeResult("attached", success, duplicate.id)


def _new_lead(
    session: Session,
    form_id: uuid.UUID,
    business_id: uuid.UUID,
    data: SubmissionIn,
    clean: CleanSubmission,
    spam: list[str],
    submission_id: uuid.UUID,
    client_ip: str,
    now: datetime,
    success: str,
) -> IntakeResult:
    lead_id = uuid.uuid4()
    version = sync_versions.reserve_versions(session, business_id, 2)  # the lead and its message
    session.execute(
        _INSERT_LEAD,
        {
            "id": lead_id,
            "version": version,
            "business_id": business_id,
            "form_id": form_id,
            "submission_id": submission_id,
            "customer_name": data.customer_name.strip(),
            "customer_email": clean.email,
            "customer_phone": clean.phone,
            "email_normalized": clean.email_normalized,
            "phone_normalized": clean.phone_normalized,
            "service_needed": data.service_needed or None,
            "preferred_time": data.preferred_time or None,
            "message": data.message,
            "source": "form",
            "utm_source": data.utm_source or None,
            "utm_medium": data.utm_medium or None,
            "utm_campaign": data.utm_campaign or None,
            "utm_term": data.utm_term or None,
            "utm_content": data.utm_content or None,
            "referrer": data.referrer or None,
            "client_ip": client_ip[:64],
            "status": LeadStatus.SPAM.value if spam else LeadStatus.NEW.value,
            "spam_suspected": bool(spam),
            "spam_reasons": spam,
            "duplicate_of_id": None,
            "comm_status": "new",
            "urgency": None,
            "opened_at": None,
            "gate_allowed": None,
            "gate_reasons": [],
            "auto_sent": False,
            "created_at": now,
            "updated_at": now,
            "last_activity_at": now,
            "last_customer_message_at": now,
        },
    )
    message = _customer_message(business_id, lead_id, None, clean, now)
    message_values = {c.key: getattr(message, c.key) for c in Message.__table__.columns}
    message_values["version"] = version + 1
    session.execute(_INSERT_MESSAGE, message_values)
    audit.write_now(
        session,
        "lead.received",
        business_id=business_id,
        lead_id=lead_id,
        entity="lead",
        entity_id=lead_id,
        details={"spam": spam, "submission_id": str(submission_id)},
    )
    if not spam:
        queue.enqueue_now(
            session,
            PROCESS_LEAD,
            {"lead_id": str(lead_id), "message_id": str(message.id), "duplicate": False},
        )
    _settle(session, business_id, submission_id, lead_id, "spam" if spam else "stored")
    return IntakeResult("spam" if spam else "stored", success, lead_id)


def _customer_message(
    business_id: uuid.UUID,
    lead_id: uuid.UUID,
    lead_message: str | None,
    clean: CleanSubmission,
    now: datetime,
) -> Message:
    """The customer's words as a message; on an existing lead (``lead_message`` given) a new
    submission's service and preferred time are added to the text."""
    data = clean.data
    parts = [data.message.strip()] if data.message.strip() else []
    if lead_message is not None and lead_message != data.message:
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
        business_id=business_id,
        lead_id=lead_id,
        type=MessageType.CUSTOMER_MESSAGE.value,
        direction=MessageDirection.INBOUND.value,
        subject=None,
        content="\n\n".join(parts) or "(no message)",
        created_at=now,
    )


def _settle(
    session: Session,
    business_id: uuid.UUID,
    submission_id: uuid.UUID,
    lead_id: uuid.UUID,
    outcome: str,
) -> None:
    session.execute(
        _SETTLE,
        {
            "b_business_id": business_id,
            "b_submission_id": submission_id,
            "s_lead_id": lead_id,
            "s_outcome": outcome,
        },
    )

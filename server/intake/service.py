"""Storing a submission: limits, idempotency, duplicates and spam, then the ``process_lead`` job.

Everything here happens in the customer's request and one transaction; analysis and mail are
jobs, so the customer's answer never waits for the AI or a mail server.

One query (``INTAKE``) reads the form, both rate-limit windows, a possible open duplicate and
whether the submission was seen. A new lead (spam included) is then written by the storage
layer, the one way of its database (``Storage.insert_new_lead``); a returning customer's
submission is attached to their open lead through the ORM (``Database.run_write``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server import audit, ratelimit, sync_versions
from server.businesses import repository as business_repo
from server.businesses.service import form_available
from server.config import Settings
from server.db import Database
from server.errors import NotFound, RateLimited, ValidationFailed
from server.intake.statements import (
    INTAKE,
)
from server.intake.validation import CleanSubmission, check, contact_signals, spam_signals
from server.jobs import queue
from server.models.base import table_of, utcnow
from server.models.business import Business, Form
from server.models.lead import LEAD_LOCK, Lead, Message
from server.storage import CLAIM_SUBMISSION, JOBS_ENQUEUED_KEY, NewLead, Repeat, Storage
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


class FormUnavailable(NotFound):
    code = "form_unavailable"
    message = "This form is unavailable."


@dataclass
class IntakeResult:
    outcome: str  # "stored", "attached", "spam", "held", "honeypot", "repeat"
    success_message: str
    lead_id: uuid.UUID | None = None
    business_id: uuid.UUID | None = None


async def available_form(session: AsyncSession, slug: str) -> tuple[Form, Business]:
    found = await business_repo.form_by_slug(session, slug)
    if found is None or not form_available(*found):
        raise FormUnavailable()
    return found


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
    args = (settings, slug, data, client_ip, too_fast)
    try:
        done = await db.storage.insert_new_lead(_plan_new_lead, *args)
        if done is not None:
            return done
        # A returning customer: attached to the open lead in the ORM's transaction.
        return await db.run_write(_store, db.storage, *args)
    except Repeat as repeat:
        return IntakeResult("repeat", repeat.result.success_message)


@dataclass
class _Plan:
    """A submission that passed the checks and limits, and what the intake query found."""

    data: SubmissionIn
    clean: CleanSubmission
    spam: list[str]
    suspect: list[str]  # signals that keep the lead but send the customer nothing
    client_ip: str
    now: datetime
    submission_id: uuid.UUID
    keys: list[str]
    success: str
    form_id: uuid.UUID
    business_id: uuid.UUID
    duplicate_id: uuid.UUID | None
    held: bool = False  # the form is past its threshold: suspected spam, no job


def _plan_new_lead(
    conn: Connection,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    client_ip: str,
    too_fast: bool,
) -> NewLead[IntakeResult] | IntakeResult | None:
    """The checks and the intake query: a new lead's rows for the storage to write, the result
    of a submission that stores nothing, or ``None`` for a returning customer's (``_store``)."""
    plan = _check_and_read(conn, settings, slug, data, client_ip, too_fast)
    if isinstance(plan, IntakeResult):
        return plan
    if plan.duplicate_id is not None:
        return None
    return _new_lead(plan)


def _store(
    session: Session,
    storage: Storage,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    client_ip: str,
    too_fast: bool,
) -> IntakeResult:
    """A returning customer's submission in the ORM's transaction (``run_write``): attached to
    their open lead, or a new lead if that lead closed meanwhile."""
    plan = _check_and_read(session.connection(), settings, slug, data, client_ip, too_fast)
    if isinstance(plan, IntakeResult):
        return plan
    if plan.duplicate_id is not None:
        attached = _attach_to_open_lead(session, plan)
        if attached is not None:
            return attached
    new = _new_lead(plan)
    storage.write_new_lead(session.connection(), new, session.info)
    return new.result


def _check_and_read(
    executor: Connection,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    client_ip: str,
    too_fast: bool,
) -> _Plan | IntakeResult:
    """The field checks and the intake query; raises for an unavailable form, invalid fields or
    a reached limit, returns the result of a submission that stores nothing, else the plan."""
    clean = check(data)  # the contact fields only; the free text is read after the limits
    now = utcnow()
    submission_id = data.submission_id or uuid.uuid4()
    keys = [f"intake:ip:{ratelimit.sender(client_ip)}", f"intake:form:{slug}"]
    row = executor.execute(
        INTAKE,
        {
            "slug": slug,
            "ip_key": keys[0],
            "ip_since": now - timedelta(seconds=settings.intake_ip_window_s),
            "ip_limit": settings.intake_ip_limit,
            "form_key": keys[1],
            "form_since": now - timedelta(seconds=settings.intake_form_window_s),
            "form_limit": settings.intake_form_limit,
            # NULL equals nothing: an absent key finds no duplicate.
            "email": clean.email_normalized,
            "phone": clean.phone_normalized,
            "submission_id": submission_id,
        },
    ).first()
    if row is None:
        raise FormUnavailable()
    form_id, success, active, business_id, status = row[:5]
    ip_count, form_count, duplicate_id, seen = row[5:]
    if not (active and status == BusinessStatus.ACTIVE.value):
        raise FormUnavailable()
    if data.website:  # the honeypot: people never see it, so a filled one is a bot
        return IntakeResult("honeypot", success)
    _raise_errors(clean)
    if seen:  # a double click or a retried request: stored once already
        return IntakeResult("repeat", success)
    # Every accepted submission counts (a new lead, spam, or one attached to an open lead), per
    # sender and per form, so resubmitting as a returning customer is limited too. A sender
    # past its limit is refused; a form past its threshold is never closed to customers (else
    # a few addresses could close it for an hour): its submissions are held, below.
    if ip_count >= settings.intake_ip_limit:
        window_s = settings.intake_ip_window_s
        since = now - timedelta(seconds=window_s)
        oldest = executor.execute(ratelimit.OLDEST_HIT, {"key": keys[0], "since": since}).scalar()
        raise RateLimited(
            ratelimit.seconds_until_allowed(oldest, window_s, now),
            "Too many requests from your connection. Please try again later.",
        )
    # The content signals read the free text, so only for a submission the limits let through;
    # spam is never attached to a customer's open lead.
    spam = spam_signals(data) + (["too_fast"] if too_fast else [])
    if spam:
        duplicate_id = None
    # Held: stored and shown to the owner as suspected spam, but nothing is mailed or analysed.
    held = form_count >= settings.intake_form_limit
    return _Plan(
        data,
        clean,
        spam,
        contact_signals(data),
        client_ip,
        now,
        submission_id,
        keys,
        success,
        form_id,
        business_id,
        duplicate_id,
        held,
    )


def _attach_to_open_lead(session: Session, plan: _Plan) -> IntakeResult | None:
    """The submission as a new message on the customer's open lead; ``None`` if that lead
    closed or aged out since the intake query."""
    success, now, business_id = plan.success, plan.now, plan.business_id
    duplicate = session.get(Lead, plan.duplicate_id, with_for_update=LEAD_LOCK)
    if (
        duplicate is None
        or duplicate.status in _CLOSED
        or duplicate.created_at <= now - DUPLICATE_WINDOW
    ):
        return None
    ratelimit.record_hits(session, plan.keys)
    if plan.suspect:
        duplicate.spam_suspected = True
        duplicate.spam_reasons = [*(duplicate.spam_reasons or []), *plan.suspect]
    _attach(session, duplicate, plan.clean, plan.submission_id, now)
    result = IntakeResult("attached", success, duplicate.id, business_id)
    claim = _claim_row(business_id, plan.submission_id, duplicate.id, "attached", now)
    if not session.connection().execute(CLAIM_SUBMISSION, claim).rowcount:
        raise Repeat(result)
    return result


def _new_lead(plan: _Plan) -> NewLead[IntakeResult]:
    """Every row of a new lead (spam included: no job) from the plan."""
    business_id, now = plan.business_id, plan.now
    lead = _lead_row(
        plan.form_id,
        business_id,
        plan.data,
        plan.clean,
        plan.spam,
        plan.suspect,
        plan.submission_id,
        plan.client_ip,
        now,
        held=plan.held,
    )
    message_row = _customer_message_row(business_id, lead["id"], None, plan.clean, now)
    received = audit.values(
        "lead.received",
        business_id=business_id,
        lead_id=lead["id"],
        entity="lead",
        entity_id=lead["id"],
        details={
            "spam": plan.spam,
            "suspect": plan.suspect,
            "submission_id": str(plan.submission_id),
        },
    )
    job = None
    if not plan.spam and not plan.held:
        payload = {
            "lead_id": str(lead["id"]),
            "message_id": str(message_row["id"]),
            "duplicate": False,
        }
        job = queue.job_row(PROCESS_LEAD, payload)
    outcome = "spam" if plan.spam else "held" if plan.held else "stored"
    return NewLead(
        lead=lead,
        message=message_row,
        received=received,
        job=job,
        hits=ratelimit.hit_rows(plan.keys, now),
        claim=_claim_row(business_id, plan.submission_id, lead["id"], outcome, now),
        result=IntakeResult(outcome, plan.success, lead["id"], business_id),
    )


def _claim_row(
    business_id: uuid.UUID,
    submission_id: uuid.UUID,
    lead_id: uuid.UUID,
    outcome: str,
    now: datetime,
) -> dict[str, Any]:
    """The ``submissions`` row (``CLAIM_SUBMISSION``), the transaction's last."""
    return {
        "business_id": business_id,
        "submission_id": submission_id,
        "lead_id": lead_id,
        "outcome": outcome,
        "created_at": now,
    }


def _attach(
    session: Session,
    duplicate: Lead,
    clean: CleanSubmission,
    submission_id: uuid.UUID,
    now: datetime,
) -> None:
    """A returning customer's submission becomes a new message on their open lead."""
    message = _customer_message(duplicate.business_id, duplicate.id, duplicate.message, clean, now)
    session.add(message)
    duplicate.last_activity_at = now
    duplicate.last_customer_message_at = now
    session.flush()
    # Inserted as a new lead's job is (the storage's way, on the connection): this transaction
    # is synchronous code shared with the storage, so there is no async ``enqueue`` here.
    job = {"lead_id": str(duplicate.id), "message_id": str(message.id), "duplicate": True}
    session.connection().execute(queue.INSERT_JOB, queue.job_row(PROCESS_LEAD, job))
    session.info[JOBS_ENQUEUED_KEY] = True  # wakes this process's worker after the commit
    audit.record(
        session,
        "lead.customer_message_added",
        business_id=duplicate.business_id,
        lead_id=duplicate.id,
        entity="message",
        entity_id=message.id,
        details={"submission_id": str(submission_id)},
    )
    # Versions of the message and the lead now, before the claim (the counter, then the claim:
    # the same lock order as a new lead's).
    sync_versions.assign_versions(session)


def _lead_row(
    form_id: uuid.UUID,
    business_id: uuid.UUID,
    data: SubmissionIn,
    clean: CleanSubmission,
    spam: list[str],
    suspect: list[str],
    submission_id: uuid.UUID,
    client_ip: str,
    now: datetime,
    *,
    held: bool = False,
) -> dict[str, Any]:
    """Every column of a new lead but its version."""
    return {
        "id": uuid.uuid4(),
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
        "spam_suspected": bool(spam or suspect) or held,
        "spam_reasons": [*spam, *suspect, *(["form_busy"] if held else [])],
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
    }


def _customer_message(
    business_id: uuid.UUID,
    lead_id: uuid.UUID,
    lead_message: str | None,
    clean: CleanSubmission,
    now: datetime,
) -> Message:
    """The customer's message as an ORM object (a returning customer's, added to the session)."""
    row = _customer_message_row(business_id, lead_id, lead_message, clean, now)
    return Message(**{key: value for key, value in row.items() if value is not None})


_MESSAGE_COLUMNS = [c.key for c in table_of(Message).columns]


def _customer_message_row(
    business_id: uuid.UUID,
    lead_id: uuid.UUID,
    lead_message: str | None,
    clean: CleanSubmission,
    now: datetime,
) -> dict[str, Any]:
    """The customer's words as a message's every column (no version yet); on an existing lead
    (``lead_message`` given) a new submission's service and preferred time are added to the
    text. A plain row: a new lead's message is inserted as a Core row, no ORM object needed."""
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
    return dict.fromkeys(_MESSAGE_COLUMNS) | {
        "id": uuid.uuid4(),
        "business_id": business_id,
        "lead_id": lead_id,
        "type": MessageType.CUSTOMER_MESSAGE.value,
        "direction": MessageDirection.INBOUND.value,
        "subject": None,
        "content": "\n\n".join(parts) or "(no message)",
        "attachments": [],
        "created_at": now,
    }

"""Storing a submission: limits, idempotency, duplicates and spam, then the ``process_lead`` job.

Everything here happens in the customer's request and one transaction; analysis and mail are
jobs, so the customer's answer never waits for the AI or a mail server.

This is the hottest write of the product, so it is written for few statements: one query reads
the form, both rate-limit windows and a possible open duplicate; a new lead is then stored with
the prebuilt Core statements of ``server.intake.statements`` and versions reserved up front
(``sync_versions.reserve_versions``) instead of the ORM's unit of work. It is synchronous code
run by ``Database.run_write``; a new lead is first tried without the ORM, its statements
straight on the driver (``server.rawsql``): on SQLite on the event loop
(``Database.run_raw_write``), on PostgreSQL in autocommit (``Database.run_autocommit``: the
intake query, then one statement).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server import audit, ratelimit, sync_versions
from server.businesses import repository as business_repo
from server.businesses.service import form_available
from server.config import Settings
from server.db import JOBS_ENQUEUED_KEY, Database
from server.errors import NotFound, RateLimited, ValidationFailed
from server.intake.statements import (
    CLAIM,
    INSERT_AUDIT,
    INSERT_HITS,
    INSERT_LEAD,
    INSERT_MESSAGE,
    INTAKE,
    PG_FIELDS,
    PG_NEW_LEAD,
)
from server.intake.validation import CleanSubmission, check, contact_signals, spam_signals
from server.jobs import queue
from server.models.base import table_of, utcnow
from server.models.business import Business, Form
from server.models.lead import LEAD_LOCK, Lead, Message
from server.rawsql import RawConnection
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


class _Repeat(Exception):
    """The same submission was stored by a request that committed first: undo this one."""

    def __init__(self, success_message: str) -> None:
        super().__init__("repeat submission")
        self.success_message = success_message


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
    target: Database | AsyncSession,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    *,
    client_ip: str,
    too_fast: bool = False,
) -> IntakeResult:
    """Store one submission durably: given the ``Database``, in its own transaction (committed
    when this returns); given a session, in the caller's transaction (the caller commits)."""
    args = (settings, slug, data, client_ip, too_fast)
    try:
        if isinstance(target, Database):
            # A new lead first without the ORM (SQLite: on the event loop; PostgreSQL through
            # asyncpg: one statement in autocommit); what that cannot store, or a database
            # reached through another driver, goes through ``_store``.
            done = None
            if target.is_sqlite:
                done = await target.run_raw_write(_store_directly, *args)
            elif target.is_asyncpg:
                done = await target.run_autocommit(_store_directly, *args)
            if done is not None:
                return done
            return await target.run_write(_store, *args)
        async with target.begin_nested():  # a repeat rolls back only its own rows
            return await target.run_sync(_store, *args)
    except _Repeat as repeat:
        return IntakeResult("repeat", repeat.success_message)


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


def _store(
    session: Session,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    client_ip: str,
    too_fast: bool,
) -> IntakeResult:
    """The submission in the caller's transaction (``run_write``, or a session's savepoint)."""
    plan = _check_and_read(session, settings, slug, data, client_ip, too_fast)
    if isinstance(plan, IntakeResult):
        return plan
    return _write(session, plan)


def _store_directly(
    raw: RawConnection,
    settings: Settings,
    slug: str,
    data: SubmissionIn,
    client_ip: str,
    too_fast: bool,
) -> IntakeResult | None:
    """The intake query and a new lead's rows on a ``RawConnection``, without SQLAlchemy's
    per-statement layer: on SQLite in the writer's transaction (``Database.run_raw_write``), on
    PostgreSQL in autocommit (``Database.run_autocommit``), where a new lead is one statement
    that commits by itself. ``None`` for what needs the ORM's transaction, which the caller
    then stores with ``_store``: a returning customer's submission (attaching is rare), and on
    PostgreSQL spam (several statements).

    In autocommit there are no ``BEGIN`` and ``COMMIT`` round trips, and the business's counter
    row is locked only while that one statement runs and commits, not while this process gets
    round to sending ``COMMIT`` (at 100 concurrent submits that wait, in a busy event loop, was
    most of the lock's hold time, and every submit of the business queues on that lock). The
    intake query takes no lock, and at READ COMMITTED each statement reads its own snapshot, so
    the checks are the same as in a transaction.
    """
    plan = _check_and_read(raw, settings, slug, data, client_ip, too_fast)
    if isinstance(plan, IntakeResult):
        return plan
    if plan.duplicate_id is not None:
        return None
    if (plan.spam or plan.held) and raw.dialect.name == "postgresql":
        return None
    return _write_new_lead(raw, plan)


def _check_and_read(
    executor: Session | Connection | RawConnection,
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


def _write(session: Session, plan: _Plan) -> IntakeResult:
    """Attach to the open lead, or store a new lead (spam included), in this transaction."""
    success, now, business_id = plan.success, plan.now, plan.business_id
    if plan.duplicate_id is not None:
        duplicate = session.get(Lead, plan.duplicate_id, with_for_update=LEAD_LOCK)
        if (
            duplicate is not None
            and duplicate.status not in _CLOSED
            and duplicate.created_at > now - DUPLICATE_WINDOW
        ):
            ratelimit.record_hits(session, plan.keys)
            if plan.suspect:
                duplicate.spam_suspected = True
                duplicate.spam_reasons = [*(duplicate.spam_reasons or []), *plan.suspect]
            _attach(session, duplicate, plan.clean, plan.submission_id, now)
            _claim(session, business_id, plan.submission_id, duplicate.id, "attached", now, success)
            return IntakeResult("attached", success, duplicate.id, business_id)
    return _write_new_lead(session, plan)


def _write_new_lead(target: Session | RawConnection, plan: _Plan) -> IntakeResult:
    """A new lead (spam included) with all of its rows: on PostgreSQL (but for spam, which
    queues no job) in one statement, else as Core statements. The versions moved and the job
    queued are recorded in ``target.info`` and announced after the commit."""
    rows = _new_lead_rows(plan)
    dialect = target.get_bind().dialect if isinstance(target, Session) else target.dialect
    if dialect.name == "postgresql" and rows.job is not None:
        head = _pg_insert_lead(target, plan, rows)
        target.info.setdefault(sync_versions.BUMPS_KEY, {})[plan.business_id] = head
        target.info[JOBS_ENQUEUED_KEY] = True
        return IntakeResult("stored", plan.success, rows.lead["id"], plan.business_id)
    return _insert_new_lead(target, plan, rows)


class _NewLeadRows(NamedTuple):
    """A new lead's columns, its first message's, the audit row's and (unless spam) the job's."""

    lead: dict[str, Any]
    message: dict[str, Any]
    received: dict[str, Any]
    job: dict[str, Any] | None


def _insert_new_lead(
    target: Session | RawConnection, plan: _Plan, rows: _NewLeadRows
) -> IntakeResult:
    """A new lead's rows as Core statements, on a session's connection or a ``RawConnection``
    (the ORM's execution layer, events and bulk-update checks cost more CPU than SQLite spent
    running these inserts)."""
    lead, message, received, job = rows
    success, now, business_id = plan.success, plan.now, plan.business_id
    outcome = "spam" if plan.spam else "held" if plan.held else "stored"
    conn = target.connection() if isinstance(target, Session) else target
    conn.execute(INSERT_HITS, [{"id": uuid.uuid4(), "key": k, "at": now} for k in plan.keys])
    version = sync_versions.reserve_versions(target, business_id, 2)  # lead and message
    inserted = conn.execute(INSERT_LEAD[conn.dialect.name], {**lead, "version": version})
    if not getattr(inserted, "rowcount", 0):
        raise _Repeat(success)
    conn.execute(INSERT_MESSAGE, {**message, "version": version + 1})
    conn.execute(INSERT_AUDIT, received)
    if job is not None:
        queue.enqueue_row(target, job)
    _claim(conn, business_id, plan.submission_id, lead["id"], outcome, now, success)
    return IntakeResult(outcome, success, lead["id"], business_id)


def _new_lead_rows(plan: _Plan) -> _NewLeadRows:
    """The rows of a new lead (spam included: no job) from the plan."""
    business_id = plan.business_id
    lead = _lead_row(
        plan.form_id,
        business_id,
        plan.data,
        plan.clean,
        plan.spam,
        plan.suspect,
        plan.submission_id,
        plan.client_ip,
        plan.now,
        held=plan.held,
    )
    message_row = _customer_message_row(business_id, lead["id"], None, plan.clean, plan.now)
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
    return _NewLeadRows(lead, message_row, received, job)


def _claim(
    executor: Session | Connection | RawConnection,
    business_id: uuid.UUID,
    submission_id: uuid.UUID,
    lead_id: uuid.UUID,
    outcome: str,
    now: datetime,
    success: str,
) -> None:
    """Record the submission id as the transaction's last row; a request with the same id that
    committed first makes this one a repeat, and everything it wrote is rolled back."""
    dialect = executor.get_bind().dialect if isinstance(executor, Session) else executor.dialect
    result = executor.execute(
        CLAIM[dialect.name],
        {
            "business_id": business_id,
            "submission_id": submission_id,
            "lead_id": lead_id,
            "outcome": outcome,
            "created_at": now,
        },
    )
    if not getattr(result, "rowcount", 0):
        raise _Repeat(success)


def _pg_insert_lead(executor: Session | RawConnection, plan: _Plan, rows: _NewLeadRows) -> int:
    """Run ``PG_NEW_LEAD`` (a lead with its job); the business's new head version
    (``_Repeat`` if nothing went in)."""
    lead, message, received, job = rows
    assert job is not None  # spam, which queues no job, is written as Core rows
    business_id = lead["business_id"]
    params: dict[str, Any] = dict.fromkeys(PG_FIELDS)
    params |= {
        "counter_business_id": business_id,
        "channel": sync_versions.PG_CHANNEL,
        "prefix": f"{business_id}:",
    }
    for prefix, values in (("l", lead), ("m", message), ("a", received), ("j", job)):
        params.update({f"{prefix}_{key}": value for key, value in values.items()})
    for n, key in enumerate(plan.keys, start=1):
        params.update({f"h{n}_id": uuid.uuid4(), f"h{n}_key": key, f"h{n}_at": plan.now})
    params.update(
        s_business_id=business_id,
        s_submission_id=plan.submission_id,
        s_lead_id=lead["id"],
        s_outcome="stored",
        s_created_at=plan.now,
    )
    claimed, head, _notified = executor.execute(PG_NEW_LEAD, params).one()
    if not claimed:
        raise _Repeat(plan.success)
    return int(head)


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
        "created_at": now,
    }

"""The ``process_lead`` job: analyse → store the draft → gate → reply or acknowledge → alert →
schedule the follow-up.

The AI call happens outside any transaction. Everything the job decides is written in one
transaction that also completes the job, after re-reading the lead: if the owner has replied or
marked it spam meanwhile, the human action wins and nothing automatic goes out.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.ai.base import AnalysisOutcome, LeadForAnalysis
from server.ai.fallback import fallback_outcome
from server.ai.reply_templates import first_name
from server.businesses import repository as business_repo
from server.context import ServerContext
from server.jobs import queue
from server.jobs.worker import JobError, JobRun
from server.models.base import utcnow
from server.models.business import Business, Form
from server.models.lead import LEAD_LOCK, AIAnalysis, FollowUp, Lead, Message
from server.models.ops import EmailEvent
from server.workflow import customer_mail
from server.workflow.gate import (
    MAX_AUTO_MAILS_PER_ADDRESS_PER_DAY,
    GateDecision,
    GateInput,
    decide,
)
from server.workflow.owner_alert import OwnerAlert
from shared.models.enums import (
    AnalysisStatus,
    BusinessStatus,
    EmailKind,
    EmailStatus,
    FollowUpStatus,
    GateReason,
    LeadStatus,
    MessageDirection,
    MessageType,
)

log = logging.getLogger(__name__)

PROCESS_LEAD = "process_lead"
REANALYSE_LEAD = "reanalyse_lead"
AI_JOB_ATTEMPTS = 3  # job attempts that wait for the AI before the acknowledgement goes out
REANALYSE_DELAY = timedelta(minutes=5)
ACK_QUIET_PERIOD = timedelta(hours=24)
HUMAN_STATUSES = {
    LeadStatus.SPAM.value,
    LeadStatus.LOST.value,
    LeadStatus.ARCHIVED.value,
    LeadStatus.BOOKED.value,
}


def _lead_query(*columns: Any) -> Any:
    """The lead, its business, its form's services and ``columns``, in one query built once."""
    services = business_repo.the_form(Form.services, business_id=Lead.business_id).scalar_subquery()
    return (
        select(Lead, Business, services, *columns)
        .join(Business, Business.id == Lead.business_id)
        .where(Lead.id == bindparam("lead_id", type_=Lead.id.type))
    )


# What the AI reads: also the text of the submission the job is about.
_SUBJECT = _lead_query(
    select(Message.content)
    .where(Message.id == bindparam("message_id", type_=Message.id.type))
    .scalar_subquery()
)
# What the decision reads, the lead locked (``LEAD_LOCK``): the services as they are now.
_DECISION = _lead_query().with_for_update(of=Lead, **LEAD_LOCK)


async def _read_subject(
    session: AsyncSession, lead_id: uuid.UUID, message_id: uuid.UUID | None
) -> tuple[str, LeadForAnalysis] | None:
    """The lead's status and what the AI reads of it (the later submission's text for a
    returning customer); None if the lead is gone."""
    row = (await session.execute(_SUBJECT, {"lead_id": lead_id, "message_id": message_id})).first()
    if row is None:
        return None
    lead, business, services, content = row
    text = lead.message
    if content and content != "(no message)":
        text = content
    return lead.status, LeadForAnalysis(
        business_name=business.name,
        industry=business.industry,
        services=list(services or []),
        facts=business.facts,
        customer_name=lead.customer_name,
        customer_email=lead.customer_email,
        customer_phone=lead.customer_phone,
        service_needed=lead.service_needed,
        preferred_time=lead.preferred_time,
        message=text,
        business_email=business.contact_email,
        business_phone=business.phone,
    )


async def analyse(ctx: ServerContext, subject: LeadForAnalysis) -> AnalysisOutcome:
    try:
        return await ctx.ai.analyse(subject)
    except Exception as error:  # a provider must not raise, but an outage must not drop a lead
        log.exception("AI provider %s raised", getattr(ctx.ai, "name", "?"))
        return await asyncio.to_thread(  # the built-in rules' CPU work stays off the loop
            fallback_outcome,
            subject,
            provider=getattr(ctx.ai, "name", "unknown"),
            model=getattr(ctx.ai, "model", "unknown"),
            prompt_version="unknown",
            error=f"{type(error).__name__}: {error}",
        )


def store_analysis(session: AsyncSession, lead: Lead, outcome: AnalysisOutcome) -> AIAnalysis:
    row = AIAnalysis(
        id=uuid.uuid4(),
        business_id=lead.business_id,
        lead_id=lead.id,
        provider=outcome.provider,
        model=outcome.model,
        prompt_version=outcome.prompt_version,
        status=outcome.status.value,
        raw_output=outcome.raw_output,
        parsed=outcome.analysis.model_dump(mode="json"),
        error=outcome.error,
        latency_ms=outcome.latency_ms,
        confidence_score=outcome.analysis.confidence_score,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def store_draft(session: AsyncSession, lead: Lead, outcome: AnalysisOutcome) -> Message | None:
    reply = outcome.analysis.suggested_reply.strip()
    if not reply:
        return None
    draft = Message(
        id=uuid.uuid4(),
        business_id=lead.business_id,
        lead_id=lead.id,
        type=MessageType.AI_DRAFT.value,
        direction=MessageDirection.INTERNAL.value,
        subject=None,
        content=reply,
        created_at=utcnow(),
    )
    session.add(draft)
    return draft


@dataclass(frozen=True)
class _LeadFacts:
    """What the gate and the follow-up need to know about a lead's history."""

    auto_emails_last_24h: int  # automatic AI replies to this address by this business
    auto_mails_to_address: int  # automatic mails to this address by every business, in 24 h
    answered: bool  # an acknowledgement or AI reply went out in the quiet period
    owner_replied: bool
    latest_customer_text: str | None
    follow_up_pending: bool


def _lead_facts_query() -> Any:
    """Built once with bound parameters (building it per lead cost more than running it)."""
    lead_id = bindparam("lead_id", type_=Lead.id.type)
    auto_emails = (
        select(func.count())
        .select_from(EmailEvent)
        .where(
            EmailEvent.business_id == bindparam("business_id", type_=Lead.business_id.type),
            func.lower(EmailEvent.to_address) == bindparam("address", type_=String()),
            EmailEvent.automatic.is_(True),
            EmailEvent.kind == EmailKind.AUTO_REPLY.value,
            EmailEvent.status != EmailStatus.FAILED.value,
            EmailEvent.created_at > bindparam("day_ago", type_=EmailEvent.created_at.type),
        )
        .scalar_subquery()
    )
    answered = (
        select(EmailEvent.id)
        .where(
            EmailEvent.lead_id == lead_id,
            EmailEvent.kind.in_([EmailKind.ACKNOWLEDGEMENT.value, EmailKind.AUTO_REPLY.value]),
            EmailEvent.created_at > bindparam("quiet_since", type_=EmailEvent.created_at.type),
        )
        .exists()
    )
    owner_replied = (
        select(Message.id)
        .where(Message.lead_id == lead_id, Message.type == MessageType.OWNER_REPLY.value)
        .exists()
    )
    latest_text = (
        select(Message.content)
        .where(Message.lead_id == lead_id, Message.type == MessageType.CUSTOMER_MESSAGE.value)
        .order_by(Message.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    pending = (
        select(FollowUp.id)
        .where(FollowUp.lead_id == lead_id, FollowUp.status == FollowUpStatus.SCHEDULED.value)
        .exists()
    )
    # The facts are about committed history (asked before this transaction writes anything):
    # no flush of the analysis and draft just added, so every row goes out once, batched.
    return select(
        auto_emails,
        answered,
        owner_replied,
        latest_text,
        pending,
        customer_mail.AUTO_MAILS_TO_ADDRESS,
    ).execution_options(autoflush=False)


_LEAD_FACTS = _lead_facts_query()


async def _lead_facts(session: AsyncSession, lead: Lead) -> _LeadFacts:
    """Every fact in one query (they were five round trips)."""
    now = utcnow()
    params = {
        "lead_id": lead.id,
        "business_id": lead.business_id,
        "address": (lead.customer_email or "").lower(),
        "day_ago": now - timedelta(hours=24),
        "quiet_since": now - ACK_QUIET_PERIOD,
    }
    row = (await session.execute(_LEAD_FACTS, params)).one()
    return _LeadFacts(
        auto_emails_last_24h=int(row[0]) if lead.customer_email else 0,
        answered=bool(row[1]),
        owner_replied=bool(row[2]),
        latest_customer_text=row[3],
        follow_up_pending=bool(row[4]),
        auto_mails_to_address=int(row[5]) if lead.customer_email else 0,
    )


def gate_input(
    settings_public_url: str,
    lead: Lead,
    business: Business,
    outcome: AnalysisOutcome | None,
    auto_emails: int,
    duplicate: bool,
    auto_mails_to_address: int = 0,
    services: Sequence[str] = (),
    latest_customer_text: str | None = None,
) -> GateInput:
    host = urlsplit(settings_public_url).hostname or ""
    return GateInput(
        smart_auto_reply=business.smart_auto_reply,
        owner_approval_required=business.owner_approval_required,
        business_active=business.status == BusinessStatus.ACTIVE.value,
        confidence_threshold=business.auto_reply_threshold,
        outcome=outcome,
        customer_email=lead.customer_email,
        auto_emails_last_24h=auto_emails,
        spam_suspected=lead.spam_suspected or lead.status == LeadStatus.SPAM.value,
        duplicate=duplicate,
        business_emails=(business.contact_email,),
        business_phones=(business.phone,) if business.phone else (),
        allowed_hosts=(host,) if host else (),
        auto_mails_to_address_today=auto_mails_to_address,
        # The reply may repeat the business's own details and services, and greet the customer
        # by name.
        profile=tuple(
            text
            for text in (
                business.name,
                business.phone,
                business.address,
                business.facts,
                business.contact_email,
                *services,
                first_name(lead.customer_name),
            )
            if text
        ),
        submitted=tuple(
            text
            for text in (
                lead.customer_name,
                lead.service_needed,
                lead.preferred_time,
                lead.message,
                latest_customer_text,
            )
            if text
        ),
    )


async def process_lead(ctx: ServerContext, run: JobRun) -> None:
    lead_id = uuid.UUID(run.payload["lead_id"])
    message_id = uuid.UUID(run.payload["message_id"]) if run.payload.get("message_id") else None
    duplicate = bool(run.payload.get("duplicate"))
    async with ctx.db.read_session() as session:
        read = await _read_subject(session, lead_id, message_id)
    if read is None or read[0] == LeadStatus.SPAM.value:
        async with ctx.db.session() as session:
            await run.complete(session)
        return

    subject = read[1]
    async with run.waiting():  # the AI call holds no database slot
        outcome = await analyse(ctx, subject)
    if outcome.status is not AnalysisStatus.OK and run.attempts < AI_JOB_ATTEMPTS:
        # An AI outage delays the lead (retried with backoff, or when a rate-limiting provider
        # said to); it never drops it.
        raise JobError(f"AI unavailable: {outcome.error}", retry_after_s=outcome.retry_after_s)

    # The decision is one write transaction, which also completes the job.
    async with ctx.db.session() as session:
        await _decide(session, ctx, run, lead_id, outcome, duplicate)


async def _decide(
    session: AsyncSession,
    ctx: ServerContext,
    run: JobRun,
    lead_id: uuid.UUID,
    outcome: AnalysisOutcome,
    duplicate: bool,
) -> None:
    """The second half of ``process_lead``: complete the job, re-read the lead, decide and act."""
    if not await run.complete(session):
        return  # our lease expired and another worker took the job over
    row = (await session.execute(_DECISION, {"lead_id": lead_id})).first()
    if row is None or row[0].status == LeadStatus.SPAM.value:
        return
    lead, business, services = row
    await decide_and_act(
        ctx, session, lead, business, outcome, duplicate=duplicate, services=services or []
    )
    if outcome.status is not AnalysisStatus.OK:
        await queue.enqueue(
            session,
            REANALYSE_LEAD,
            {"lead_id": str(lead.id)},
            run_at=utcnow() + REANALYSE_DELAY,
            max_attempts=20,
            dedupe_key=f"reanalyse:{lead.id}:{run.id}",
        )


async def decide_and_act(
    ctx: ServerContext,
    session: AsyncSession,
    lead: Lead,
    business: Business,
    outcome: AnalysisOutcome,
    *,
    duplicate: bool,
    services: Sequence[str] = (),
) -> GateDecision:
    settings = ctx.settings
    store_analysis(session, lead, outcome)
    draft = store_draft(session, lead, outcome)
    facts = await _lead_facts(session, lead)  # before this transaction writes anything
    auto_emails = facts.auto_emails_last_24h
    # A lead's automatic mail goes out once per quiet period. When two submissions of one
    # customer are processed at once and the later one's job finished first, this (earlier)
    # one is now the repeat: it must not send a second mail.
    answered = facts.answered
    decision = decide(
        gate_input(
            settings.public_url,
            lead,
            business,
            outcome,
            auto_emails,
            duplicate or answered,
            facts.auto_mails_to_address,
            services,
            facts.latest_customer_text,
        )
    )
    # Suspected spam (a link, address or phone number typed into the form, or the AI's verdict)
    # and an address at its daily cap get no customer mail at all, not even the acknowledgement.
    no_customer_mail = (
        GateReason.SPAM_SUSPECTED in decision.reasons
        or facts.auto_mails_to_address >= MAX_AUTO_MAILS_PER_ADDRESS_PER_DAY
    )
    human_acted = lead.status in HUMAN_STATUSES or facts.owner_replied
    reasons = [r.value for r in decision.reasons]
    lead.gate_allowed = decision.allowed and not human_acted
    lead.gate_reasons = reasons
    analysis = outcome.analysis
    lead.urgency = analysis.urgency.value
    audit.record(
        session,
        "lead.analysed",
        business_id=business.id,
        lead_id=lead.id,
        entity="lead",
        entity_id=lead.id,
        details={
            "provider": outcome.provider,
            "status": outcome.status.value,
            "intent": analysis.intent.value,
            "urgency": analysis.urgency.value,
            "gate_allowed": decision.allowed,
            "gate_reasons": reasons,
            "gate_details": decision.details,
        },
    )
    reply_sent = acknowledged = False
    if human_acted:
        audit.record(
            session,
            "lead.automation_skipped",
            business_id=business.id,
            lead_id=lead.id,
            details={"why": "owner_acted_first"},
        )
    elif decision.allowed and lead.customer_email:
        _sent_message, sent_event = await customer_mail.send_customer_mail(
            session,
            settings,
            kind=EmailKind.AUTO_REPLY,
            lead=lead,
            business=business,
            content=analysis.suggested_reply,
            automatic=True,
            services=services,
        )
        lead.auto_sent = True
        reply_sent = True
        if draft is not None:
            draft.email_event_id = sent_event.id  # sent: "Approve & Send" answers 409 now
        audit.record(session, "lead.auto_replied", business_id=business.id, lead_id=lead.id)
    elif lead.customer_email and not answered and not no_customer_mail:
        acknowledged = True
        await customer_mail.send_customer_mail(
            session,
            settings,
            kind=EmailKind.ACKNOWLEDGEMENT,
            lead=lead,
            business=business,
            automatic=True,
            services=services,
        )
        audit.record(
            session,
            "lead.acknowledged",
            business_id=business.id,
            lead_id=lead.id,
            details={"gate_reasons": reasons},
        )
    alert = OwnerAlert(
        message_text=facts.latest_customer_text or lead.message,
        summary=analysis.summary,
        urgency=analysis.urgency.value,
        reply=analysis.suggested_reply,
        auto_sent=reply_sent,
        acknowledged=acknowledged,
        reasons=reasons,
        blocked_topics=[topic.value for topic in analysis.blocked_topics],
        details=decision.details,
    )
    await customer_mail.alert_owner(session, settings, lead=lead, business=business, alert=alert)
    audit.record(session, "lead.owner_alerted", business_id=business.id, lead_id=lead.id)
    # The follow-up is also the owner's reminder; whether it may be mailed is decided when due.
    if (
        business.follow_up_enabled
        and lead.customer_email
        and not human_acted
        and not no_customer_mail
        and not facts.follow_up_pending
    ):
        schedule_follow_up(ctx, session, lead, business.follow_up_delay_h)
    return decision


def schedule_follow_up(
    ctx: ServerContext, session: AsyncSession, lead: Lead, delay_h: float | None = None
) -> None:
    """A follow-up ``delay_h`` hours from now (the business's delay; without one,
    ``LEADFLOW_FOLLOW_UP_DELAY_H``); the caller checked none is pending."""
    follow_up = FollowUp(
        id=uuid.uuid4(),
        business_id=lead.business_id,
        lead_id=lead.id,
        status=FollowUpStatus.SCHEDULED.value,
        scheduled_at=utcnow() + timedelta(hours=delay_h or ctx.settings.follow_up_delay_h),
    )
    session.add(follow_up)
    audit.record(
        session,
        "follow_up.scheduled",
        business_id=lead.business_id,
        lead_id=lead.id,
        entity="follow_up",
        entity_id=follow_up.id,
        new={"scheduled_at": follow_up.scheduled_at},
    )


async def reanalyse_lead(ctx: ServerContext, run: JobRun) -> None:
    """After an AI outage: analyse again for the owner's view; never emails anyone."""
    lead_id = uuid.UUID(run.payload["lead_id"])
    async with ctx.db.read_session() as session:
        read = await _read_subject(session, lead_id, None)
    if read is None:
        async with ctx.db.session() as session:
            await run.complete(session)
        return
    subject = read[1]
    async with run.waiting():
        outcome = await analyse(ctx, subject)
    if outcome.status is not AnalysisStatus.OK:
        raise JobError(
            f"AI still unavailable: {outcome.error}", retry_after_s=outcome.retry_after_s
        )
    async with ctx.db.session() as session:
        await _store_reanalysis(session, run, lead_id, outcome)


async def _store_reanalysis(
    session: AsyncSession, run: JobRun, lead_id: uuid.UUID, outcome: AnalysisOutcome
) -> None:
    if not await run.complete(session):
        return
    lead = await session.get(Lead, lead_id)
    if lead is not None:
        store_analysis(session, lead, outcome)
        store_draft(session, lead, outcome)
        lead.urgency = outcome.analysis.urgency.value
        audit.record(session, "lead.reanalysed", business_id=lead.business_id, lead_id=lead.id)

"""Platform-wide queries of leads, emails and audit rows, shared by the lists and the CSV exports.

Each ``*_query`` returns a column-only ``Select`` (never ORM entities, never email bodies), newest
first with the id as tie-breaker, so a list pages it with LIMIT/OFFSET and an export walks it by
keyset on ``(created_at, id)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.business import Business
from server.models.lead import Lead
from server.models.ops import AuditLog, EmailEvent
from server.pagination import PageParams
from shared.models.enums import EmailStatus, LeadStatus

RowQuery: TypeAlias = Select[*tuple[Any, ...]]
"""A select of several columns."""


@dataclass(frozen=True)
class LeadFilters:
    business_id: uuid.UUID | None = None
    status: LeadStatus | None = None
    q: str | None = None


@dataclass(frozen=True)
class EmailFilters:
    business_id: uuid.UUID | None = None
    status: EmailStatus | None = None
    kind: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class AuditFilters:
    business_id: uuid.UUID | None = None
    action: str | None = None
    actor: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _search(q: str | None, *columns: Any) -> Any | None:
    """Case-insensitive substring match over any of ``columns``; ``%`` and ``_`` match literally."""
    text = (q or "").strip()
    if not text:
        return None
    return or_(*(column.icontains(text, autoescape=True) for column in columns))


LEAD_COLUMNS = (
    Lead.id,
    Lead.created_at,
    Lead.business_id,
    Business.name.label("business_name"),
    Lead.customer_name,
    Lead.customer_email,
    Lead.customer_phone,
    Lead.service_needed,
    Lead.preferred_time,
    Lead.message,
    Lead.status,
    Lead.comm_status,
    Lead.source,
    Lead.spam_suspected,
    Lead.auto_sent,
    Lead.utm_source,
    Lead.utm_medium,
    Lead.utm_campaign,
    Lead.referrer,
    Lead.last_activity_at,
)


def leads_query(filters: LeadFilters) -> RowQuery:
    query = select(*LEAD_COLUMNS).join(Business, Business.id == Lead.business_id)
    if filters.business_id is not None:
        query = query.where(Lead.business_id == filters.business_id)
    if filters.status is not None:
        query = query.where(Lead.status == filters.status.value)
    match = _search(
        filters.q,
        Lead.customer_name,
        Lead.customer_email,
        Lead.customer_phone,
        Lead.service_needed,
        Lead.message,
    )
    if match is not None:
        query = query.where(match)
    return query.order_by(Lead.created_at.desc(), Lead.id.desc())


EMAIL_COLUMNS = (
    EmailEvent.id,
    EmailEvent.created_at,
    EmailEvent.business_id,
    Business.name.label("business_name"),
    EmailEvent.lead_id,
    EmailEvent.kind,
    EmailEvent.automatic,
    EmailEvent.status,
    EmailEvent.from_address,
    EmailEvent.to_address,
    EmailEvent.subject,
    EmailEvent.attempts,
    EmailEvent.provider,
    EmailEvent.provider_message_id,
    EmailEvent.error,
    EmailEvent.sent_at,
)


def emails_query(filters: EmailFilters) -> RowQuery:
    query = select(*EMAIL_COLUMNS).outerjoin(Business, Business.id == EmailEvent.business_id)
    if filters.business_id is not None:
        query = query.where(EmailEvent.business_id == filters.business_id)
    if filters.status is not None:
        query = query.where(EmailEvent.status == filters.status.value)
    if filters.kind is not None:
        query = query.where(EmailEvent.kind == filters.kind)
    match = _search(filters.q, EmailEvent.to_address, EmailEvent.subject)
    if match is not None:
        query = query.where(match)
    return query.order_by(EmailEvent.created_at.desc(), EmailEvent.id.desc())


AUDIT_COLUMNS = (
    AuditLog.id,
    AuditLog.created_at,
    AuditLog.actor,
    AuditLog.actor_user_id,
    AuditLog.action,
    AuditLog.business_id,
    Business.name.label("business_name"),
    AuditLog.lead_id,
    AuditLog.entity,
    AuditLog.entity_id,
    AuditLog.old_values,
    AuditLog.new_values,
    AuditLog.details,
)


def audit_query(filters: AuditFilters) -> RowQuery:
    query = select(*AUDIT_COLUMNS).outerjoin(Business, Business.id == AuditLog.business_id)
    if filters.business_id is not None:
        query = query.where(AuditLog.business_id == filters.business_id)
    if filters.action:
        query = query.where(AuditLog.action == filters.action.strip())
    actor = _search(filters.actor, AuditLog.actor)
    if actor is not None:
        query = query.where(actor)
    match = _search(filters.q, AuditLog.action, AuditLog.actor, AuditLog.entity, AuditLog.entity_id)
    if match is not None:
        query = query.where(match)
    if filters.since is not None:
        query = query.where(AuditLog.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditLog.created_at < filters.until)
    return query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


async def page(session: AsyncSession, query: RowQuery, paging: PageParams) -> tuple[list[Any], int]:
    """One page of ``query`` as row mappings, and the total count, both computed in the database."""
    total = (
        await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    rows = (await session.execute(query.limit(paging.limit).offset(paging.offset))).mappings()
    return list(rows), int(total)

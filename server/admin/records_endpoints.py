"""Admin routes over every tenant's records: leads, emails and the audit log, as pages and CSV."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from server.admin import records
from server.admin.csv_export import csv_response, record_export
from server.admin.records import AuditFilters, EmailFilters, LeadFilters
from server.auth.deps import SuperAdmin
from server.deps import Ctx, Session
from server.errors import ValidationFailed
from server.mail import service as mail_service
from server.models.business import Business
from server.models.lead import Lead
from server.models.ops import AuditLog, EmailEvent
from server.pagination import Paging
from shared.models.admin import AdminEmailOut, AdminLeadOut, AuditLogOut
from shared.models.common import Page
from shared.models.enums import EmailKind, EmailStatus, LeadStatus

router = APIRouter()

Search = Annotated[str | None, Query(max_length=200)]


def lead_filters(
    business_id: uuid.UUID | None = None, status: LeadStatus | None = None, q: Search = None
) -> LeadFilters:
    return LeadFilters(business_id=business_id, status=status, q=q)


def email_filters(
    business_id: uuid.UUID | None = None,
    status: EmailStatus | None = None,
    kind: EmailKind | None = None,
    q: Search = None,
) -> EmailFilters:
    return EmailFilters(
        business_id=business_id, status=status, kind=kind.value if kind else None, q=q
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def audit_filters(
    business_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    q: Search = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditFilters:
    """``since`` is inclusive, ``until`` exclusive; a time without offset is taken as UTC."""
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and since > until:
        raise ValidationFailed(
            details=[{"field": "since", "message": "since is after until", "type": "value_error"}]
        )
    return AuditFilters(
        business_id=business_id, action=action, actor=actor, q=q, since=since, until=until
    )


@router.get("/leads", response_model=Page[AdminLeadOut])
async def list_leads(
    admin: SuperAdmin,
    session: Session,
    paging: Paging,
    filters: Annotated[LeadFilters, Depends(lead_filters)],
) -> Page[AdminLeadOut]:
    """Leads of every business, newest first; ``q`` searches name, email, phone, service, text."""
    rows, total = await records.page(session, records.leads_query(filters), paging)
    return Page(
        items=[AdminLeadOut.model_validate(dict(r)) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/emails", response_model=Page[AdminEmailOut])
async def list_emails(
    admin: SuperAdmin,
    session: Session,
    paging: Paging,
    filters: Annotated[EmailFilters, Depends(email_filters)],
) -> Page[AdminEmailOut]:
    """Every email the platform wrote, newest first; ``q`` searches recipient and subject."""
    rows, total = await records.page(session, records.emails_query(filters), paging)
    return Page(
        items=[AdminEmailOut.model_validate(dict(r)) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/emails/{email_id}/resend", response_model=AdminEmailOut, status_code=201)
async def resend_email(email_id: uuid.UUID, admin: SuperAdmin, session: Session) -> AdminEmailOut:
    """Send a failed or bounced email again (a new row, queued); 409 for any other email."""
    new = await mail_service.resend(session, email_id, actor=admin, business_id=None)
    business = await session.get(Business, new.business_id) if new.business_id else None
    return AdminEmailOut.model_validate(
        {**_columns(new), "business_name": business.name if business else None}
    )


def _columns(event: EmailEvent) -> dict[str, Any]:
    return {
        name: getattr(event, name) for name in AdminEmailOut.model_fields if name != "business_name"
    }


@router.get("/audit-logs", response_model=Page[AuditLogOut])
async def list_audit_logs(
    admin: SuperAdmin,
    session: Session,
    paging: Paging,
    filters: Annotated[AuditFilters, Depends(audit_filters)],
) -> Page[AuditLogOut]:
    """The audit log, newest first; filter by action, business, actor, text and time range."""
    rows, total = await records.page(session, records.audit_query(filters), paging)
    return Page(
        items=[AuditLogOut.model_validate(dict(r)) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


LEAD_HEADER = (
    "id",
    "created_at",
    "business_id",
    "business_name",
    "customer_name",
    "customer_email",
    "customer_phone",
    "service_needed",
    "preferred_time",
    "status",
    "comm_status",
    "source",
    "spam_suspected",
    "auto_sent",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
    "message",
)
EMAIL_HEADER = (
    "id",
    "created_at",
    "business_id",
    "business_name",
    "lead_id",
    "kind",
    "automatic",
    "status",
    "from_address",
    "to_address",
    "subject",
    "attempts",
    "provider",
    "provider_message_id",
    "error",
    "sent_at",
)
AUDIT_HEADER = (
    "id",
    "created_at",
    "actor",
    "actor_user_id",
    "action",
    "business_id",
    "business_name",
    "lead_id",
    "entity",
    "entity_id",
    "old_values",
    "new_values",
    "details",
)


def _by_header(header: tuple[str, ...]) -> Any:
    def values(row: Any) -> list[Any]:
        mapping = row._mapping
        return [mapping[column] for column in header]

    return values


@router.get("/leads/export", response_class=StreamingResponse)
async def export_leads(
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
    filters: Annotated[LeadFilters, Depends(lead_filters)],
) -> StreamingResponse:
    """The filtered leads as CSV (streamed)."""
    record_export(session, admin, "leads", filters)
    return csv_response(
        ctx,
        records.leads_query(filters),
        Lead,
        name="leads",
        header=LEAD_HEADER,
        row_values=_by_header(LEAD_HEADER),
    )


@router.get("/emails/export", response_class=StreamingResponse)
async def export_emails(
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
    filters: Annotated[EmailFilters, Depends(email_filters)],
) -> StreamingResponse:
    """The filtered emails as CSV (streamed, without bodies)."""
    record_export(session, admin, "emails", filters)
    return csv_response(
        ctx,
        records.emails_query(filters),
        EmailEvent,
        name="emails",
        header=EMAIL_HEADER,
        row_values=_by_header(EMAIL_HEADER),
    )


@router.get("/audit-logs/export", response_class=StreamingResponse)
async def export_audit_logs(
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
    filters: Annotated[AuditFilters, Depends(audit_filters)],
) -> StreamingResponse:
    """The filtered audit log as CSV (streamed); old/new values as JSON text."""
    record_export(session, admin, "audit-logs", filters)
    return csv_response(
        ctx,
        records.audit_query(filters),
        AuditLog,
        name="audit-logs",
        header=AUDIT_HEADER,
        row_values=_by_header(AUDIT_HEADER),
    )

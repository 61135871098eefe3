"""Wire models of the super-admin console (CONTRACT §8)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.models.enums import (
    BusinessStatus,
    CommStatus,
    EmailKind,
    EmailStatus,
    LeadStatus,
    MemberRole,
)
from shared.models.inbound import InboundHealth
from shared.models.leads import DailyCount


class AccountStatus(StrEnum):
    """``invited``: no password yet; ``deactivated``: the user or the membership is switched off."""

    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class AdminKpis(BaseModel):
    businesses_total: int
    businesses_active: int
    leads_total: int
    leads_today: int
    """Leads since 00:00 UTC today."""
    leads_this_week: int
    """Leads since Monday 00:00 UTC."""
    emails_sent: int
    emails_failed: int
    emails_queued: int
    delivery_rate: float | None
    """sent / (sent + failed), ``None`` before any delivery was settled."""
    ai_replies: int
    acknowledgements: int


class AdminMetrics(BaseModel):
    kpis: AdminKpis
    daily_leads: list[DailyCount]


class OwnerAccountOut(BaseModel):
    """One membership of an owner or staff account, with the state of the account."""

    user_id: uuid.UUID
    email: str
    full_name: str
    role: MemberRole
    status: AccountStatus
    business_id: uuid.UUID
    business_name: str
    business_status: BusinessStatus
    last_login_at: datetime | None
    created_at: datetime


class AdminLeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    business_name: str
    customer_name: str
    customer_email: str | None
    customer_phone: str | None
    service_needed: str | None
    preferred_time: str | None
    message: str
    status: LeadStatus
    comm_status: CommStatus
    source: str
    spam_suspected: bool
    auto_sent: bool
    created_at: datetime
    last_activity_at: datetime


class AdminEmailOut(BaseModel):
    """An email row without its bodies."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID | None
    business_name: str | None
    lead_id: uuid.UUID | None
    kind: EmailKind | str
    automatic: bool
    status: EmailStatus
    from_address: str
    to_address: str
    subject: str
    attempts: int
    provider: str | None
    provider_message_id: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    actor: str
    actor_user_id: uuid.UUID | None
    action: str
    business_id: uuid.UUID | None
    business_name: str | None
    lead_id: uuid.UUID | None
    entity: str | None
    entity_id: str | None
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    details: dict[str, Any] | None


class AutomationOut(BaseModel):
    business_id: uuid.UUID
    business_name: str
    business_status: BusinessStatus
    smart_auto_reply: bool
    owner_approval_required: bool
    auto_reply_threshold: float
    form_active: bool | None
    """``None`` when the business has no form."""
    lead_count: int


class AutomationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smart_auto_reply: bool | None = None
    owner_approval_required: bool | None = None
    auto_reply_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    form_active: bool | None = None


class LastAnalysis(BaseModel):
    at: datetime
    status: str
    provider: str
    model: str
    latency_ms: int
    error: str | None


class AIHealth(BaseModel):
    provider: str
    model: str
    configured: bool
    last_analysis: LastAnalysis | None
    last_ok: bool | None
    avg_latency_ms_24h: float | None


class LastDelivery(BaseModel):
    at: datetime
    status: str
    provider: str | None
    error: str | None


class EmailHealth(BaseModel):
    provider: str
    configured: bool
    last_delivery: LastDelivery | None
    last_ok: bool | None
    queued: int


class DeadJob(BaseModel):
    """A job that failed for good (a permanent error, or its last attempt), kept with its error."""

    id: uuid.UUID
    kind: str
    attempts: int
    max_attempts: int
    last_error: str | None
    finished_at: datetime | None


class QueueHealth(BaseModel):
    queued: int
    running: int
    failed: int
    due: int
    oldest_due_age_s: float | None
    dead: list[DeadJob] = Field(default_factory=list)  # the latest, newest first


class WorkerOut(BaseModel):
    worker_id: str
    started_at: datetime
    seen_at: datetime
    age_s: float
    alive: bool


class WorkersHealth(BaseModel):
    alive: int
    latest_seen_at: datetime | None
    workers: list[WorkerOut]


class DatabaseHealth(BaseModel):
    kind: str
    head_revision: str | None
    current_revision: str | None
    up_to_date: bool


class PlatformTotals(BaseModel):
    businesses: int
    users: int
    leads: int
    emails: int
    audit_logs: int


class PlatformHealth(BaseModel):
    checked_at: datetime
    env: str
    public_url: str
    database: DatabaseHealth
    ai: AIHealth
    email: EmailHealth
    queue: QueueHealth
    workers: WorkersHealth
    totals: PlatformTotals
    inbound: InboundHealth | None = None

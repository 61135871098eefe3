"""Wire models of leads, messages, follow-ups and analyses (CONTRACT §5–§6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.common import SingleLine
from shared.models.enums import (
    AnalysisStatus,
    BlockedTopic,
    CommStatus,
    FollowUpState,
    FollowUpStatus,
    GateReason,
    Intent,
    LeadStatus,
    MessageDirection,
    MessageType,
    RiskLevel,
    Urgency,
)

Utm = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class SubmissionIn(BaseModel):
    """A public form submission (CONTRACT §5); limits per the intake rules."""

    model_config = ConfigDict(extra="ignore")

    customer_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=160), SingleLine
    ]
    customer_email: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None
    ) = None
    customer_phone: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None
    ) = None
    service_needed: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=180), SingleLine] | None
    ) = None
    preferred_time: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=180), SingleLine] | None
    ) = None
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    submission_id: uuid.UUID | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = None
    utm_source: Utm | None = None
    utm_medium: Utm | None = None
    utm_campaign: Utm | None = None
    utm_term: Utm | None = None
    utm_content: Utm | None = None
    referrer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class SubmitResponse(BaseModel):
    status: str = "received"
    message: str


class AIOut(BaseModel):
    summary: str
    urgency: Urgency
    intent: Intent
    suggested_reply: str
    next_step: str
    tags: list[str]
    risk_level: RiskLevel
    confidence_score: float
    blocked_topics: list[BlockedTopic]
    auto_send_allowed: bool
    spam: bool = False
    provider: str
    model: str
    status: AnalysisStatus
    created_at: datetime | None = None


class GateOut(BaseModel):
    allowed: bool
    reasons: list[GateReason]


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    customer_name: str
    customer_email: str | None
    customer_phone: str | None
    service_needed: str | None
    preferred_time: str | None
    message: str
    status: LeadStatus
    comm_status: CommStatus
    source: str
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    spam_suspected: bool = False
    duplicate_of_id: uuid.UUID | None = None
    urgency: Urgency | None = None
    auto_sent: bool = False
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    version: int


class LeadDetail(LeadOut):
    ai: AIOut | None = None
    gate: GateOut | None = None


class StatusUpdate(BaseModel):
    status: LeadStatus


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lead_id: uuid.UUID
    type: MessageType
    direction: MessageDirection
    subject: str | None
    content: str
    client_id: str | None = None
    email_status: str | None = None
    created_at: datetime
    version: int


class MessageIn(BaseModel):
    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)
    ]
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class NoteIn(BaseModel):
    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)
    ]


class ApproveDraftIn(BaseModel):
    content: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
        | None
    ) = None
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lead_id: uuid.UUID
    status: FollowUpStatus
    state: FollowUpState
    scheduled_at: datetime
    sent_at: datetime | None
    canceled_at: datetime | None
    error: str | None = None  # why a follow-up was not sent, in words
    customer_name: str | None = None
    service_needed: str | None = None
    version: int


class FollowUpUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: FollowUpStatus | None = None
    scheduled_at: datetime | None = None


class TimelineEvent(BaseModel):
    at: datetime
    kind: str
    text: str
    actor: str | None = None
    details: dict[str, object] | None = None


class MetricsKpis(BaseModel):
    new_leads: int
    follow_ups_due: int
    booked: int
    total_leads: int
    ai_replied: int
    awaiting_approval: int


class DailyCount(BaseModel):
    date: str
    count: int


class OwnerMetrics(BaseModel):
    kpis: MetricsKpis
    daily: list[DailyCount] = Field(min_length=0)

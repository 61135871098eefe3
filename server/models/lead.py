"""Leads and what hangs off them: messages, follow-ups and AI analyses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, IdMixin, JSONType, SyncedMixin, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from server.models.business import Business, Form
    from server.models.ops import EmailEvent
    from server.models.user import User


# How a transaction locks a lead it is about to change: FOR NO KEY UPDATE (SQLAlchemy's
# ``key_share``). Other transactions may still insert the lead's messages and follow-ups and
# stamp their versions (each foreign-key check takes KEY SHARE on the lead) while holding the
# business's sync counter; a plain FOR UPDATE would make them wait for this transaction, which
# needs that counter next: a deadlock on PostgreSQL. ``session.get(Lead, id,
# with_for_update=LEAD_LOCK)``, or in a query
# ``.with_for_update(key_share=LEAD_LOCK["key_share"])``.
LEAD_LOCK: dict[str, bool] = {"key_share": True}


class Lead(IdMixin, TimestampMixin, SyncedMixin, Base):
    __tablename__ = "leads"
    __sync_entity__ = "lead"
    __table_args__ = (
        Index(None, "business_id", "status", "created_at"),
        Index(None, "business_id", "last_activity_at"),
        Index(None, "business_id", "created_at"),
        Index(None, "business_id", "version"),
        Index(None, "business_id", "email_normalized"),
        Index(None, "business_id", "phone_normalized"),
        Index(None, "client_ip", "created_at"),
        # A unique index, not a constraint: adding a constraint would make SQLite rebuild the
        # table, and with it drop the search triggers of migration 0003.
        Index(None, "reply_token", unique=True),
        UniqueConstraint("business_id", "submission_id"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    form_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("forms.id", ondelete="SET NULL"))
    submission_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    customer_name: Mapped[str] = mapped_column(String(160), nullable=False)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    email_normalized: Mapped[str | None] = mapped_column(String(320))
    phone_normalized: Mapped[str | None] = mapped_column(String(40))
    service_needed: Mapped[str | None] = mapped_column(String(180))
    preferred_time: Mapped[str | None] = mapped_column(String(180))
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="form")
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    referrer: Mapped[str | None] = mapped_column(String(500))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    spam_suspected: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    spam_reasons: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL")
    )
    comm_status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    urgency: Mapped[str | None] = mapped_column(String(8))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gate_allowed: Mapped[bool | None] = mapped_column(Boolean)
    gate_reasons: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    auto_sent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret of the lead's reply address ``reply+<token>@<inbound domain>`` (CONTRACT §10),
    # made when the first mail to the customer is composed with inbound configured.
    reply_token: Mapped[str | None] = mapped_column(String(40))

    business: Mapped[Business] = relationship(lazy="raise")
    form: Mapped[Form | None] = relationship(lazy="raise")
    duplicate_of: Mapped[Lead | None] = relationship(
        lazy="raise", foreign_keys=[duplicate_of_id], remote_side="Lead.id"
    )


class Message(IdMixin, SyncedMixin, Base):
    __tablename__ = "messages"
    __sync_entity__ = "message"
    __table_args__ = (
        Index(None, "lead_id", "created_at"),
        Index(None, "business_id", "version"),
        Index(None, "business_id", "type", "created_at"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(24), nullable=False)
    direction: Mapped[str] = mapped_column(String(10), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text, nullable=False)
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    client_id: Mapped[str | None] = mapped_column(String(64))
    email_event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_events.id", ondelete="SET NULL")
    )
    email_message_id: Mapped[str | None] = mapped_column(String(300))
    email_status: Mapped[str | None] = mapped_column(String(16))
    # ``[{id, filename, content_type, size}]`` of an inbound reply's files, as the wire lists
    # them (plain JSON, not JSONB: the pull writes it as stored, keys in this order).
    attachments: Mapped[list[Any]] = mapped_column(
        JSON, nullable=False, default=list, server_default="[]"
    )
    # The address an inbound reply came from (shown when it is not the lead's own).
    sender: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    business: Mapped[Business] = relationship(lazy="raise")
    lead: Mapped[Lead] = relationship(lazy="raise")
    email_event: Mapped[EmailEvent | None] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")


class FollowUp(IdMixin, TimestampMixin, SyncedMixin, Base):
    __tablename__ = "follow_ups"
    __sync_entity__ = "follow_up"
    __table_args__ = (
        Index(None, "status", "scheduled_at"),
        Index(None, "business_id", "status", "scheduled_at"),
        Index(None, "business_id", "version"),
        Index(None, "lead_id"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)

    business: Mapped[Business] = relationship(lazy="raise")
    lead: Mapped[Lead] = relationship(lazy="raise")


class AIAnalysis(IdMixin, SyncedMixin, Base):
    __tablename__ = "ai_analyses"
    __sync_entity__ = "ai_analysis"
    __table_args__ = (Index(None, "lead_id", "created_at"), Index(None, "business_id", "version"))

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
    )
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    model: Mapped[str] = mapped_column(String(120), nullable=False)
    prompt_version: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    raw_output: Mapped[str | None] = mapped_column(Text)
    parsed: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    confidence_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    business: Mapped[Business] = relationship(lazy="raise")
    lead: Mapped[Lead] = relationship(lazy="raise")


class Submission(Base):
    """The idempotency ledger of form submits: one row per ``submission_id`` of a business."""

    __tablename__ = "form_submissions"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    submission_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    business: Mapped[Business] = relationship(lazy="raise")
    lead: Mapped[Lead | None] = relationship(lazy="raise")

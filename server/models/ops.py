"""Operational records: email deliveries, the audit log and the job queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, IdMixin, JSONType, UTCDateTime

if TYPE_CHECKING:
    from server.models.business import Business
    from server.models.lead import Lead
    from server.models.user import User


class EmailEvent(IdMixin, Base):
    """One email: written with its cause, then delivered by a ``deliver_email`` job."""

    __tablename__ = "email_events"
    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "status", "created_at"),
        Index(None, "business_id", "created_at"),
        Index(None, "lead_id"),
        Index(None, "to_address", "business_id", "created_at"),
    )

    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    automatic: Mapped[bool] = mapped_column(nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    from_address: Mapped[str] = mapped_column(String(400), nullable=False)
    to_address: Mapped[str] = mapped_column(String(320), nullable=False)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str] = mapped_column(Text, nullable=False)
    message_id: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    references: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set, committed, just before the provider is called: another worker does not send it
    # meanwhile (see ``server.mail.service.deliver_email``).
    sending_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    business: Mapped[Business | None] = relationship(lazy="raise")
    lead: Mapped[Lead | None] = relationship(lazy="raise")


# The gate's counts of automatic mail to an address (in any case) in the last day.
Index(
    "ix_email_events_to_address_lower_created_at",
    func.lower(EmailEvent.to_address),
    EmailEvent.created_at,
)


class AuditLog(IdMixin, Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "business_id", "created_at"),
        Index(None, "action", "created_at"),
        Index(None, "lead_id"),
    )

    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(320), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    actor_user: Mapped[User | None] = relationship(lazy="raise")
    business: Mapped[Business | None] = relationship(lazy="raise")
    lead: Mapped[Lead | None] = relationship(lazy="raise")


class Job(IdMixin, Base):
    """A unit of background work: claimed with a lease, retried with backoff up to a limit."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "status", "run_at"), Index(None, "kind", "status"))

    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=8)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

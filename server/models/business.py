"""Businesses (the tenants), their members and their public form."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, IdMixin, JSONType, SyncedMixin, TimestampMixin

if TYPE_CHECKING:
    from server.models.user import User


class Business(IdMixin, TimestampMixin, SyncedMixin, Base):
    __tablename__ = "businesses"
    __sync_entity__ = "business"
    __table_args__ = (Index(None, "status", "created_at"),)

    name: Mapped[str] = mapped_column(String(160), nullable=False)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    industry: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str] = mapped_column(String(320), nullable=False)
    address: Mapped[str | None] = mapped_column(String(400))
    logo_path: Mapped[str | None] = mapped_column(String(400))
    brand_color: Mapped[str] = mapped_column(String(7), nullable=False, default="#2563eb")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    smart_auto_reply: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    owner_approval_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    auto_reply_threshold: Mapped[float] = mapped_column(Float, nullable=False, default=0.75)
    facts: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    # The automatic follow-up: on or off, and its delay (hours; None: LEADFLOW_FOLLOW_UP_DELAY_H).
    follow_up_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    follow_up_delay_h: Mapped[float | None] = mapped_column(Float)
    # Whether the owner is mailed "Reply from <customer>" when a customer's reply arrives.
    reply_alerts: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )

    @property
    def business_id(self) -> uuid.UUID:
        """A business is its own tenant: its sync rows are versioned in its own sequence."""
        return self.id


class BusinessMember(IdMixin, TimestampMixin, Base):
    __tablename__ = "business_members"
    __table_args__ = (UniqueConstraint("business_id", "user_id"), Index(None, "user_id"))

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    # Many-to-one links order inserts in a flush (parents first); never loaded implicitly.
    business: Mapped[Business] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")


class Form(IdMixin, TimestampMixin, SyncedMixin, Base):
    __tablename__ = "forms"
    __sync_entity__ = "form"
    __table_args__ = (Index(None, "business_id", "version"),)

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    success_message: Mapped[str] = mapped_column(Text, nullable=False)
    services: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    business: Mapped[Business] = relationship(lazy="raise")

"""Inbound mail (CONTRACT §10): every arriving mail, the attachments of stored replies, and the
health of each inbound channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, IdMixin, UTCDateTime
from server.models.business import Business

if TYPE_CHECKING:
    from server.models.lead import Lead, Message


class InboundMail(IdMixin, Base):
    """One arriving mail, kept whatever it turned out to be; ``dedupe_key`` (its Message-ID, or
    a digest of its bytes when it has none) is unique, so any channel stores it once."""

    __tablename__ = "inbound_mails"
    __table_args__ = (
        Index(None, "outcome", "received_at"),
        Index(None, "business_id", "outcome", "received_at"),
    )

    dedupe_key: Mapped[str] = mapped_column(String(330), unique=True, nullable=False)
    message_id: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    matched_by: Mapped[str | None] = mapped_column(String(16))
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    thread_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    from_address: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    from_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    recipients: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subject: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    note: Mapped[str | None] = mapped_column(Text)
    raw_path: Mapped[str] = mapped_column(String(300), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    business: Mapped[Business | None] = relationship(lazy="raise")
    lead: Mapped[Lead | None] = relationship(lazy="raise")
    # Set as an object so that the flush inserts the thread message before this row.
    thread_message: Mapped[Message | None] = relationship(lazy="raise")


class MessageAttachment(IdMixin, Base):
    """A file that came with an inbound reply, stored under the data dir (``path`` is relative
    to it); the message lists it in its ``attachments``."""

    __tablename__ = "message_attachments"
    __table_args__ = (Index(None, "message_id"), Index(None, "lead_id"))

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
    )
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), nullable=False
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    path: Mapped[str] = mapped_column(String(300), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    message: Mapped[Message] = relationship(lazy="raise")


class InboundChannel(Base):
    """The health of one inbound channel (``imap``, ``webhook``) for the admin's health page."""

    __tablename__ = "inbound_channels"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_mail_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backlog: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class RevokedReplyToken(Base):
    """A reply address the owner revoked (``addresses.rotate``): mail to it no longer finds its
    lead by token; only the lead's own customer, from the lead's address, still reaches it."""

    __tablename__ = "revoked_reply_tokens"
    __table_args__ = (Index(None, "lead_id"),)

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
    )
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


# The sender rule finds the businesses a mail was addressed to by ``lower(contact_email)``;
# without this index that was a scan of every business for each mail without a reply token.
Index("ix_businesses_contact_email_lower", func.lower(Business.contact_email))

"""Wire models of inbound mail (CONTRACT §10 and the admin's unmatched list, §8)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from shared.models.enums import InboundOutcome


class InboundReceived(BaseModel):
    """The webhook's answer: what the mail turned out to be and the lead it reached."""

    status: InboundOutcome
    lead_id: uuid.UUID | None = None


class UnmatchedMailOut(BaseModel):
    id: uuid.UUID
    received_at: datetime
    channel: str
    from_address: str
    from_name: str
    recipients: str
    subject: str
    text: str
    business_id: uuid.UUID | None = None
    business_name: str | None = None
    note: str | None = None  # why it matched no lead, when known (e.g. a revoked address)


class ReplyAddressOut(BaseModel):
    """The lead's new reply address, and the one just revoked (``None`` if it had none)."""

    reply_address: str
    revoked_address: str | None = None


class AttachMailIn(BaseModel):
    lead_id: uuid.UUID


class InboundChannelHealth(BaseModel):
    """One inbound channel on the admin's health page."""

    name: str
    configured: bool
    last_poll_at: datetime | None = None
    last_mail_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    backlog: int = 0
    processed: int = 0


class InboundHealth(BaseModel):
    enabled: bool
    domain: str | None = None
    unmatched: int = 0
    channels: list[InboundChannelHealth]

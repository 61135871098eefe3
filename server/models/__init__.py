"""ORM classes, one module per aggregate; importing this package registers them all."""

from server.models.base import Base
from server.models.business import Business, BusinessMember, Form
from server.models.inbound import (
    InboundChannel,
    InboundMail,
    MessageAttachment,
    RevokedReplyToken,
)
from server.models.lead import AIAnalysis, FollowUp, Lead, Message, Submission
from server.models.ops import AuditLog, EmailEvent, Job, WorkerHeartbeat
from server.models.sync import AppliedMutation, SyncCounter, SyncTombstone
from server.models.user import Invite, RateLimitHit, RefreshToken, User

SYNCED_MODELS = (Lead, Message, FollowUp, AIAnalysis, Business, Form)

__all__ = [
    "SYNCED_MODELS",
    "AIAnalysis",
    "AppliedMutation",
    "AuditLog",
    "Base",
    "Business",
    "BusinessMember",
    "EmailEvent",
    "FollowUp",
    "Form",
    "InboundChannel",
    "InboundMail",
    "Invite",
    "Job",
    "Lead",
    "Message",
    "MessageAttachment",
    "RateLimitHit",
    "RefreshToken",
    "RevokedReplyToken",
    "Submission",
    "SyncCounter",
    "SyncTombstone",
    "User",
    "WorkerHeartbeat",
]

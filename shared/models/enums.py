"""The vocabularies of CONTRACT.md, one ``StrEnum`` each."""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    SUPER_ADMIN = "super_admin"
    BUSINESS_OWNER = "business_owner"
    STAFF = "staff"


class MemberRole(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class BusinessStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    BOOKED = "booked"
    FOLLOW_UP = "follow_up"
    LOST = "lost"
    ARCHIVED = "archived"
    SPAM = "spam"


CLOSED_LEAD_STATUSES = frozenset({LeadStatus.LOST, LeadStatus.ARCHIVED, LeadStatus.SPAM})


class MessageType(StrEnum):
    CUSTOMER_MESSAGE = "customer_message"
    ACKNOWLEDGEMENT = "acknowledgement"
    AUTO_REPLY = "auto_reply"
    AI_DRAFT = "ai_draft"
    OWNER_REPLY = "owner_reply"
    FOLLOW_UP = "follow_up"
    NOTE = "note"


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class CommStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    AI_REPLIED = "ai_replied"
    OWNER_REPLIED = "owner_replied"
    CUSTOMER_REPLIED = "customer_replied"


# What an owner reads for each ``comm_status`` (desktop lists, filters and the admin console).
COMM_STATUS_LABELS: dict[CommStatus, str] = {
    CommStatus.NEW: "New",
    CommStatus.ACKNOWLEDGED: "Acknowledged",
    CommStatus.AI_REPLIED: "AI replied",
    CommStatus.OWNER_REPLIED: "Replied",
    CommStatus.CUSTOMER_REPLIED: "Customer replied",
}


class Urgency(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Intent(StrEnum):
    QUOTE_REQUEST = "quote_request"
    BOOKING_REQUEST = "booking_request"
    QUESTION = "question"
    COMPLAINT = "complaint"
    CANCELLATION = "cancellation"
    FOLLOW_UP = "follow_up"
    JOB_APPLICATION = "job_application"
    SALES_PITCH = "sales_pitch"
    SPAM = "spam"
    OTHER = "other"


class BlockedTopic(StrEnum):
    PRICE_COMMITMENT = "price_commitment"
    BOOKING_CONFIRMATION = "booking_confirmation"
    AVAILABILITY_PROMISE = "availability_promise"
    REFUND_OR_DISCOUNT = "refund_or_discount"
    LEGAL_ADVICE = "legal_advice"
    MEDICAL_ADVICE = "medical_advice"
    FINANCIAL_ADVICE = "financial_advice"


class AnalysisStatus(StrEnum):
    OK = "ok"
    FALLBACK = "fallback"


class GateReason(StrEnum):
    SMART_AUTO_REPLY_DISABLED = "smart_auto_reply_disabled"
    OWNER_APPROVAL_REQUIRED = "owner_approval_required"
    BUSINESS_NOT_ACTIVE = "business_not_active"
    AI_UNAVAILABLE = "ai_unavailable"
    AI_FLAGGED_UNSAFE = "ai_flagged_unsafe"
    RISK_NOT_LOW = "risk_not_low"
    LOW_CONFIDENCE = "low_confidence"
    BLOCKED_TOPICS = "blocked_topics"
    REPLY_CONTENT_BLOCKED = "reply_content_blocked"
    NO_CUSTOMER_EMAIL = "no_customer_email"
    REPLY_LIMIT_REACHED = "reply_limit_reached"
    SPAM_SUSPECTED = "spam_suspected"
    DUPLICATE_LEAD = "duplicate_lead"


class FollowUpStatus(StrEnum):
    """Stored status of a follow-up; ``due`` and ``overdue`` are computed from ``scheduled_at``."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELED = "canceled"
    FAILED = "failed"


class FollowUpState(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELED = "canceled"
    FAILED = "failed"


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


class EmailKind(StrEnum):
    AUTO_REPLY = "auto_reply"
    ACKNOWLEDGEMENT = "acknowledgement"
    OWNER_REPLY = "owner_reply"
    FOLLOW_UP = "follow_up"
    OWNER_ALERT = "owner_alert"
    REPLY_ALERT = "reply_alert"
    INVITE = "invite"
    PASSWORD_RESET = "password_reset"


class SyncEntity(StrEnum):
    LEAD = "lead"
    MESSAGE = "message"
    FOLLOW_UP = "follow_up"
    AI_ANALYSIS = "ai_analysis"
    BUSINESS = "business"
    FORM = "form"


class MutationType(StrEnum):
    REPLY = "reply"
    APPROVE_DRAFT = "approve_draft"
    SET_STATUS = "set_status"
    ADD_NOTE = "add_note"
    UPDATE_FOLLOW_UP = "update_follow_up"


class MutationStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class InboundOutcome(StrEnum):
    """What an arriving mail turned out to be (CONTRACT §10, the webhook's ``status``)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


class InboundMatch(StrEnum):
    """How an arriving mail found its lead, in the order they are tried."""

    TOKEN = "token"
    THREAD = "thread"
    SENDER = "sender"
    ADMIN = "admin"

"""The vocabularies of CONTRACT.md, one ``StrEnum`` each, and the one human label of every value.

Owners see labels, never the codes: ``Urgency.HIGH.label`` is "High". The desktop app and the mails
both read them from here, so a value reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

# Keyed by (vocabulary, value): members are strings, so ``LeadStatus.NEW == CommStatus.NEW``
# and a dict keyed by the members would let one vocabulary's label replace another's.
_LABELS: dict[tuple[type, str], str] = {}


def _labels(mapping: Mapping[StrEnum, str]) -> None:
    """Registers the labels of one vocabulary (a test checks that every value has one)."""
    _LABELS.update({(type(member), member.value): text for member, text in mapping.items()})


class Vocabulary(StrEnum):
    """A contract vocabulary whose values have a human label."""

    @property
    def label(self) -> str:
        return _LABELS[(type(self), self.value)]


def label(vocabulary: type[Vocabulary], value: str | None, unknown: str = "") -> str:
    """The label of ``value`` read as ``vocabulary``; ``unknown`` for a value outside it."""
    if value is None:
        return unknown
    try:
        return vocabulary(value).label
    except ValueError:
        return unknown


class UserRole(Vocabulary):
    SUPER_ADMIN = "super_admin"
    BUSINESS_OWNER = "business_owner"
    STAFF = "staff"


_labels(
    {
        UserRole.SUPER_ADMIN: "Super-admin",
        UserRole.BUSINESS_OWNER: "Business owner",
        UserRole.STAFF: "Staff",
    }
)


class MemberRole(Vocabulary):
    OWNER = "owner"
    STAFF = "staff"


_labels(
    {
        MemberRole.OWNER: "Owner",
        MemberRole.STAFF: "Staff",
    }
)


class BusinessStatus(Vocabulary):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


_labels(
    {
        BusinessStatus.PENDING: "Pending",
        BusinessStatus.ACTIVE: "Active",
        BusinessStatus.PAUSED: "Paused",
        BusinessStatus.ARCHIVED: "Archived",
    }
)


class LeadStatus(Vocabulary):
    NEW = "new"
    CONTACTED = "contacted"
    BOOKED = "booked"
    FOLLOW_UP = "follow_up"
    LOST = "lost"
    ARCHIVED = "archived"
    SPAM = "spam"


_labels(
    {
        LeadStatus.NEW: "New",
        LeadStatus.CONTACTED: "Contacted",
        LeadStatus.BOOKED: "Booked",
        LeadStatus.FOLLOW_UP: "Follow-up",
        LeadStatus.LOST: "Lost",
        LeadStatus.ARCHIVED: "Archived",
        LeadStatus.SPAM: "Spam",
    }
)

CLOSED_LEAD_STATUSES = frozenset({LeadStatus.LOST, LeadStatus.ARCHIVED, LeadStatus.SPAM})


class MessageType(Vocabulary):
    CUSTOMER_MESSAGE = "customer_message"
    ACKNOWLEDGEMENT = "acknowledgement"
    AUTO_REPLY = "auto_reply"
    AI_DRAFT = "ai_draft"
    OWNER_REPLY = "owner_reply"
    FOLLOW_UP = "follow_up"
    NOTE = "note"


_labels(
    {
        MessageType.CUSTOMER_MESSAGE: "Customer message",
        MessageType.ACKNOWLEDGEMENT: "Acknowledgement",
        MessageType.AUTO_REPLY: "Automatic reply",
        MessageType.AI_DRAFT: "Suggested reply",
        MessageType.OWNER_REPLY: "Your reply",
        MessageType.FOLLOW_UP: "Follow-up",
        MessageType.NOTE: "Internal note",
    }
)


class MessageDirection(Vocabulary):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


_labels(
    {
        MessageDirection.INBOUND: "From the customer",
        MessageDirection.OUTBOUND: "To the customer",
        MessageDirection.INTERNAL: "Internal",
    }
)


class CommStatus(Vocabulary):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    AI_REPLIED = "ai_replied"
    OWNER_REPLIED = "owner_replied"
    CUSTOMER_REPLIED = "customer_replied"


_labels(
    {
        CommStatus.NEW: "Not answered yet",
        CommStatus.ACKNOWLEDGED: "Acknowledged",
        CommStatus.AI_REPLIED: "Answered automatically",
        CommStatus.OWNER_REPLIED: "You replied",
        CommStatus.CUSTOMER_REPLIED: "Customer replied",
    }
)


class Urgency(Vocabulary):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


_labels(
    {
        Urgency.HIGH: "High",
        Urgency.NORMAL: "Normal",
        Urgency.LOW: "Low",
    }
)


class RiskLevel(Vocabulary):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


_labels(
    {
        RiskLevel.LOW: "Low",
        RiskLevel.MEDIUM: "Medium",
        RiskLevel.HIGH: "High",
    }
)


class Intent(Vocabulary):
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


_labels(
    {
        Intent.QUOTE_REQUEST: "Asks for a quote",
        Intent.BOOKING_REQUEST: "Wants to book",
        Intent.QUESTION: "Has a question",
        Intent.COMPLAINT: "Complaint",
        Intent.CANCELLATION: "Wants to cancel",
        Intent.FOLLOW_UP: "Follows up",
        Intent.JOB_APPLICATION: "Job application",
        Intent.SALES_PITCH: "Sales pitch",
        Intent.SPAM: "Spam",
        Intent.OTHER: "Other",
    }
)


class BlockedTopic(Vocabulary):
    PRICE_COMMITMENT = "price_commitment"
    BOOKING_CONFIRMATION = "booking_confirmation"
    AVAILABILITY_PROMISE = "availability_promise"
    REFUND_OR_DISCOUNT = "refund_or_discount"
    LEGAL_ADVICE = "legal_advice"
    MEDICAL_ADVICE = "medical_advice"
    FINANCIAL_ADVICE = "financial_advice"


_labels(
    {
        BlockedTopic.PRICE_COMMITMENT: "it asks about a price",
        BlockedTopic.BOOKING_CONFIRMATION: "it asks to confirm a booking",
        BlockedTopic.AVAILABILITY_PROMISE: "it asks when you are free",
        BlockedTopic.REFUND_OR_DISCOUNT: "it asks for a refund or discount",
        BlockedTopic.LEGAL_ADVICE: "it asks for legal advice",
        BlockedTopic.MEDICAL_ADVICE: "it asks for medical advice",
        BlockedTopic.FINANCIAL_ADVICE: "it asks for financial advice",
    }
)


class AnalysisStatus(Vocabulary):
    OK = "ok"
    FALLBACK = "fallback"


_labels(
    {
        AnalysisStatus.OK: "Read by the AI",
        AnalysisStatus.FALLBACK: "The AI was not available",
    }
)


class GateReason(Vocabulary):
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


_labels(
    {
        GateReason.SMART_AUTO_REPLY_DISABLED: "automatic replies are off",
        GateReason.OWNER_APPROVAL_REQUIRED: "you asked to approve every reply",
        GateReason.BUSINESS_NOT_ACTIVE: "the business is not active",
        GateReason.AI_UNAVAILABLE: "the AI was not available",
        GateReason.AI_FLAGGED_UNSAFE: "the AI judged an automatic reply unsafe",
        GateReason.RISK_NOT_LOW: "it may be sensitive",
        GateReason.LOW_CONFIDENCE: "the AI was not sure enough",
        GateReason.BLOCKED_TOPICS: "it touches a topic only you should answer",
        GateReason.REPLY_CONTENT_BLOCKED: "the suggested reply made a promise only you can make",
        GateReason.NO_CUSTOMER_EMAIL: "the customer left no e-mail address",
        GateReason.REPLY_LIMIT_REACHED: "the daily limit of automatic replies was reached",
        GateReason.SPAM_SUSPECTED: "it looks like spam",
        GateReason.DUPLICATE_LEAD: "the customer had already written",
    }
)


class FollowUpStatus(Vocabulary):
    """Stored status of a follow-up; ``due`` and ``overdue`` are computed from ``scheduled_at``."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELED = "canceled"
    FAILED = "failed"


_labels(
    {
        FollowUpStatus.SCHEDULED: "Scheduled",
        FollowUpStatus.SENT: "Sent",
        FollowUpStatus.CANCELED: "Cancelled",
        FollowUpStatus.FAILED: "Failed",
    }
)


class FollowUpState(Vocabulary):
    DUE = "due"
    OVERDUE = "overdue"
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELED = "canceled"
    FAILED = "failed"


_labels(
    {
        FollowUpState.DUE: "Due today",
        FollowUpState.OVERDUE: "Overdue",
        FollowUpState.SCHEDULED: "Scheduled",
        FollowUpState.SENT: "Sent",
        FollowUpState.CANCELED: "Cancelled",
        FollowUpState.FAILED: "Failed",
    }
)


class EmailStatus(Vocabulary):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


_labels(
    {
        EmailStatus.QUEUED: "Waiting to be sent",
        EmailStatus.SENT: "Sent",
        EmailStatus.FAILED: "Not delivered",
        EmailStatus.BOUNCED: "Bounced",
    }
)


class EmailKind(Vocabulary):
    AUTO_REPLY = "auto_reply"
    ACKNOWLEDGEMENT = "acknowledgement"
    OWNER_REPLY = "owner_reply"
    FOLLOW_UP = "follow_up"
    OWNER_ALERT = "owner_alert"
    REPLY_ALERT = "reply_alert"
    INVITE = "invite"
    PASSWORD_RESET = "password_reset"


_labels(
    {
        EmailKind.AUTO_REPLY: "Automatic reply",
        EmailKind.ACKNOWLEDGEMENT: "Acknowledgement",
        EmailKind.OWNER_REPLY: "Owner reply",
        EmailKind.FOLLOW_UP: "Follow-up",
        EmailKind.OWNER_ALERT: "New-lead alert",
        EmailKind.REPLY_ALERT: "Reply alert",
        EmailKind.INVITE: "Invitation",
        EmailKind.PASSWORD_RESET: "Password reset",
    }
)


class SyncEntity(Vocabulary):
    LEAD = "lead"
    MESSAGE = "message"
    FOLLOW_UP = "follow_up"
    AI_ANALYSIS = "ai_analysis"
    BUSINESS = "business"
    FORM = "form"


_labels(
    {
        SyncEntity.LEAD: "Lead",
        SyncEntity.MESSAGE: "Message",
        SyncEntity.FOLLOW_UP: "Follow-up",
        SyncEntity.AI_ANALYSIS: "AI analysis",
        SyncEntity.BUSINESS: "Business",
        SyncEntity.FORM: "Form",
    }
)


class MutationType(Vocabulary):
    REPLY = "reply"
    APPROVE_DRAFT = "approve_draft"
    SET_STATUS = "set_status"
    ADD_NOTE = "add_note"
    UPDATE_FOLLOW_UP = "update_follow_up"


_labels(
    {
        MutationType.REPLY: "Reply",
        MutationType.APPROVE_DRAFT: "Approve and send",
        MutationType.SET_STATUS: "Status change",
        MutationType.ADD_NOTE: "Note",
        MutationType.UPDATE_FOLLOW_UP: "Follow-up change",
    }
)


class MutationStatus(Vocabulary):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


_labels(
    {
        MutationStatus.APPLIED: "Applied",
        MutationStatus.DUPLICATE: "Already applied",
        MutationStatus.REJECTED: "Rejected",
    }
)


class InboundOutcome(Vocabulary):
    """What an arriving mail turned out to be (CONTRACT §10, the webhook's ``status``)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


class InboundMatch(Vocabulary):
    """How an arriving mail found its lead, in the order they are tried."""

    TOKEN = "token"
    THREAD = "thread"
    SENDER = "sender"
    ADMIN = "admin"


_labels(
    {
        InboundOutcome.STORED: "Added to the lead",
        InboundOutcome.DUPLICATE: "Already received",
        InboundOutcome.UNMATCHED: "Matched no lead",
        InboundOutcome.AUTO_REPLY: "Automatic answer",
        InboundOutcome.BOUNCE: "Delivery report",
        InboundMatch.TOKEN: "By its reply address",
        InboundMatch.THREAD: "By the conversation it answers",
        InboundMatch.SENDER: "By the sender's address",
        InboundMatch.ADMIN: "Attached by hand",
    }
)

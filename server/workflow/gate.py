"""The safety gate: may the AI's suggested reply go to the customer automatically?

Pure: it reads the business switches, the analysis and a few counts, and returns every reason
that holds the reply (CONTRACT §6), in the order of ``GateReason``. The reply text itself is
checked in code as well, so a model that ignores its instructions still cannot send a price,
a link or someone else's phone number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.ai.base import AnalysisOutcome
from server.workflow.reply_check import reply_content_problems
from shared.models.enums import AnalysisStatus, GateReason, RiskLevel

MAX_AUTO_EMAILS_PER_DAY = 3
# Automatic mails one address may receive per day from all businesses together, so a victim's
# address typed into many forms cannot be mail-bombed.
MAX_AUTO_MAILS_PER_ADDRESS_PER_DAY = 3


@dataclass(frozen=True)
class GateInput:
    smart_auto_reply: bool
    owner_approval_required: bool
    business_active: bool
    confidence_threshold: float
    outcome: AnalysisOutcome | None  # None: the AI was unavailable
    customer_email: str | None
    auto_emails_last_24h: int  # automatic emails this business sent this address in 24 h
    spam_suspected: bool
    duplicate: bool
    business_emails: tuple[str, ...] = ()
    business_phones: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    auto_mails_to_address_today: int = 0  # automatic mails of every business to the address
    profile: tuple[str, ...] = ()  # the business's own words (name, address, facts, …)


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reasons: list[GateReason]
    # Why, in words, per reason that has more to say (the reply check's offending tokens).
    details: dict[str, list[str]] = field(default_factory=dict)


def decide(inp: GateInput) -> GateDecision:
    """Every reason that holds the automatic reply; ``allowed`` only when there is none."""
    found: set[GateReason] = set()
    details: dict[str, list[str]] = {}
    if not inp.smart_auto_reply:
        found.add(GateReason.SMART_AUTO_REPLY_DISABLED)
    if inp.owner_approval_required:
        found.add(GateReason.OWNER_APPROVAL_REQUIRED)
    if not inp.business_active:
        found.add(GateReason.BUSINESS_NOT_ACTIVE)
    outcome = inp.outcome
    if outcome is None or outcome.status is not AnalysisStatus.OK:
        found.add(GateReason.AI_UNAVAILABLE)
    if outcome is not None:
        analysis = outcome.analysis
        if not analysis.auto_send_allowed:
            found.add(GateReason.AI_FLAGGED_UNSAFE)
        if analysis.risk_level is not RiskLevel.LOW:
            found.add(GateReason.RISK_NOT_LOW)
        if not analysis.confidence_score >= inp.confidence_threshold:
            found.add(GateReason.LOW_CONFIDENCE)
        if analysis.blocked_topics:
            found.add(GateReason.BLOCKED_TOPICS)
        problems = reply_content_problems(
            analysis.suggested_reply,
            business_emails=inp.business_emails,
            business_phones=inp.business_phones,
            allowed_hosts=inp.allowed_hosts,
            profile=inp.profile,
        )
        if problems:
            found.add(GateReason.REPLY_CONTENT_BLOCKED)
            details[GateReason.REPLY_CONTENT_BLOCKED.value] = problems
        if analysis.spam:
            found.add(GateReason.SPAM_SUSPECTED)
    if not (inp.customer_email or "").strip():
        found.add(GateReason.NO_CUSTOMER_EMAIL)
    if (
        inp.auto_emails_last_24h >= MAX_AUTO_EMAILS_PER_DAY
        or inp.auto_mails_to_address_today >= MAX_AUTO_MAILS_PER_ADDRESS_PER_DAY
    ):
        found.add(GateReason.REPLY_LIMIT_REACHED)
    if inp.spam_suspected:
        found.add(GateReason.SPAM_SUSPECTED)
    if inp.duplicate:
        found.add(GateReason.DUPLICATE_LEAD)
    reasons = [reason for reason in GateReason if reason in found]
    return GateDecision(allowed=not reasons, reasons=reasons, details=details)

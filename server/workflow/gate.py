"""The safety gate: may the AI's suggested reply go to the customer automatically?

Pure: it reads the business switches, the analysis and a few counts, and returns every reason
that holds the reply (CONTRACT §6), in the order of ``GateReason``. The reply text itself is
checked in code as well, so a model that ignores its instructions still cannot send a price,
a link or someone else's phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.ai.base import AnalysisOutcome
from shared.models.enums import AnalysisStatus, GateReason, RiskLevel

MAX_AUTO_EMAILS_PER_DAY = 3
MAX_REPLY_CHARS = 1200


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


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reasons: list[GateReason]


def decide(inp: GateInput) -> GateDecision:
    """Every reason that holds the automatic reply; ``allowed`` only when there is none."""
    found: set[GateReason] = set()
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
        )
        if problems:
            found.add(GateReason.REPLY_CONTENT_BLOCKED)
        if analysis.spam:
            found.add(GateReason.SPAM_SUSPECTED)
    if not (inp.customer_email or "").strip():
        found.add(GateReason.NO_CUSTOMER_EMAIL)
    if inp.auto_emails_last_24h >= MAX_AUTO_EMAILS_PER_DAY:
        found.add(GateReason.REPLY_LIMIT_REACHED)
    if inp.spam_suspected:
        found.add(GateReason.SPAM_SUSPECTED)
    if inp.duplicate:
        found.add(GateReason.DUPLICATE_LEAD)
    reasons = [reason for reason in GateReason if reason in found]
    return GateDecision(allowed=not reasons, reasons=reasons)


_MONEY = re.compile(
    r"[$€£¥₹₩₽¢₺₪฿₫₱]|\b(usd|eur|gbp|cad|aud|nzd|chf|jpy|inr|zar|mxn|brl|sek|nok|dkk|pln)\b|"
    r"\b(dollars?|euros?|pounds?|bucks|quid|cents?|pence|reais|pesos|francs?|yen|rupees?)\b|"
    r"\d\s*%|\b(per ?cent|percent|pour ?cent|por ?ciento|por ?cento|prozent)\b|"
    r"\d\s*(/|per )\s*(hour|hr|h|visit|session|month|night|day|class|person)\b",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(
    r"\b(guarantee\w*|guaranty|confirmed|confirming your|we confirm|booked you|you('re| are) "
    r"booked|have booked|reserved (for )?you|your (appointment|booking|slot) (is|has been)|"
    r"discount\w*|refund\w*|reimburs\w*|free of charge|no charge|at no cost|for free|"
    r"complimentary|promo(tion)? ?codes?|coupons?|vouchers?|waive\w*|price match\w*|"
    r"see you (on|at|tomorrow|today|tonight|this|next)|we will be there|we'll be there|"
    r"we can (come|be there) (on|at|tomorrow|today|tonight)|"
    r"garantiz\w*|garanti\w*|confirmad[oa]|confirme|bestatigt|bestätigt|descuento|desconto|"
    r"reembolso|r[ée]duction|remboursement|rabatt|r[üu]ckerstattung|gratis|gratuit\w*|"
    r"kostenlos)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"\b\d{1,2}(:\d{2})?\s?(am|pm|a\.m\.|p\.m\.)(?!\w)|\b\d{1,2}:\d{2}\b", re.I)
# From where an address starts only: from every position of a long word it was quadratic.
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"']+|\bwww\.[^\s<>\"']+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,23}\b(?:/\S*)?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w])")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _host_allowed(host: str, allowed_hosts: tuple[str, ...]) -> bool:
    host = host.lower().strip(".").removeprefix("www.")
    for allowed in allowed_hosts:
        allowed = allowed.lower().strip(".").removeprefix("www.")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def _phone_allowed(digits: str, business_phones: tuple[str, ...]) -> bool:
    for phone in business_phones:
        own = _digits(phone)
        if len(own) >= 7 and (digits.endswith(own[-9:]) or own.endswith(digits)):
            return True
    return False


def reply_content_problems(
    reply: str,
    *,
    business_emails: tuple[str, ...] | list[str] = (),
    business_phones: tuple[str, ...] | list[str] = (),
    allowed_hosts: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """What makes ``reply`` unfit to send unseen (empty list when it is fine)."""
    problems: list[str] = []
    text = reply or ""
    if not text.strip():
        return ["reply is empty"]
    if len(text) > MAX_REPLY_CHARS:
        problems.append(f"reply is longer than {MAX_REPLY_CHARS} characters")
    own_emails = {e.strip().lower() for e in business_emails if e.strip()}
    hosts = tuple(allowed_hosts)
    phones = tuple(business_phones)
    for match in _EMAIL.finditer(text):
        if match.group(0).lower().rstrip(".") not in own_emails:
            problems.append(f"email address {match.group(0)!r} is not the business's")
    rest = _EMAIL.sub(" ", text)
    for match in _URL.finditer(rest):
        url = match.group(0)
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        if not _host_allowed(host, hosts):
            problems.append(f"link {url!r} is not allowed")
    rest = _URL.sub(" ", rest)
    for match in _DOMAIN.finditer(rest):
        host = match.group(0).split("/", 1)[0]
        if not _host_allowed(host, hosts):
            problems.append(f"web address {match.group(0)!r} is not allowed")
    for match in _PHONE.finditer(rest):
        digits = _digits(match.group(0))
        if len(digits) >= 7 and not _phone_allowed(digits, phones):
            problems.append(f"phone number {match.group(0).strip()!r} is not the business's")
    if _MONEY.search(text):
        problems.append("mentions a money amount")
    commitment = _COMMITMENT.search(text)
    if commitment:
        problems.append(
            f"commits to something only the owner can promise ({commitment.group(0)!r})"
        )
    if _CLOCK.search(rest):
        problems.append("names a clock time")
    return problems

"""The built-in ``local`` analyser: offline, deterministic keyword and pattern rules.

It reads the message together with the service and preferred-time fields (a request, or an
injection, can sit in any of them) and follows the labelling rules of the development data.
When a signal is unclear it leans to holding the reply: a false "safe" is the one error the
product cannot make, while a held reply only costs the owner a click.
"""

from __future__ import annotations

import asyncio
import re
import time

from server.ai import caution, semantic, signals
from server.ai.base import Analysis, AnalysisOutcome, LeadForAnalysis
from server.ai.reply_templates import build_reply, detect_language, own_service
from server.ai.text import fold, is_question, questions, sentences
from server.ai.topics import MONEY, detect_topics
from shared.models.enums import AnalysisStatus, BlockedTopic, Intent, RiskLevel, Urgency

PROMPT_VERSION = "local-rules-1"

_INQUIRY_INTENTS = frozenset({Intent.QUESTION, Intent.BOOKING_REQUEST, Intent.FOLLOW_UP})
_BOOKING_CUE = re.compile(
    r"\b(book|booking|schedule|appointment|set (something|it|this|one|that) up|set up (an?|the) "
    r"|come (out|over|by|and|take|have|round|around)|take a look|have a look|get (it|them|this|"
    r"him|her) (looked at|checked|fixed|done|serviced|sorted|seen)|look at it|need (a|an|someone|"
    r"somebody) \w+ to|next steps?|sign (me |us )?up|take on new|send someone|save me a|"
    r"reservar|cita|agendar|marcar|rendez-vous|termin|buchen|vereinbaren|order|get in touch)\b"
)
_REQUEST_QUESTION = re.compile(
    r"\b(can|could|would|will) (you|someone|somebody|anyone|one of you|your team|an? \w+|we)\b"
)
_ADVICE_TOPICS = frozenset(
    {BlockedTopic.LEGAL_ADVICE, BlockedTopic.MEDICAL_ADVICE, BlockedTopic.FINANCIAL_ADVICE}
)
_SOFT_FLAG = re.compile(
    r"\b(confirm\w*|cancel\w*|free|gratis|refund\w*|discount\w*|deal|price\w*|cheap\w*|"
    r"sue|lawyer|deposit|paid|guarantee\w*|promise\w*|warranty|insurance|claim|"
    r"instructions?|reply|respond|ai|bot|assistant|link|click)\b|%"
)
_HUMAN_INTENT_STEP = {
    Intent.SPAM: "Mark the lead as spam; do not reply or open any link in it.",
    Intent.SALES_PITCH: "A sales pitch, not a customer: archive it or mark it as spam.",
    Intent.JOB_APPLICATION: "A job application: pass it to whoever handles hiring.",
    Intent.COMPLAINT: "Call the customer personally to resolve the complaint.",
    Intent.CANCELLATION: "Update the booking and reply personally to the customer.",
    Intent.OTHER: "Phone or email the customer to find out what they need.",
}
_TOPIC_STEP = {
    BlockedTopic.PRICE_COMMITMENT: "prepare the price or quote",
    BlockedTopic.BOOKING_CONFIRMATION: "check the booking and confirm or change it",
    BlockedTopic.AVAILABILITY_PROMISE: "check availability",
    BlockedTopic.REFUND_OR_DISCOUNT: "decide on the refund, discount or voucher",
    BlockedTopic.LEGAL_ADVICE: "have a qualified person answer the legal question",
    BlockedTopic.MEDICAL_ADVICE: "have a clinician answer the health question",
    BlockedTopic.FINANCIAL_ADVICE: "have a qualified adviser answer the financial question",
}


READ_CHARS = 2_000
FIELD_CHARS = 200


class LocalAnalyser:
    """``AIProvider`` implementation that needs no network and gives the same answer every time."""

    name = "local"
    model = "leadflow-local-1"

    async def analyse(self, lead: LeadForAnalysis) -> AnalysisOutcome:
        started = time.perf_counter()
        # Pure CPU work (some milliseconds per thousand characters): never on the event loop.
        analysis = await asyncio.to_thread(analyse_lead, lead)
        if analysis.auto_send_allowed:  # the model can only hold: it reads only what may go out
            analysis = await asyncio.to_thread(second_look, lead, analysis)
        return AnalysisOutcome(
            analysis=analysis,
            provider=self.name,
            model=self.model,
            prompt_version=PROMPT_VERSION,
            status=AnalysisStatus.OK,
            latency_ms=int((time.perf_counter() - started) * 1000),
        )


def second_look(lead: LeadForAnalysis, analysis: Analysis) -> Analysis:
    """The rules' analysis, with the reply held if the semantic check reads the lead as one an
    automatic reply must not answer (blocking: the model loads and runs here)."""
    if not semantic.semantic_hold().holds(lead):
        return analysis
    return analysis.model_copy(
        update={
            "auto_send_allowed": False,
            "tags": [*analysis.tags, "semantic_hold"],
            "next_step": "Reply personally: the message may ask for something an automatic "
            "reply cannot promise (a price, a time, advice or a change).",
        }
    )


def known_service(lead: LeadForAnalysis) -> str | None:
    """The business's own spelling of the requested service, if it is one of its services."""
    return own_service(lead.service_needed, lead.services)


def analyse_lead(lead: LeadForAnalysis) -> Analysis:
    """Read one lead with the local rules (pure and deterministic).

    At most ``READ_CHARS`` of the messages and ``FIELD_CHARS`` of each short field are read, so
    the time per lead is bounded whatever a sender writes; a longer text is never answered
    automatically (a person reads what the rules did not)."""
    service = known_service(lead)
    written = "\n".join([lead.message, *lead.extra_messages])
    too_long = len(written) > READ_CHARS
    message = fold(written[:READ_CHARS])
    service_text = "" if service else fold((lead.service_needed or "")[:FIELD_CHARS])
    time_text = fold((lead.preferred_time or "")[:FIELD_CHARS])
    scan = "\n".join(part for part in (message, service_text, time_text) if part)
    asked = "\n".join(part for part in (message, service_text) if part)  # what the customer wrote

    injection = signals.is_injection(scan) or signals.is_injection(
        fold(lead.customer_name[:FIELD_CHARS])
    )
    topics, medication = detect_topics(asked, time_text)
    url_count = signals.url_count(scan)
    scam = signals.is_scam(scan) or bool(service_text and signals.URL.search(service_text))
    pitch = signals.is_pitch(scan) and not scam
    if injection and url_count:
        scam = True
    vague = not signals.content_words(message + " " + service_text)
    complaint = signals.complaint_score(scan) >= 2
    if (
        BlockedTopic.PRICE_COMMITMENT not in topics
        and BlockedTopic.REFUND_OR_DISCOUNT not in topics
        and caution.money_asked(asked)
    ):
        topics = sorted({*topics, BlockedTopic.PRICE_COMMITMENT}, key=list(BlockedTopic).index)
    if injection:
        topics = _injection_topics(scan, topics)
    if (scam or pitch) and not injection:
        topics = []  # a spammer's prices and dates are not the business's to commit to

    intent = _intent(scan, topics, scam=scam, pitch=pitch, vague=vague, complaint=complaint)
    urgency = _urgency(scan, intent, topics, vague=vague)
    risk = _risk(
        scan,
        intent,
        topics,
        injection=injection,
        scam=scam,
        pitch=pitch,
        vague=vague,
        medication=medication,
        url_count=url_count,
    )
    spam = scam or pitch or intent in (Intent.SPAM, Intent.SALES_PITCH)
    safe = (
        not too_long
        and not topics
        and risk is RiskLevel.LOW
        and not spam
        and not injection
        and not vague
        and intent in _INQUIRY_INTENTS
        and not complaint
        and (
            caution.plain_inquiry(message)
            or intent is Intent.FOLLOW_UP
            or signals.is_emergency(scan)
        )
        and not caution.needs_a_person(asked, time_text)
    )
    confidence = _confidence(scan, intent, safe=safe, vague=vague, complaint=complaint)
    emergency = urgency is Urgency.HIGH and intent is Intent.BOOKING_REQUEST
    if intent in _INQUIRY_INTENTS and not spam and not injection:
        kind = (
            "emergency" if emergency else "follow_up" if intent is Intent.FOLLOW_UP else "inquiry"
        )
    else:
        kind = "personal"
    reply = build_reply(
        kind=kind,
        language=detect_language(lead.message),
        customer_name=lead.customer_name,
        business_name=lead.business_name,
        service=service,
    )
    tags = [intent.value, f"urgency_{urgency.value}", *[t.value for t in topics]]
    tags += [
        flag
        for flag, on in (
            ("prompt_injection", injection),
            ("spam", spam),
            ("emergency", emergency),
            ("links", url_count > 0),
        )
        if on
    ]
    return Analysis(
        summary=_summary(intent, urgency, service, topics, injection=injection),
        urgency=urgency,
        intent=intent,
        suggested_reply=reply,
        next_step=_next_step(intent, topics, urgency, safe=safe, injection=injection),
        tags=tags,
        risk_level=risk,
        confidence_score=confidence,
        blocked_topics=topics,
        auto_send_allowed=safe,
        spam=spam,
    )


def _injection_topics(scan: str, topics: list[BlockedTopic]) -> list[BlockedTopic]:
    """An injection is also labelled with what it tries to get committed."""
    found = set(topics)
    if MONEY.search(scan) or re.search(r"\b(free|fee|price|quote|charge)\b", scan):
        found.add(BlockedTopic.PRICE_COMMITMENT)
    if re.search(r"\d\s?%|\bpercent\b|\bdiscount|\brefund|\bvoucher|\bcoupon", scan):
        found.add(BlockedTopic.REFUND_OR_DISCOUNT)
    if re.search(r"\b(confirmed|booked|reserved|appointment is)\b", scan):
        found.add(BlockedTopic.BOOKING_CONFIRMATION)
    return sorted(found, key=list(BlockedTopic).index)


def _intent(
    scan: str, topics: list[BlockedTopic], *, scam: bool, pitch: bool, vague: bool, complaint: bool
) -> Intent:
    if scam:
        return Intent.SPAM
    if pitch:
        return Intent.SALES_PITCH
    if signals.is_job_application(scan):
        return Intent.JOB_APPLICATION
    if vague:
        return Intent.OTHER
    if signals.is_cancellation(scan):
        return Intent.CANCELLATION
    if complaint:
        return Intent.COMPLAINT
    if signals.is_follow_up(scan):
        return Intent.FOLLOW_UP
    if BlockedTopic.PRICE_COMMITMENT in topics:
        return Intent.QUOTE_REQUEST
    if {BlockedTopic.BOOKING_CONFIRMATION, BlockedTopic.AVAILABILITY_PROMISE} & set(topics):
        return Intent.BOOKING_REQUEST
    if _ADVICE_TOPICS & set(topics):
        return Intent.QUESTION
    if signals.is_emergency(scan) or any(
        _BOOKING_CUE.search(s) and (not is_question(s) or _REQUEST_QUESTION.search(s))
        for s in sentences(scan)
    ):
        return Intent.BOOKING_REQUEST
    if questions(scan):
        return Intent.QUESTION
    if len(signals.content_words(scan)) >= 3:
        return Intent.BOOKING_REQUEST  # a described job is a request for the service
    return Intent.OTHER


def _urgency(scan: str, intent: Intent, topics: list[BlockedTopic], *, vague: bool) -> Urgency:
    if intent in (Intent.SPAM, Intent.SALES_PITCH, Intent.JOB_APPLICATION):
        return Urgency.LOW
    if signals.is_emergency(scan):
        return Urgency.HIGH
    if vague:
        return Urgency.NORMAL if signals.asks_for_contact(scan) else Urgency.LOW
    if intent is Intent.FOLLOW_UP and not topics:
        return Urgency.LOW
    ongoing = intent in (Intent.COMPLAINT, Intent.CANCELLATION)
    if signals.signals_no_rush(scan) and not ongoing:
        return Urgency.LOW
    if signals.says_urgent(scan):
        return Urgency.HIGH
    return Urgency.NORMAL


def _risk(
    scan: str,
    intent: Intent,
    topics: list[BlockedTopic],
    *,
    injection: bool,
    scam: bool,
    pitch: bool,
    vague: bool,
    medication: bool,
    url_count: int,
) -> RiskLevel:
    high = (
        injection
        or scam
        or intent is Intent.COMPLAINT
        or BlockedTopic.LEGAL_ADVICE in topics
        or (BlockedTopic.MEDICAL_ADVICE in topics and (medication or signals.is_emergency(scan)))
        or (vague and not signals.asks_for_contact(scan))
        or (pitch and url_count > 0)
    )
    if high:
        return RiskLevel.HIGH
    paid_back = BlockedTopic.REFUND_OR_DISCOUNT in topics and re.search(
        r"\b(paid|deposit|charged|pague|paye|paguei|bezahlt)\b", scan
    )
    medium = (
        pitch
        or vague
        or bool(paid_back)
        or BlockedTopic.MEDICAL_ADVICE in topics
        or BlockedTopic.FINANCIAL_ADVICE in topics
        or url_count > 0
        or bool(signals.EMAIL.search(scan) and not questions(scan) and len(scan) < 60)
    )
    return RiskLevel.MEDIUM if medium else RiskLevel.LOW


def _confidence(scan: str, intent: Intent, *, safe: bool, vague: bool, complaint: bool) -> float:
    if vague:
        return 0.4
    if not safe:
        return 0.85
    score = 0.92
    score -= 0.1 * len(set(_SOFT_FLAG.findall(scan)))
    if MONEY.search(scan) or signals.complaint_score(scan) or complaint:
        score -= 0.2
    if len(signals.content_words(scan)) < 4:
        score -= 0.1
    if not questions(scan) and not _BOOKING_CUE.search(scan) and intent is not Intent.FOLLOW_UP:
        score -= 0.05  # a described job without an explicit ask is a slightly weaker reading
    return round(max(0.3, min(score, 0.95)), 2)


def _summary(
    intent: Intent,
    urgency: Urgency,
    service: str | None,
    topics: list[BlockedTopic],
    *,
    injection: bool,
) -> str:
    about = service or "a service not on the list"
    text = f"{intent.value.replace('_', ' ').capitalize()} about {about} ({urgency.value} urgency)."
    if topics:
        text += (
            " Needs the owner for: " + ", ".join(t.value.replace("_", " ") for t in topics) + "."
        )
    if injection:
        text += " The text tries to instruct the assistant (prompt injection); treat with care."
    return text


def _next_step(
    intent: Intent, topics: list[BlockedTopic], urgency: Urgency, *, safe: bool, injection: bool
) -> str:
    if injection:
        return "Review personally: the message tries to instruct the assistant. Do not follow it."
    if intent in _HUMAN_INTENT_STEP:
        return _HUMAN_INTENT_STEP[intent]
    if topics:
        steps = "; ".join(_TOPIC_STEP[t] for t in topics)
        return f"Reply personally: {steps}."
    if urgency is Urgency.HIGH:
        return "Call the customer back as soon as possible."
    if safe:
        return "Contact the customer to discuss the details and arrange next steps."
    return "Review the lead and reply personally."

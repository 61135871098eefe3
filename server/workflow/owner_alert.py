"""What the owner's new-lead alert says: why a reply was held, in words, and what the customer
got (CONTRACT §9: owners see words, never codes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.models.business import Business
from server.models.lead import Lead
from shared.models.enums import BlockedTopic, GateReason, Urgency, label

LEAD_URL = "leadflow://lead/{lead_id}"  # opens the lead in the desktop app


def _words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def hold_reasons(
    reasons: list[str], blocked_topics: list[str], details: dict[str, list[str]]
) -> list[str]:
    """Each reason that held the reply as the owner reads it ("it asks about a price")."""
    said: list[str] = []
    for code in reasons:
        try:
            reason = GateReason(code)
        except ValueError:
            continue
        if reason is GateReason.DUPLICATE_LEAD:
            continue  # the same customer wrote again: said once, in the first alert
        if reason is GateReason.BLOCKED_TOPICS and blocked_topics:
            said += [
                label(BlockedTopic, topic, "it touches a topic only you should answer")
                for topic in blocked_topics
            ]
        elif reason is GateReason.REPLY_CONTENT_BLOCKED and details.get(code):
            problems = [p.removeprefix("it ") for p in details[code]]
            said.append("the suggested reply " + _words(problems))
        else:
            said.append(reason.label)
    return list(dict.fromkeys(said))


def customer_got(auto_sent: bool, acknowledged: bool, lead: Lead, held: list[str]) -> str:
    if auto_sent:
        return "LeadFlow answered the customer automatically with the reply below."
    if acknowledged:
        return (
            "The customer got a short note that their request arrived; nothing else was promised."
        )
    if not lead.customer_email:
        return "The customer left no e-mail address, so LeadFlow sent them nothing."
    return "LeadFlow sent the customer nothing: please answer them yourself."


@dataclass(frozen=True)
class OwnerAlert:
    """What the decision tells the owner about a lead, besides the lead and business."""

    message_text: str
    summary: str | None
    urgency: str | None
    reply: str | None
    auto_sent: bool
    acknowledged: bool
    reasons: list[str]
    blocked_topics: list[str]
    details: dict[str, list[str]]


def owner_alert_context(lead: Lead, business: Business, alert: OwnerAlert) -> dict[str, Any]:
    """The template context of the owner alert (``owner_alert.txt`` and ``.html``)."""
    auto_sent, urgency = alert.auto_sent, alert.urgency
    held = [] if auto_sent else hold_reasons(alert.reasons, alert.blocked_topics, alert.details)
    held_line = ""
    if held:
        sentence = _words(held)
        held_line = f"Held for you: {sentence}."
    return {
        "header": business.name,
        "brand_color": business.brand_color,
        "business_name": business.name,
        "customer_name": lead.customer_name,
        "customer_email": lead.customer_email,
        "customer_phone": lead.customer_phone,
        "service": lead.service_needed,
        "preferred_time": lead.preferred_time,
        "urgency": label(Urgency, urgency, "") if urgency else "",
        "message": alert.message_text,
        "summary": alert.summary,
        "reply": alert.reply,
        "auto_sent": auto_sent,
        "held_line": held_line,
        "customer_got": customer_got(auto_sent, alert.acknowledged, lead, held),
        "lead_url": LEAD_URL.format(lead_id=lead.id),
    }

"""What deserves a notification: each new lead, and each new customer message on a lead the
owner already had. Pure logic over the local copy; ``desktop/ui/tray.py`` shows them."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.queries import Queries
from desktop.store import AppliedChanges

FIRST_WORDS = 12


@dataclass(frozen=True)
class Notification:
    lead_id: str
    title: str
    body: str
    kind: str  # "new_lead" | "customer_message"


def first_words(text: str, count: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def notifications_for(changes: AppliedChanges, queries: Queries) -> list[Notification]:
    """None during a bootstrap: an owner opening the app once must not get 5,000 pop-ups."""
    if changes.bootstrap:
        return []
    found: list[Notification] = []
    for lead_id in changes.new_leads:
        lead = queries.lead(lead_id)
        if lead is None:
            continue
        # The lead's own urgency, as the inbox shows it; before the AI has read the lead
        # there is none, and the banner says nothing rather than guess "normal".
        urgency = f" · {lead.urgency.label} urgency" if lead.urgency else ""
        service = lead.service_needed or "A request"
        found.append(
            Notification(
                lead_id,
                f"New lead: {lead.customer_name}",
                f"{service}{urgency}\n{first_words(lead.message)}",
                "new_lead",
            )
        )
    for lead_id, message_id in changes.new_customer_messages:
        lead = queries.lead(lead_id)
        text = next(
            (t.message.content for t in queries.thread(lead_id) if str(t.message.id) == message_id),
            "",
        )
        if lead is not None:
            found.append(
                Notification(
                    lead_id,
                    f"Reply from {lead.customer_name}",
                    first_words(text),
                    "customer_message",
                )
            )
    return found

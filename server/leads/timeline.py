"""A lead's timeline, built from stored events (audit rows and messages) with their real times."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.lead import Lead
from server.models.ops import AuditLog
from shared.models.leads import TimelineEvent

TEXTS = {
    "lead.received": "Request received",
    "lead.customer_message_added": "The customer sent another message",
    "lead.analysed": "Analysed by AI",
    "lead.reanalysed": "Analysed again after an AI outage",
    "lead.auto_replied": "AI reply sent automatically",
    "lead.acknowledged": "Acknowledgement sent",
    "lead.owner_alerted": "Owner alerted",
    "lead.automation_skipped": "Automatic mail skipped: a person had already acted",
    "lead.owner_replied": "Reply sent",
    "lead.draft_approved": "AI draft approved and sent",
    "lead.note_added": "Note added",
    "lead.status_changed": "Status changed",
    "follow_up.scheduled": "Follow-up scheduled",
    "follow_up.rescheduled": "Follow-up rescheduled",
    "follow_up.sent": "Follow-up sent",
    "follow_up.canceled": "Follow-up canceled",
    "lead.customer_replied": "The customer replied by email",
    "lead.auto_reply_received": "An automatic answer came back (e.g. out of office)",
    "email.bounced": "An email bounced: the address did not take it",
    "lead.reply_address_revoked": "Reply address replaced: the old one no longer reaches the lead",
}


async def timeline(session: AsyncSession, lead: Lead) -> list[TimelineEvent]:
    rows = (
        await session.execute(
            select(AuditLog)
            .where(AuditLog.lead_id == lead.id, AuditLog.business_id == lead.business_id)
            .order_by(AuditLog.created_at, AuditLog.id)
        )
    ).scalars()
    events = []
    for row in rows:
        text = TEXTS.get(row.action, row.action.replace("_", " ").replace(".", ": "))
        if row.action == "lead.status_changed" and row.new_values:
            text = f"Status changed to {row.new_values.get('status')}"
        details = {
            **(row.details or {}),
            **({"old": row.old_values} if row.old_values else {}),
            **({"new": row.new_values} if row.new_values else {}),
        }
        events.append(
            TimelineEvent(
                at=row.created_at,
                kind=row.action,
                text=text,
                actor=row.actor,
                details=details or None,
            )
        )
    return events

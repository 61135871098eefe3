"""ORM rows → wire models, shared by the REST routes and the sync pull (one shape per entity)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.config import Settings
from server.models.base import utcnow
from server.models.business import Business, Form
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from shared.models.enums import FollowUpState, FollowUpStatus, GateReason
from shared.models.leads import AIOut, FollowUpOut, GateOut, LeadDetail, LeadOut, MessageOut


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut.model_validate(lead)


def gate_out(lead: Lead) -> GateOut | None:
    if lead.gate_allowed is None:
        return None
    reasons = [GateReason(r) for r in lead.gate_reasons or [] if r in GateReason._value2member_map_]
    return GateOut(allowed=lead.gate_allowed, reasons=reasons)


def analysis_out(row: AIAnalysis) -> AIOut:
    return AIOut.model_validate(
        {
            **row.parsed,
            "provider": row.provider,
            "model": row.model,
            "status": row.status,
            "created_at": row.created_at,
        }
    )


def lead_detail(lead: Lead, analysis: AIAnalysis | None) -> LeadDetail:
    detail = LeadDetail.model_validate(lead)
    detail.ai = analysis_out(analysis) if analysis is not None else None
    detail.gate = gate_out(lead)
    return detail


def message_out(message: Message) -> MessageOut:
    return MessageOut.model_validate(message)


def business_zone(timezone: str) -> ZoneInfo:
    """The business's zone; UTC for a name the zone database does not know.

    ``ZoneInfo`` raises ``KeyError``/``ValueError`` for unknown or malformed names and
    ``OSError`` for names of directories ("America") or overly long ones.
    """
    try:
        return ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")


def end_of_today(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(business_zone(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=1)).astimezone(ZoneInfo("UTC"))


def follow_up_state(follow_up: FollowUp, now: datetime, today_ends: datetime) -> FollowUpState:
    """``overdue`` (past due, not sent), ``due`` (later today), ``scheduled`` (after today)."""
    if follow_up.status != FollowUpStatus.SCHEDULED.value:
        return FollowUpState(follow_up.status)
    if follow_up.scheduled_at < now:
        return FollowUpState.OVERDUE
    if follow_up.scheduled_at < today_ends:
        return FollowUpState.DUE
    return FollowUpState.SCHEDULED


def follow_up_out(
    follow_up: FollowUp, timezone: str = "UTC", lead: Lead | None = None
) -> FollowUpOut:
    now = utcnow()
    out = FollowUpOut.model_validate(
        {
            "id": follow_up.id,
            "lead_id": follow_up.lead_id,
            "status": follow_up.status,
            "state": follow_up_state(follow_up, now, end_of_today(now, timezone)),
            "scheduled_at": follow_up.scheduled_at,
            "sent_at": follow_up.sent_at,
            "canceled_at": follow_up.canceled_at,
            "error": follow_up.error,
            "version": follow_up.version,
        }
    )
    if lead is not None:
        out.customer_name = lead.customer_name
        out.service_needed = lead.service_needed
    return out


def sync_data(entity: str, row: Any, settings: Settings) -> dict[str, Any]:
    """The ``data`` of a sync change: the same shape the REST routes return."""
    from server.businesses.service import business_out, form_out

    if entity == "lead":
        return lead_out(row).model_dump(mode="json") | {
            "gate": (g.model_dump(mode="json") if (g := gate_out(row)) else None),
            "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        }
    if entity == "message":
        return message_out(row).model_dump(mode="json")
    if entity == "follow_up":
        return follow_up_out(row).model_dump(mode="json")
    if entity == "ai_analysis":
        return analysis_out(row).model_dump(mode="json") | {
            "id": str(row.id),
            "lead_id": str(row.lead_id),
        }
    if entity == "business":
        assert isinstance(row, Business)
        return business_out(settings, row, None).model_dump(mode="json")
    if entity == "form":
        assert isinstance(row, Form)
        return form_out(settings, row).model_dump(mode="json")
    raise ValueError(f"unknown sync entity {entity!r}")

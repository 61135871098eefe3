"""ORM rows → the REST routes' pydantic models, and the ``data`` of a sync change."""

from __future__ import annotations

from typing import Any

from server.config import Settings
from server.leads import wire
from server.models.business import Business, Form
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from shared.models.enums import GateReason
from shared.models.follow_ups import FollowUpDay
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


def follow_up_out(follow_up: FollowUp, day: FollowUpDay, lead: Lead | None = None) -> FollowUpOut:
    """A follow-up with its state on the business's ``day``; with ``lead``, the lead's name and
    service (the REST list)."""
    out = FollowUpOut.model_validate(
        {
            "id": follow_up.id,
            "lead_id": follow_up.lead_id,
            "status": follow_up.status,
            "state": day.state(follow_up.status, follow_up.scheduled_at),
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


def sync_data(entity: str, row: Any, settings: Settings, day: FollowUpDay) -> dict[str, Any]:
    """The ``data`` of a sync change as JSON values: the Python encoder of ``server.leads.wire``
    for the entities described there, the REST views for the business and its form."""
    from server.businesses.service import business_out, form_out

    if entity in wire.ENTITIES:
        return wire.ENTITIES[entity].encode(row, day)
    if entity == "business":
        assert isinstance(row, Business)
        return business_out(settings, row, None).model_dump(mode="json")
    if entity == "form":
        assert isinstance(row, Form)
        return form_out(settings, row).model_dump(mode="json")
    raise ValueError(f"unknown sync entity {entity!r}")

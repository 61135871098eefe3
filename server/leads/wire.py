"""Synced rows straight to their JSON shape, for the pages of the sync pull and the lead list.

A bootstrap page is 500 rows; validating a pydantic model per row and dumping it again cost more
than the queries. These builders select exactly the wire fields and put the column values into
plain dicts, which ``orjson`` writes in pydantic's JSON format (UUIDs as strings, UTC datetimes
ending in ``Z``). Each builder gives exactly what ``server.leads.views`` +
``model_dump(mode="json")`` gives for the same row (tests/server/sync/test_wire.py compares them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Column

from server.leads.views import end_of_today, follow_up_state
from server.models.base import utcnow
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from shared.models.enums import GateReason
from shared.models.leads import AIOut, LeadOut, MessageOut

Row = Sequence[Any]
Builder = Callable[[Row], dict[str, Any]]

LEAD_FIELDS = tuple(LeadOut.model_fields)
MESSAGE_FIELDS = tuple(MessageOut.model_fields)
_FOLLOW_UP_FIELDS = ("id", "lead_id", "status", "scheduled_at", "sent_at", "canceled_at")
_ANALYSIS_FIELDS = ("id", "lead_id", "parsed", "provider", "model", "status", "created_at")
# The AI output fields of ``AIOut`` in order; provider, model, status and created_at come from
# the row's columns, the rest from its ``parsed`` JSON.
_AI_PARSED = tuple(f for f in AIOut.model_fields if f not in ("provider", "model", "status"))
_GATE_REASONS = frozenset(GateReason._value2member_map_)


def columns(model: Any, names: Iterable[str]) -> list[Column[Any]]:
    table = model.__table__
    return [table.c[name] for name in names]


def lead_columns(*, sync: bool) -> list[Column[Any]]:
    """The columns ``lead_row`` reads; the sync shape adds the gate and ``opened_at``."""
    extra = ("gate_allowed", "gate_reasons", "opened_at") if sync else ()
    return columns(Lead, LEAD_FIELDS + extra)


def lead_row(row: Row) -> dict[str, Any]:
    """A lead as the REST list returns it (``LeadOut``)."""
    return dict(zip(LEAD_FIELDS, row, strict=False))


def lead_sync_row(row: Row) -> dict[str, Any]:
    """A lead as the pull carries it: ``LeadOut`` plus ``gate`` and ``opened_at``."""
    data = dict(zip(LEAD_FIELDS, row, strict=False))
    allowed, reasons, opened_at = row[len(LEAD_FIELDS) :]
    data["gate"] = (
        None
        if allowed is None
        else {"allowed": allowed, "reasons": [r for r in reasons or [] if r in _GATE_REASONS]}
    )
    # The pull has always sent ``opened_at`` in ``isoformat()`` form (``+00:00``), not ``Z``.
    data["opened_at"] = opened_at.isoformat() if opened_at is not None else None
    return data


def message_row(row: Row) -> dict[str, Any]:
    return dict(zip(MESSAGE_FIELDS, row, strict=True))


def follow_up_builder() -> Builder:
    """Follow-ups carry a ``state`` computed against now (UTC days, as the pull always had)."""
    now = utcnow()
    today_ends = end_of_today(now, "UTC")

    def build(row: Row) -> dict[str, Any]:
        id_, lead_id, status, scheduled_at, sent_at, canceled_at, version = row
        state = follow_up_state(_FollowUpTimes(status, scheduled_at), now, today_ends)  # type: ignore[arg-type]
        return {
            "id": id_,
            "lead_id": lead_id,
            "status": status,
            "state": state.value,
            "scheduled_at": scheduled_at,
            "sent_at": sent_at,
            "canceled_at": canceled_at,
            "customer_name": None,
            "service_needed": None,
            "version": version,
        }

    return build


class _FollowUpTimes:
    """What ``follow_up_state`` reads of a follow-up."""

    __slots__ = ("scheduled_at", "status")

    def __init__(self, status: str, scheduled_at: datetime) -> None:
        self.status = status
        self.scheduled_at = scheduled_at


def analysis_row(row: Row) -> dict[str, Any]:
    """``AIOut`` of the stored analysis, plus its ``id`` and ``lead_id``."""
    id_, lead_id, parsed, provider, model, status, created_at, _version = row
    data: dict[str, Any] = {}
    for field in _AI_PARSED:
        if field == "created_at":
            data["provider"], data["model"], data["status"] = provider, model, status
            data["created_at"] = created_at
        elif field == "confidence_score":
            data[field] = float(parsed[field])
        elif field == "spam":
            data[field] = parsed.get("spam", False)
        else:
            data[field] = parsed[field]
    data["id"], data["lead_id"] = id_, lead_id
    return data


# Entity → (columns to select, a factory of the row builder). Every selection includes the
# row's ``id`` and ``version`` columns, which the pull reads by name.
SYNC_SHAPES: dict[str, tuple[list[Column[Any]], Callable[[], Builder]]] = {
    "lead": (lead_columns(sync=True), lambda: lead_sync_row),
    "message": (columns(Message, MESSAGE_FIELDS), lambda: message_row),
    "follow_up": (columns(FollowUp, (*_FOLLOW_UP_FIELDS, "version")), follow_up_builder),
    "ai_analysis": (columns(AIAnalysis, (*_ANALYSIS_FIELDS, "version")), lambda: analysis_row),
}


def _uuid_subclass(value: Any) -> str:
    # asyncpg hands back its own ``uuid.UUID`` subclass, which orjson does not take as a UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """JSON bytes in pydantic's format for the values these builders produce."""
    return orjson.dumps(value, default=_uuid_subclass, option=orjson.OPT_UTC_Z)

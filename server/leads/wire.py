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
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import JSON, Boolean, Column, Uuid, type_coerce
from sqlalchemy.types import NullType

from server.leads.views import end_of_today, follow_up_state
from server.models.base import UTCDateTime, utcnow
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from shared.models.enums import GateReason
from shared.models.leads import AIOut, LeadOut, MessageOut

Row = Sequence[Any]
Builder = Callable[[Row], dict[str, Any]]

LEAD_FIELDS = tuple(LeadOut.model_fields)
MESSAGE_FIELDS = tuple(MessageOut.model_fields)
_FOLLOW_UP_FIELDS = (
    "id",
    "lead_id",
    "status",
    "scheduled_at",
    "sent_at",
    "canceled_at",
    "error",
)
_ANALYSIS_FIELDS = ("id", "lead_id", "parsed", "provider", "model", "status", "created_at")
# The AI output fields of ``AIOut`` in order; provider, model, status and created_at come from
# the row's columns, the rest from its ``parsed`` JSON.
AI_PARSED = tuple(f for f in AIOut.model_fields if f not in ("provider", "model", "status"))
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
    if isinstance(opened_at, datetime):
        data["opened_at"] = opened_at.isoformat()
    else:  # None, or already a JSON string (``sqlite_values``)
        data["opened_at"] = opened_at[:-1] + "+00:00" if opened_at else None
    return data


def message_row(row: Row) -> dict[str, Any]:
    return dict(zip(MESSAGE_FIELDS, row, strict=True))


def follow_up_builder() -> Builder:
    """Follow-ups carry a ``state`` computed against now (UTC days, as the pull always had)."""
    now = utcnow()
    today_ends = end_of_today(now, "UTC")

    def build(row: Row) -> dict[str, Any]:
        id_, lead_id, status, scheduled_at, sent_at, canceled_at, error, version = row
        state = follow_up_state(_FollowUpTimes(status, scheduled_at), now, today_ends)  # type: ignore[arg-type]
        return {
            "id": id_,
            "lead_id": lead_id,
            "status": status,
            "state": state.value,
            "scheduled_at": scheduled_at,
            "sent_at": sent_at,
            "canceled_at": canceled_at,
            "error": error,
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
    for field in AI_PARSED:
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


class Shape(NamedTuple):
    """How the pull reads one entity: its columns (``id`` and ``version`` among them), a factory
    of the row builder, and whether the builder takes ``sqlite_values`` output on SQLite."""

    columns: list[Column[Any]]
    builder: Callable[[], Builder]
    sqlite_values: bool

    def position(self, name: str) -> int:
        return [column.name for column in self.columns].index(name)


SYNC_SHAPES: dict[str, Shape] = {
    "lead": Shape(lead_columns(sync=True), lambda: lead_sync_row, True),
    "message": Shape(columns(Message, MESSAGE_FIELDS), lambda: message_row, True),
    "follow_up": Shape(
        columns(FollowUp, (*_FOLLOW_UP_FIELDS, "version")), follow_up_builder, False
    ),
    "ai_analysis": Shape(
        columns(AIAnalysis, (*_ANALYSIS_FIELDS, "version")), lambda: analysis_row, False
    ),
}


def sqlite_values(cols: list[Column[Any]]) -> tuple[list[Any], Callable[[Row], Row]]:
    """On SQLite: the columns without SQLAlchemy's result processing, and a function that turns
    a row of stored values into JSON values directly.

    Building a ``uuid.UUID`` and a ``datetime`` per value only for orjson to print them again
    was a quarter of a bootstrap page's time on SQLite. The stored forms are SQLAlchemy's:
    a UUID as 32 hex digits, a UTC time (``UTCDateTime``) as ``YYYY-MM-DD HH:MM:SS.ffffff``,
    booleans as 0/1, JSON as text. Other columns pass through unchanged.
    """
    selected: list[Any] = []
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for at, column in enumerate(cols):
        kind = column.type
        change: Callable[[Any], Any] | None = None
        if isinstance(kind, Uuid):
            change = _stored_uuid
        elif isinstance(kind, UTCDateTime):
            change = _stored_time
        elif isinstance(kind, Boolean):
            change = _stored_bool
        elif isinstance(kind, JSON):
            change = _stored_json
        if change is None:
            selected.append(column)
        else:
            selected.append(type_coerce(column, NullType()).label(column.name))
            convert.append((at, change))

    def values(row: Row) -> Row:
        out = list(row)
        for at, change in convert:
            value = out[at]
            if value is not None:
                out[at] = change(value)
        return out

    return selected, values


def _stored_uuid(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(str(value)))


def _stored_time(value: Any) -> Any:
    """``YYYY-MM-DD HH:MM:SS[.ffffff]`` (UTC) as pydantic writes it: ``…THH:MM:SS[.ffffff]Z``,
    without a fraction of zero microseconds."""
    if isinstance(value, str) and len(value) in (19, 26) and value[10] == " ":
        fraction = value[19:]
        if fraction == ".000000":
            fraction = ""
        return f"{value[:10]}T{value[11:19]}{fraction}Z"
    parsed = datetime.fromisoformat(str(value))
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return orjson.loads(dumps(parsed))


def _stored_bool(value: Any) -> bool:
    return bool(value)


def _stored_json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _uuid_subclass(value: Any) -> str:
    # asyncpg hands back its own ``uuid.UUID`` subclass, which orjson does not take as a UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """JSON bytes in pydantic's format for the values these builders produce."""
    return orjson.dumps(value, default=_uuid_subclass, option=orjson.OPT_UTC_Z)

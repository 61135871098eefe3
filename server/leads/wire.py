"""The one description of each synced entity's JSON, and the Python encoder made from it.

Each entity the pull writes from SQL (CONTRACT §7 ``data`` of a lead, message, follow-up and AI
analysis) is described once here, as its fields in wire order; each field says where its value
comes from (a column, a key of the analysis's output, the gate, the follow-up rule) and so what
JSON it is. Three encoders are made from these descriptions: the SQLite and PostgreSQL SQL of
``server.sync.page_sql`` and ``Entity.encoder`` here (the lead list, and the few rows the SQL
leaves to Python). The field lists come from the pydantic models of ``shared.models.leads``, so
a field added to a model is added to every encoder (docs/ARCHITECTURE.md, "One description per
synced entity"); tests/server/sync/test_wire_property.py checks the three encoders against each
other and against the models over generated rows, on both databases.

The Python encoder puts column values into plain dicts that ``dumps`` writes in pydantic's JSON
format (UUIDs as strings, UTC datetimes ending in ``Z``), without a pydantic model per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Column, Uuid

from server.models.base import UTCDateTime, table_of
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from shared.models.enums import GateReason
from shared.models.follow_ups import FollowUpDay
from shared.models.leads import AIOut, FollowUpOut, LeadOut, MessageOut

Row = Sequence[Any]
Builder = Callable[[Row], dict[str, Any]]

GATE_REASONS = frozenset(GateReason._value2member_map_)


@dataclass(frozen=True)
class Stored:
    """A column's value. ``kind`` is its JSON form, from the column's type: ``uuid`` and
    ``time`` (strings), ``bool``, ``json`` (any JSON value), ``value`` (a string or number as
    stored). ``offset_utc``: a time written as ``datetime.isoformat()`` does (``+00:00``)."""

    column: Column[Any]
    kind: str
    offset_utc: bool = False


@dataclass(frozen=True)
class Gate:
    """``{allowed, reasons}`` of the auto-reply gate, or null before it ran; only the reasons
    of ``GateReason`` are kept."""

    allowed: Column[Any]
    reasons: Column[Any]


@dataclass(frozen=True)
class State:
    """A follow-up's state by the rule of ``shared.models.follow_ups``."""

    status: Column[Any]
    scheduled_at: Column[Any]


@dataclass(frozen=True)
class Null:
    """Always null (a field the synced row does not carry)."""


@dataclass(frozen=True)
class Output:
    """A key of an analysis's ``parsed`` output. A ``required`` key must be there (a row
    without it is not written by the SQL); another is ``default`` when missing. ``number``:
    written as a float (``1`` becomes ``1.0``)."""

    column: Column[Any]
    key: str
    required: bool
    default: Any
    number: bool


Source = Stored | Gate | State | Null | Output


@dataclass(frozen=True)
class Field:
    name: str
    source: Source

    @property
    def reads(self) -> tuple[Column[Any], ...]:
        source = self.source
        if isinstance(source, Stored | Output):
            return (source.column,)
        if isinstance(source, Gate):
            return (source.allowed, source.reasons)
        if isinstance(source, State):
            return (source.status, source.scheduled_at)
        return ()


@dataclass(frozen=True)
class Entity:
    """One synced entity: its tag, ORM model and wire fields in order."""

    tag: str
    model: Any
    fields: tuple[Field, ...]

    @cached_property
    def columns(self) -> list[Column[Any]]:
        """The columns the Python encoder reads, in this order: those of the fields, then
        ``id`` and ``version`` if no field has them."""
        table = table_of(self.model)
        read = (*(c for f in self.fields for c in f.reads), table.c.id, table.c.version)
        first: dict[str, Column[Any]] = {}
        for column in read:
            first.setdefault(column.name, column)
        return list(first.values())

    def position(self, name: str) -> int:
        return [column.name for column in self.columns].index(name)

    def encoder(self, day: FollowUpDay | None = None) -> Builder:
        """Row (the values of ``columns``, as SQLAlchemy returns them) → ``data``; ``day`` is
        needed by an entity with a follow-up state."""
        at = {column.name: n for n, column in enumerate(self.columns)}
        names = [field.name for field in self.fields]
        if all(_plain(f) for f in self.fields) and names == list(at)[: len(names)]:
            return lambda row: dict(zip(names, row, strict=False))
        parts = [(field.name, _python(field.source, at, day)) for field in self.fields]
        return lambda row: {name: part(row) for name, part in parts}

    def encode(self, obj: Any, day: FollowUpDay) -> dict[str, Any]:
        """``data`` of an ORM object, as JSON values."""
        row = [getattr(obj, column.key) for column in self.columns]
        return orjson.loads(dumps(self.encoder(day)(row)))


def _plain(field: Field) -> bool:
    return isinstance(field.source, Stored) and not field.source.offset_utc


def _python(source: Source, at: dict[str, int], day: FollowUpDay | None) -> Callable[[Row], Any]:
    if isinstance(source, Stored):
        n = at[source.column.name]
        if source.offset_utc:
            return lambda row: row[n].isoformat() if row[n] is not None else None
        return lambda row: row[n]
    if isinstance(source, Gate):
        allowed, reasons = at[source.allowed.name], at[source.reasons.name]
        return lambda row: (
            None
            if row[allowed] is None
            else {
                "allowed": row[allowed],
                "reasons": [r for r in row[reasons] or [] if r in GATE_REASONS],
            }
        )
    if isinstance(source, State):
        if day is None:
            raise ValueError("a follow-up's state needs the business's day")
        status, scheduled_at = at[source.status.name], at[source.scheduled_at.name]
        return lambda row: day.state(row[status], row[scheduled_at]).value
    if isinstance(source, Output):
        n, key, default = at[source.column.name], source.key, source.default

        def output(row: Row) -> Any:
            value = row[n][key] if source.required else row[n].get(key, default)
            return float(value) if source.number and value is not None else value

        return output
    return lambda row: None


def json_kind(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, Uuid):
        return "uuid"
    if isinstance(kind, UTCDateTime):
        return "time"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, JSON):
        return "json"
    return "value"


def stored(model: Any, name: str, *, offset_utc: bool = False) -> Field:
    column = table_of(model).c[name]
    return Field(name, Stored(column, json_kind(column), offset_utc))


def _from_columns(model: Any, names: Sequence[str]) -> tuple[Field, ...]:
    return tuple(stored(model, name) for name in names)


def _follow_up_fields() -> tuple[Field, ...]:
    table = table_of(FollowUp)
    computed: dict[str, Source] = {
        "state": State(table.c.status, table.c.scheduled_at),
        "customer_name": Null(),  # the REST list adds the lead's; the pull does not
        "service_needed": Null(),
    }
    return tuple(
        Field(name, computed[name]) if name in computed else stored(FollowUp, name)
        for name in FollowUpOut.model_fields
    )


# An analysis's provider, model, status and time are its columns; every other field of
# ``AIOut`` is a key of its stored output.
_ANALYSIS_COLUMNS = ("provider", "model", "status", "created_at")


def _analysis_fields() -> tuple[Field, ...]:
    parsed = table_of(AIAnalysis).c.parsed
    fields = []
    for name, info in AIOut.model_fields.items():
        if name in _ANALYSIS_COLUMNS:
            fields.append(stored(AIAnalysis, name))
        else:
            number = info.annotation is float
            output = Output(parsed, name, info.is_required(), info.default, number)
            fields.append(Field(name, output))
    return (*fields, stored(AIAnalysis, "id"), stored(AIAnalysis, "lead_id"))


# The REST lead list (``Page[LeadOut]``).
LEAD_LIST = Entity("lead", Lead, _from_columns(Lead, tuple(LeadOut.model_fields)))

ENTITIES: dict[str, Entity] = {
    "lead": Entity(
        "lead",
        Lead,
        (
            *LEAD_LIST.fields,
            Field("gate", Gate(table_of(Lead).c.gate_allowed, table_of(Lead).c.gate_reasons)),
            # The one time of the wire written with ``+00:00`` rather than ``Z`` (clients
            # read both); kept so the wire does not change.
            stored(Lead, "opened_at", offset_utc=True),
        ),
    ),
    "message": Entity("message", Message, _from_columns(Message, tuple(MessageOut.model_fields))),
    "follow_up": Entity("follow_up", FollowUp, _follow_up_fields()),
    "ai_analysis": Entity("ai_analysis", AIAnalysis, _analysis_fields()),
}


def lead_columns(*, sync: bool) -> list[Column[Any]]:
    """The columns ``lead_row`` reads (``sync``: of the pull's lead)."""
    return (ENTITIES["lead"] if sync else LEAD_LIST).columns


lead_row: Builder = LEAD_LIST.encoder()
"""A lead as the REST list returns it (``LeadOut``)."""


def _uuid_subclass(value: Any) -> str:
    # asyncpg hands back its own ``uuid.UUID`` subclass, which orjson does not take as a UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """JSON bytes in pydantic's format for the values these encoders produce."""
    return orjson.dumps(value, default=_uuid_subclass, option=orjson.OPT_UTC_Z)

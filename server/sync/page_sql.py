"""The statement of one pull page, with the rows' JSON written by the database.

A bootstrap page is 500 rows of about 30 values each. Turning each value into a Python object,
a dict per row and the page into JSON cost the server most of a page's time; the database
writes the same JSON in C (SQLite ``json_object``, PostgreSQL ``row_to_json``) and Python only
joins the texts. One statement reads the head version, finds the page's boundary over the
``(business_id, version)`` indexes and returns every change of the page in version order, so a
page is one round trip and one snapshot.

Leads, messages, follow-ups, AI analyses and tombstones are written by the database.
Businesses and forms (one row each; their views need the settings) come back with ``body``
NULL and are built by ``server.leads.views`` in Python, as is a row the SQL cannot write
exactly: on SQLite one whose stored UUIDs or times are not in the form SQLAlchemy writes
(``_sqlite_canonical``), and an analysis whose stored output lacks a field or has a confidence
that is not a number (``_AI_REQUIRED``); ``server.leads.wire`` builds those.

The JSON is exactly what the pydantic views give (tests/server/sync/test_page_sql.py and
test_wire.py compare every pulled row with them, field by field and in field order). The SQL
is put together once per dialect from table, column and enum names only (hence the ``S608``
exemptions); the request's values are bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Column, TextClause, Uuid, bindparam, text

from server.leads import wire
from server.leads.views import end_of_today
from server.models import SYNCED_MODELS
from server.models.base import UTCDateTime, table_of
from server.models.business import Business
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from server.models.sync import SyncCounter, SyncTombstone
from shared.models.enums import GateReason

# (tag, model) in the order of ``SYNCED_MODELS``, then tombstones.
_TABLES: tuple[tuple[str, Any], ...] = (
    *((model.__sync_entity__, model) for model in SYNCED_MODELS),
    ("tombstone", SyncTombstone),
)
_GATE_REASONS = ", ".join(f"'{reason.value}'" for reason in GateReason)
_DATABASE_WRITTEN = ("lead", "message", "follow_up", "ai_analysis")
# The AI output fields an analysis row must hold for the database to write it (``spam`` may be
# missing: it is then false); a row without one of them is left to Python, as is one whose
# confidence is not a number (``wire.analysis_row`` would convert it).
_AI_REQUIRED = tuple(name for name in wire.AI_PARSED if name not in ("created_at", "spam"))
_FOLLOW_UP_STATE = (
    "CASE WHEN t.status != 'scheduled' THEN t.status"
    " WHEN t.scheduled_at < :now THEN 'overdue'"
    " WHEN t.scheduled_at < :today_ends THEN 'due' ELSE 'scheduled' END"
)

# A field of ``data``: (name, column) for a stored value, (name, SQL) for a computed one.
Field = tuple[str, Column[Any] | str]


def _fields(tag: str) -> list[Field]:
    if tag == "lead":
        table = table_of(Lead)
        return [
            *((name, table.c[name]) for name in wire.LEAD_FIELDS),
            ("gate", "GATE"),
            ("opened_at", table.c.opened_at),
        ]
    if tag == "message":
        return [(name, table_of(Message).c[name]) for name in wire.MESSAGE_FIELDS]
    if tag == "ai_analysis":  # as ``wire.analysis_row``: the AI output, then the row's columns
        table = table_of(AIAnalysis)
        out: list[Field] = []
        for name in wire.AI_PARSED:
            if name == "created_at":
                out += [(column, table.c[column]) for column in ("provider", "model", "status")]
                out.append(("created_at", table.c.created_at))
            else:
                out.append((name, f"PARSED:{name}"))
        return [*out, ("id", table.c.id), ("lead_id", table.c.lead_id)]
    table = table_of(FollowUp)
    return [
        ("id", table.c.id),
        ("lead_id", table.c.lead_id),
        ("status", table.c.status),
        ("state", _FOLLOW_UP_STATE),
        ("scheduled_at", table.c.scheduled_at),
        ("sent_at", table.c.sent_at),
        ("canceled_at", table.c.canceled_at),
        ("error", table.c.error),
        ("customer_name", "NULL"),
        ("service_needed", "NULL"),
        ("version", table.c.version),
    ]


# --- SQLite: stored values are text (UUIDs as 32 hex digits, UTC times as
# ``YYYY-MM-DD HH:MM:SS[.ffffff]``, booleans 0/1, JSON as text), printed as pydantic prints them.


def _sqlite_uuid(c: str) -> str:
    return (
        f"substr({c}, 1, 8) || '-' || substr({c}, 9, 4) || '-' || substr({c}, 13, 4)"
        f" || '-' || substr({c}, 17, 4) || '-' || substr({c}, 21)"
    )


def _sqlite_time(c: str, utc: str = "Z") -> str:
    # pydantic leaves out a fraction of zero microseconds; ``opened_at`` has always been sent in
    # ``isoformat()`` form, which ends in ``+00:00``. The one space is the date/time separator.
    return f"replace(replace({c}, ' ', 'T') || '{utc}', '.000000{utc}', '{utc}')"


def _sqlite_bool(c: str) -> str:
    return f"CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN json('true') ELSE json('false') END"


def _sqlite_value(name: str, column: Column[Any]) -> str:
    c = f"t.{column.name}"
    kind = column.type
    if isinstance(kind, Uuid):
        return _sqlite_uuid(c)
    if isinstance(kind, UTCDateTime):
        return _sqlite_time(c, "+00:00" if name == "opened_at" else "Z")
    if isinstance(kind, Boolean):
        return _sqlite_bool(c)
    if isinstance(kind, JSON):
        return f"json({c})"
    return c


def _sqlite_canonical(fields: Sequence[Field]) -> str:
    """True when every UUID and time of the row is stored in SQLAlchemy's form (the forms the
    expressions above print); another row is built in Python instead."""
    checks = []
    for _, column in fields:
        if isinstance(column, str):
            continue
        c = f"t.{column.name}"
        if isinstance(column.type, Uuid):
            check = f"length({c}) = 32"
        elif isinstance(column.type, UTCDateTime):
            check = f"length({c}) IN (19, 26) AND substr({c}, 11, 1) = ' '"
        else:
            continue
        checks.append(f"({check})" if not column.nullable else f"({c} IS NULL OR {check})")
    return " AND ".join(checks)


def _sqlite_data(tag: str) -> tuple[str, str]:
    fields = _fields(tag)
    parts = []
    for name, column in fields:
        if isinstance(column, str) and column == "GATE":
            value = (
                "CASE WHEN t.gate_allowed IS NULL THEN NULL ELSE json_object("  # noqa: S608
                f"'allowed', {_sqlite_bool('t.gate_allowed')}, 'reasons', "
                "(SELECT json_group_array(r.value) FROM json_each(t.gate_reasons) AS r"
                f" WHERE r.type = 'text' AND r.value IN ({_GATE_REASONS}))) END"
            )
        elif isinstance(column, str) and column.startswith("PARSED:"):
            value = _sqlite_parsed(name)
        elif isinstance(column, str):
            value = column
        else:
            value = _sqlite_value(name, column)
        parts.append(f"'{name}', {value}")
    canonical = _sqlite_canonical(fields)
    if tag == "ai_analysis":
        present = " AND ".join(
            f"json_type(t.parsed, '$.{name}') IS NOT NULL" for name in _AI_REQUIRED
        )
        canonical += (
            f" AND {present} AND json_type(t.parsed, '$.confidence_score') IN ('integer', 'real')"
        )
    return f"json_object({', '.join(parts)})", canonical


def _sqlite_parsed(name: str) -> str:
    """A field of an analysis's ``parsed`` JSON (``->`` keeps it JSON inside ``json_object``)."""
    if name == "confidence_score":  # a float, as ``float()`` makes it
        return (
            "CASE json_type(t.parsed, '$.confidence_score') WHEN 'integer'"
            " THEN CAST(t.parsed ->> '$.confidence_score' AS REAL)"
            " ELSE t.parsed -> '$.confidence_score' END"
        )
    if name == "spam":
        return "coalesce(t.parsed -> '$.spam', json('false'))"
    return f"t.parsed -> '$.{name}'"


def _sqlite_body(tag: str) -> str:
    if tag == "tombstone":
        return (
            "json_object('entity', t.entity, 'id', "
            f"CASE WHEN length(t.entity_id) = 32 THEN {_sqlite_uuid('t.entity_id')}"
            " ELSE lower(t.entity_id) END,"
            " 'version', t.version, 'deleted', json('true'), 'data', NULL)"
        )
    if tag not in _DATABASE_WRITTEN:
        return "NULL"
    data, canonical = _sqlite_data(tag)
    return (
        f"CASE WHEN {canonical} THEN json_object('entity', '{tag}', 'id', {_sqlite_uuid('t.id')},"
        f" 'version', t.version, 'deleted', json('false'), 'data', {data}) END"
    )


# --- PostgreSQL: typed values; ``row_to_json`` writes UUIDs, booleans and JSONB as JSON, times
# are printed with ``to_char`` (its own format drops trailing zeros of the fraction).


def _pg_time(c: str, utc: str = "Z") -> str:
    return (
        f"replace(to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '{utc}',"
        f" '.000000{utc}', '{utc}')"
    )


def _pg_data(tag: str) -> str:
    parts = []
    for name, column in _fields(tag):
        if isinstance(column, str) and column == "GATE":
            value = (
                "CASE WHEN t.gate_allowed IS NULL THEN NULL ELSE json_build_object("  # noqa: S608
                "'allowed', t.gate_allowed, 'reasons', coalesce((SELECT json_agg(r.value ORDER BY"
                " r.n) FROM jsonb_array_elements_text(CASE jsonb_typeof(t.gate_reasons) WHEN"
                " 'array' THEN t.gate_reasons END) WITH ORDINALITY AS r(value, n)"
                f" WHERE r.value IN ({_GATE_REASONS})), '[]'::json)) END"
            )
        elif isinstance(column, str) and column == "NULL":
            value = "NULL::text"
        elif isinstance(column, str) and column.startswith("PARSED:"):
            value = _pg_parsed(name)
        elif isinstance(column, str):
            value = column
        elif isinstance(column.type, UTCDateTime):
            value = _pg_time(f"t.{column.name}", "+00:00" if name == "opened_at" else "Z")
        else:
            value = f"t.{column.name}"
        parts.append(f'{value} AS "{name}"')
    return ", ".join(parts)


def _pg_parsed(name: str) -> str:
    if name == "confidence_score":  # a float, as ``float()`` makes it: ``1`` is written ``1.0``
        return (
            "CASE WHEN (t.parsed ->> 'confidence_score') ~ '^-?[0-9]+$'"
            " THEN ((t.parsed ->> 'confidence_score') || '.0')::jsonb"
            " ELSE t.parsed -> 'confidence_score' END"
        )
    if name == "spam":
        return "coalesce(t.parsed -> 'spam', 'false'::jsonb)"
    return f"t.parsed -> '{name}'"


def _pg_written(tag: str) -> str:
    """When the database writes a row of ``tag`` (see ``_AI_REQUIRED``)."""
    if tag != "ai_analysis":
        return "true"
    required = ", ".join(f"'{name}'" for name in _AI_REQUIRED)
    return (
        f"t.parsed ?& array[{required}] AND jsonb_typeof(t.parsed -> 'confidence_score') = 'number'"
    )


def _pg_arm(tag: str, table: str, owner: str, bound: str) -> str:
    where = f"t.{owner} = :business AND t.version > :cursor AND t.version <= {bound}"
    if tag == "tombstone":
        return (
            "SELECT 'tombstone' AS tag, t.entity_id AS id, t.version, row_to_json(c)::text AS body"  # noqa: S608
            f" FROM {table} AS t CROSS JOIN LATERAL (SELECT t.entity AS entity,"
            " t.entity_id AS id, t.version AS version, true AS deleted, NULL::json AS data) AS c"
            f" WHERE {where}"
        )
    if tag not in _DATABASE_WRITTEN:
        return (
            f"SELECT '{tag}' AS tag, t.id, t.version, NULL::text AS body"  # noqa: S608
            f" FROM {table} AS t WHERE {where}"
        )
    return (
        f"SELECT '{tag}' AS tag, t.id, t.version,"  # noqa: S608
        f" CASE WHEN {_pg_written(tag)} THEN row_to_json(c)::text END AS body FROM {table} AS t"
        f" CROSS JOIN LATERAL (SELECT {_pg_data(tag)}) AS d"
        f" CROSS JOIN LATERAL (SELECT '{tag}' AS entity, t.id AS id, t.version AS version,"
        " false AS deleted, d AS data) AS c"
        f" WHERE {where}"
    )


def _sqlite_arm(tag: str, table: str, owner: str, bound: str) -> str:
    id_column = "entity_id" if tag == "tombstone" else "id"
    return (
        f"SELECT '{tag}' AS tag, t.{id_column} AS id, t.version AS version,"  # noqa: S608
        f" {_sqlite_body(tag)} AS body FROM {table} AS t"
        f" WHERE t.{owner} = :business AND t.version > :cursor AND t.version <= {bound}"
    )


def _statement_sql(dialect: str) -> str:
    arm: Callable[[str, str, str, str], str] = _pg_arm if dialect == "postgresql" else _sqlite_arm
    counter = table_of(SyncCounter).name
    found_arms, page_arms = [], []
    for tag, model in _TABLES:
        table = table_of(model).name
        owner = "id" if model is Business else "business_id"
        found_arms.append(
            f"SELECT version FROM (SELECT version FROM {table} WHERE {owner} = :business"  # noqa: S608
            " AND version > :cursor AND version <= (SELECT version FROM head)"
            " ORDER BY version LIMIT :more) AS f"
        )
        page_arms.append(arm(tag, table, owner, "(SELECT last FROM bound)"))
    union = "\n UNION ALL ".join
    return f"""
WITH head AS (
  SELECT coalesce((SELECT version FROM {counter} WHERE business_id = :business), 0) AS version
),
found AS (
  SELECT version FROM ({union(found_arms)}) AS arms ORDER BY version LIMIT :more
),
bound AS (
  SELECT head.version AS head,
         CASE WHEN (SELECT count(*) FROM found) > :limit
              THEN (SELECT version FROM found ORDER BY version LIMIT 1 OFFSET :offset)
              ELSE head.version END AS last,
         (SELECT count(*) FROM found) > :limit AS more
  FROM head
)
SELECT bound.head, bound.last, bound.more, page.tag, page.id, page.version, page.body
FROM bound LEFT JOIN ({union(page_arms)}) AS page ON true
ORDER BY page.version
"""  # noqa: S608


@cache
def page_statement(dialect: str) -> TextClause:
    """The page statement for ``dialect`` (``sqlite`` or ``postgresql``). Parameters:
    ``business``, ``cursor``, ``limit``, ``more`` (= limit + 1), ``offset`` (= limit - 1),
    ``now`` and ``today_ends`` (the follow-ups' ``state``). Rows: ``head, last, more`` (the
    same on every row), then ``tag, id, version, body`` of each change in version order (NULL
    on the one row of an empty page); ``body`` is the change's JSON text, or NULL when Python
    builds it; ``id`` is the stored value (32 hex digits on SQLite)."""
    return text(_statement_sql(dialect)).bindparams(
        bindparam("business", type_=Uuid()),
        bindparam("now", type_=UTCDateTime()),
        bindparam("today_ends", type_=UTCDateTime()),
    )


def page_parameters(business_id: Any, cursor: int, limit: int, now: Any) -> dict[str, Any]:
    """The bound parameters of ``page_statement`` for one page."""
    return {
        "business": business_id,
        "cursor": cursor,
        "limit": limit,
        "more": limit + 1,
        "offset": limit - 1,
        "now": now,
        "today_ends": end_of_today(now, "UTC"),
    }

"""The statement of one pull page, with the rows' JSON written by the database.

A bootstrap page is 500 rows of about 30 values each. Turning each value into a Python object,
a dict per row and the page into JSON cost the server most of a page's time; the database
writes the same JSON in C (SQLite ``json_object``, PostgreSQL ``row_to_json``) and Python only
joins the texts. One statement reads the head version, finds the page's boundary over the
``(business_id, version)`` indexes and returns every change of the page in version order, so a
page is one round trip and one snapshot.

Leads, messages, follow-ups and tombstones are written by the database. Businesses, forms
(their views need the settings) and AI analyses (their view validates the stored JSON) come
back with ``body`` NULL and are built by ``server.leads.views``/``server.leads.wire`` in Python,
as is, on SQLite, a lead, message or follow-up row whose stored values are not in the form
SQLAlchemy writes (``_sqlite_canonical``); those rows are rare.

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
from server.models.base import UTCDateTime, table_of
from server.models.business import Business, Form
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from server.models.sync import SyncCounter, SyncTombstone
from shared.models.enums import GateReason

# (tag, model) in the order of ``SYNCED_MODELS``, then tombstones.
_TABLES: tuple[tuple[str, Any], ...] = (
    ("lead", Lead),
    ("message", Message),
    ("follow_up", FollowUp),
    ("ai_analysis", AIAnalysis),
    ("business", Business),
    ("form", Form),
    ("tombstone", SyncTombstone),
)
_GATE_REASONS = ", ".join(f"'{reason.value}'" for reason in GateReason)
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
    table = table_of(FollowUp)
    return [
        ("id", table.c.id),
        ("lead_id", table.c.lead_id),
        ("status", table.c.status),
        ("state", _FOLLOW_UP_STATE),
        ("scheduled_at", table.c.scheduled_at),
        ("sent_at", table.c.sent_at),
        ("canceled_at", table.c.canceled_at),
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
        elif isinstance(column, str):
            value = column
        else:
            value = _sqlite_value(name, column)
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})", _sqlite_canonical(fields)


def _sqlite_body(tag: str) -> str:
    if tag == "tombstone":
        return (
            "json_object('entity', t.entity, 'id', "
            f"CASE WHEN length(t.entity_id) = 32 THEN {_sqlite_uuid('t.entity_id')}"
            " ELSE lower(t.entity_id) END,"
            " 'version', t.version, 'deleted', json('true'), 'data', NULL)"
        )
    if tag not in ("lead", "message", "follow_up"):
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
        elif isinstance(column, str):
            value = column
        elif isinstance(column.type, UTCDateTime):
            value = _pg_time(f"t.{column.name}", "+00:00" if name == "opened_at" else "Z")
        else:
            value = f"t.{column.name}"
        parts.append(f'{value} AS "{name}"')
    return ", ".join(parts)


def _pg_arm(tag: str, table: str, owner: str, bound: str) -> str:
    where = f"t.{owner} = :business AND t.version > :cursor AND t.version <= {bound}"
    if tag == "tombstone":
        return (
            "SELECT 'tombstone' AS tag, t.entity_id AS id, t.version, row_to_json(c)::text AS body"  # noqa: S608
            f" FROM {table} AS t CROSS JOIN LATERAL (SELECT t.entity AS entity,"
            " t.entity_id AS id, t.version AS version, true AS deleted, NULL::json AS data) AS c"
            f" WHERE {where}"
        )
    if tag not in ("lead", "message", "follow_up"):
        return (
            f"SELECT '{tag}' AS tag, t.id, t.version, NULL::text AS body"  # noqa: S608
            f" FROM {table} AS t WHERE {where}"
        )
    return (
        f"SELECT '{tag}' AS tag, t.id, t.version, row_to_json(c)::text AS body FROM {table} AS t"  # noqa: S608
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

"""The statement of one pull page, with the rows' JSON written by the database.

One statement reads the head version, finds the page's boundary over the
``(business_id, version)`` indexes and returns every change of the page in version order, so a
page is one round trip and one snapshot. The JSON of each lead, message, follow-up, AI analysis
and tombstone is written by the database (SQLite ``json_object``, PostgreSQL ``row_to_json``)
and Python only joins the texts (docs/BENCHMARKS.md has the measurements behind this).

The SQL of a row is made from the entity's description in ``server.leads.wire``, the same one
the Python encoder is made from. Businesses and forms (their views need the settings) come back
with ``body`` NULL and are built in Python, as is a row the SQL cannot write exactly: on SQLite
one whose stored UUIDs or times are not in the form SQLAlchemy writes (``_sqlite_canonical``),
and an analysis whose stored output lacks a required key or has a confidence that is not a
number.

The SQL is put together once per dialect from table, column and enum names only (hence the
``S608`` exemptions); the request's values are bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import TextClause, Uuid, bindparam, text

from server.leads.wire import ENTITIES, Entity, Gate, Null, Output, Source, State, Stored
from server.models import SYNCED_MODELS
from server.models.base import UTCDateTime, table_of
from server.models.business import Business
from server.models.sync import SyncCounter, SyncTombstone
from shared.models.enums import FollowUpStatus, GateReason
from shared.models.follow_ups import WINDOWS, FollowUpDay

# (tag, model) in the order of ``SYNCED_MODELS``, then tombstones.
_TABLES: tuple[tuple[str, Any], ...] = (
    *((model.__sync_entity__, model) for model in SYNCED_MODELS),
    ("tombstone", SyncTombstone),
)
_GATE_REASONS = ", ".join(f"'{reason.value}'" for reason in GateReason)


def _follow_up_state(source: State) -> str:
    """``shared.models.follow_ups``'s rule as a ``CASE``; its moments are bound parameters."""
    status, scheduled_at = f"t.{source.status.name}", f"t.{source.scheduled_at.name}"
    arms = [f"WHEN {status} != '{FollowUpStatus.SCHEDULED.value}' THEN {status}"]
    for state, until in WINDOWS:
        arms.append(
            f"ELSE '{state.value}'"
            if until is None
            else f"WHEN {scheduled_at} < :{until} THEN '{state.value}'"
        )
    return f"CASE {' '.join(arms)} END"


def _required(entity: Entity) -> list[Output]:
    """The output keys a row must hold for the database to write it."""
    return [f.source for f in entity.fields if isinstance(f.source, Output) and f.source.required]


# --- SQLite: stored values are text (UUIDs as 32 hex digits, UTC times as
# ``YYYY-MM-DD HH:MM:SS[.ffffff]``, booleans 0/1, JSON as text), printed as pydantic prints them.


def _sqlite_uuid(c: str) -> str:
    return (
        f"substr({c}, 1, 8) || '-' || substr({c}, 9, 4) || '-' || substr({c}, 13, 4)"
        f" || '-' || substr({c}, 17, 4) || '-' || substr({c}, 21)"
    )


def _sqlite_time(c: str, utc: str = "Z") -> str:
    # pydantic leaves out a fraction of zero microseconds; the one space is the date/time
    # separator.
    return f"replace(replace({c}, ' ', 'T') || '{utc}', '.000000{utc}', '{utc}')"


def _sqlite_bool(c: str) -> str:
    return f"CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN json('true') ELSE json('false') END"


def _sqlite_value(source: Source) -> str:
    if isinstance(source, Stored):
        c = f"t.{source.column.name}"
        if source.kind == "uuid":
            return _sqlite_uuid(c)
        if source.kind == "time":
            return _sqlite_time(c, "+00:00" if source.offset_utc else "Z")
        if source.kind == "bool":
            return _sqlite_bool(c)
        if source.kind == "json":
            return f"json({c})"
        return c
    if isinstance(source, Gate):
        allowed, reasons = f"t.{source.allowed.name}", f"t.{source.reasons.name}"
        return (
            f"CASE WHEN {allowed} IS NULL THEN NULL ELSE json_object("  # noqa: S608
            f"'allowed', {_sqlite_bool(allowed)}, 'reasons', "
            f"(SELECT json_group_array(r.value) FROM json_each({reasons}) AS r"
            f" WHERE r.type = 'text' AND r.value IN ({_GATE_REASONS}))) END"
        )
    if isinstance(source, State):
        return _follow_up_state(source)
    if isinstance(source, Output):
        c, key = f"t.{source.column.name}", source.key
        value = f"{c} -> '$.{key}'"  # ``->`` keeps it JSON inside ``json_object``
        if source.number:
            value = (
                f"CASE json_type({c}, '$.{key}') WHEN 'integer'"
                f" THEN CAST({c} ->> '$.{key}' AS REAL) ELSE {value} END"
            )
        if not source.required and source.default is not None:
            value = f"coalesce({value}, json('{json.dumps(source.default)}'))"
        return value
    assert isinstance(source, Null)
    return "NULL"


def _sqlite_canonical(entity: Entity) -> str:
    """True when the row can be written by the SQL: every UUID and time it reads is stored in
    SQLAlchemy's form (the forms the expressions above print), and every required output key
    is there with a numeric confidence. Another row is built in Python instead."""
    checks = []
    for column in entity.columns:
        c = f"t.{column.name}"
        if isinstance(column.type, Uuid):
            check = f"length({c}) = 32"
        elif isinstance(column.type, UTCDateTime):
            check = f"length({c}) IN (19, 26) AND substr({c}, 11, 1) = ' '"
        else:
            continue
        checks.append(f"({check})" if not column.nullable else f"({c} IS NULL OR {check})")
    for output in _required(entity):
        c = f"t.{output.column.name}"
        if output.number:
            checks.append(f"json_type({c}, '$.{output.key}') IN ('integer', 'real')")
        else:
            checks.append(f"json_type({c}, '$.{output.key}') IS NOT NULL")
    return " AND ".join(checks)


def _sqlite_body(tag: str) -> str:
    if tag == "tombstone":
        return (
            "json_object('entity', t.entity, 'id', "
            f"CASE WHEN length(t.entity_id) = 32 THEN {_sqlite_uuid('t.entity_id')}"
            " ELSE lower(t.entity_id) END,"
            " 'version', t.version, 'deleted', json('true'), 'data', NULL)"
        )
    entity = ENTITIES.get(tag)
    if entity is None:
        return "NULL"
    data = ", ".join(f"'{f.name}', {_sqlite_value(f.source)}" for f in entity.fields)
    return (
        f"CASE WHEN {_sqlite_canonical(entity)} THEN json_object('entity', '{tag}', 'id',"
        f" {_sqlite_uuid('t.id')}, 'version', t.version, 'deleted', json('false'),"
        f" 'data', json_object({data})) END"
    )


# --- PostgreSQL: typed values; ``row_to_json`` writes UUIDs, booleans and JSONB as JSON, times
# are printed with ``to_char`` (its own format drops trailing zeros of the fraction).


def _pg_time(c: str, utc: str = "Z") -> str:
    return (
        f"replace(to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '{utc}',"
        f" '.000000{utc}', '{utc}')"
    )


def _pg_value(source: Source) -> str:
    if isinstance(source, Stored):
        c = f"t.{source.column.name}"
        if source.kind == "time":
            return _pg_time(c, "+00:00" if source.offset_utc else "Z")
        return c
    if isinstance(source, Gate):
        allowed, reasons = f"t.{source.allowed.name}", f"t.{source.reasons.name}"
        return (
            f"CASE WHEN {allowed} IS NULL THEN NULL ELSE json_build_object("  # noqa: S608
            f"'allowed', {allowed}, 'reasons', coalesce((SELECT json_agg(r.value ORDER BY"
            f" r.n) FROM jsonb_array_elements_text(CASE jsonb_typeof({reasons}) WHEN"
            f" 'array' THEN {reasons} END) WITH ORDINALITY AS r(value, n)"
            f" WHERE r.value IN ({_GATE_REASONS})), '[]'::json)) END"
        )
    if isinstance(source, State):
        return _follow_up_state(source)
    if isinstance(source, Output):
        c, key = f"t.{source.column.name}", source.key
        value = f"{c} -> '{key}'"
        if source.number:  # a float, as ``float()`` makes it: ``1`` is written ``1.0``
            value = (
                f"CASE WHEN ({c} ->> '{key}') ~ '^-?[0-9]+$'"
                f" THEN (({c} ->> '{key}') || '.0')::jsonb ELSE {value} END"
            )
        if not source.required and source.default is not None:
            value = f"coalesce({value}, '{json.dumps(source.default)}'::jsonb)"
        return value
    assert isinstance(source, Null)
    return "NULL::text"


def _pg_data(entity: Entity) -> str:
    return ", ".join(f'{_pg_value(f.source)} AS "{f.name}"' for f in entity.fields)


def _pg_written(entity: Entity) -> str:
    """When the database writes a row of ``entity``: every required output key is there, with
    a numeric confidence."""
    required = _required(entity)
    if not required:
        return "true"
    c = f"t.{required[0].column.name}"
    keys = ", ".join(f"'{output.key}'" for output in required)
    numbers = [f" AND jsonb_typeof({c} -> '{o.key}') = 'number'" for o in required if o.number]
    return f"{c} ?& array[{keys}]{''.join(numbers)}"


def _pg_arm(tag: str, table: str, owner: str, bound: str) -> str:
    where = f"t.{owner} = :business AND t.version > :cursor AND t.version <= {bound}"
    if tag == "tombstone":
        return (
            "SELECT 'tombstone' AS tag, t.entity_id AS id, t.version, row_to_json(c)::text AS body"  # noqa: S608
            f" FROM {table} AS t CROSS JOIN LATERAL (SELECT t.entity AS entity,"
            " t.entity_id AS id, t.version AS version, true AS deleted, NULL::json AS data) AS c"
            f" WHERE {where}"
        )
    entity = ENTITIES.get(tag)
    if entity is None:
        return (
            f"SELECT '{tag}' AS tag, t.id, t.version, NULL::text AS body"  # noqa: S608
            f" FROM {table} AS t WHERE {where}"
        )
    return (
        f"SELECT '{tag}' AS tag, t.id, t.version,"  # noqa: S608
        f" CASE WHEN {_pg_written(entity)} THEN row_to_json(c)::text END AS body"
        f" FROM {table} AS t CROSS JOIN LATERAL (SELECT {_pg_data(entity)}) AS d"
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


def page_parameters(business_id: Any, cursor: int, limit: int, day: FollowUpDay) -> dict[str, Any]:
    """The bound parameters of ``page_statement`` for one page; ``day`` is the business's
    (``FollowUpDay.of(now, business.timezone)``)."""
    return {
        "business": business_id,
        "cursor": cursor,
        "limit": limit,
        "more": limit + 1,
        "offset": limit - 1,
        "now": day.now,
        "today_ends": day.today_ends,
    }

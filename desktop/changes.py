"""How the changes of one ``/sync`` page land in the local copy, in batches.

A bootstrap brings 500 changes a page: one statement per row would spend most of the time in
Python and SQLite call overhead, so each entity's changes are written together, with
``executemany``, after one query that finds the versions already stored. The caller
(``LocalStore.apply_page``) holds the transaction; nothing here commits.

Rules kept from row-by-row application: an older version never replaces a newer one; a deleted
row takes its search row with it; a lead new outside a bootstrap is reported (and unread), and so
is a new customer message on a lead that already had one (the lead's own request, stored as its
first message within a few seconds of the lead, is not a second alert).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from shared.models.enums import MessageDirection, SyncEntity

if TYPE_CHECKING:
    from desktop.wire import SyncChange

# A lead's own request is stored as its first customer message in the same transaction.
FIRST_MESSAGE_WINDOW_S = 5.0

TABLES = {
    SyncEntity.LEAD: "leads",
    SyncEntity.MESSAGE: "messages",
    SyncEntity.FOLLOW_UP: "follow_ups",
    SyncEntity.AI_ANALYSIS: "ai_analyses",
    SyncEntity.BUSINESS: "business",
    SyncEntity.FORM: "form",
}
# Leads before the rows that point at them (a new message looks at its lead's time).
ORDER = tuple(TABLES)
IDS = "SELECT value FROM json_each(?)"

UPSERT_LEAD = (
    "INSERT INTO leads (id, version, status, comm_status, urgency, customer_name,"
    " customer_email, customer_phone, service_needed, created_at, last_activity_at,"
    " gate_allowed, gate_reasons, unread)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 0))"
    " ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = excluded.status,"
    " comm_status = excluded.comm_status, urgency = excluded.urgency,"
    " customer_name = excluded.customer_name, customer_email = excluded.customer_email,"
    " customer_phone = excluded.customer_phone, service_needed = excluded.service_needed,"
    " created_at = excluded.created_at, last_activity_at = excluded.last_activity_at,"
    " gate_allowed = excluded.gate_allowed, gate_reasons = excluded.gate_reasons"
)
UPSERTS = {
    SyncEntity.MESSAGE: "INSERT OR REPLACE INTO messages"
    " (id, lead_id, version, type, direction, created_at, client_id, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    SyncEntity.FOLLOW_UP: "INSERT OR REPLACE INTO follow_ups"
    " (id, lead_id, version, status, scheduled_at, data) VALUES (?, ?, ?, ?, ?, ?)",
    SyncEntity.AI_ANALYSIS: "INSERT OR REPLACE INTO ai_analyses (id, lead_id, version, data)"
    " VALUES (?, ?, ?, ?)",
    SyncEntity.BUSINESS: "INSERT OR REPLACE INTO business (id, version, data) VALUES (?, ?, ?)",
    SyncEntity.FORM: "INSERT OR REPLACE INTO form (id, version, data) VALUES (?, ?, ?)",
}


@dataclass
class AppliedChanges:
    """What one applied page changed, for the UI and the notifier."""

    cursor: int
    bootstrap: bool
    count: int = 0
    new_leads: list[str] = field(default_factory=list)
    new_customer_messages: list[tuple[str, str]] = field(default_factory=list)  # (lead, message)
    leads: set[str] = field(default_factory=set)
    follow_ups: bool = False
    business: bool = False
    form: bool = False


def blob(data: dict[str, Any]) -> str:
    return orjson.dumps(data).decode()


def ids_json(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


def apply_changes(
    db: sqlite3.Connection, changes: list[SyncChange], result: AppliedChanges
) -> None:
    """Write ``changes`` (one page, in version order) and record what they did in ``result``."""
    latest: dict[SyncEntity, dict[str, SyncChange]] = {entity: {} for entity in ORDER}
    for change in changes:  # each row once, in its latest state, even if a page repeats it
        rows = latest[change.entity]
        key = str(change.id)
        if key not in rows or change.version >= rows[key].version:
            rows[key] = change
    deleted_leads: set[str] = set()
    for entity in ORDER:
        rows = latest[entity]
        if not rows:
            continue
        table = TABLES[entity]
        stored = stored_rows(db, table, rows)
        gone = [key for key, change in rows.items() if change.deleted or change.data is None]
        fresh = [
            (key, change)
            for key, change in rows.items()
            if not (change.deleted or change.data is None)
            and not (key in stored and stored[key][0] > change.version)
        ]
        if gone:
            delete_rows(db, entity, gone, stored, result)
            if entity is SyncEntity.LEAD:
                deleted_leads.update(gone)
        if fresh:
            write_rows(db, entity, fresh, stored, result)
    result.leads -= deleted_leads


def stored_rows(
    db: sqlite3.Connection, table: str, rows: dict[str, SyncChange]
) -> dict[str, tuple[int, str | None]]:
    """``{id: (version, lead id)}`` of the page's rows already in ``table``."""
    lead = "lead_id" if table in ("messages", "follow_ups", "ai_analyses") else "NULL"
    found = db.execute(
        f"SELECT id, version, {lead} FROM {table} WHERE id IN ({IDS})",  # noqa: S608 - fixed names
        [ids_json(rows)],
    )
    return {key: (version, lead_id) for key, version, lead_id in found}


def delete_rows(
    db: sqlite3.Connection,
    entity: SyncEntity,
    keys: list[str],
    stored: dict[str, tuple[int, str | None]],
    result: AppliedChanges,
) -> None:
    table = TABLES[entity]
    ids = ids_json(keys)
    if entity is SyncEntity.LEAD:
        db.execute(
            f"DELETE FROM leads_fts WHERE rowid IN (SELECT rid FROM leads WHERE id IN ({IDS}))",  # noqa: S608
            [ids],
        )
        db.execute(f"DELETE FROM lead_data WHERE id IN ({IDS})", [ids])  # noqa: S608
    elif entity in (SyncEntity.MESSAGE, SyncEntity.AI_ANALYSIS):
        result.leads.update(lead for key in keys if (lead := (stored.get(key) or (0, None))[1]))
    result.follow_ups |= entity is SyncEntity.FOLLOW_UP
    db.execute(f"DELETE FROM {table} WHERE id IN ({IDS})", [ids])  # noqa: S608


def write_rows(
    db: sqlite3.Connection,
    entity: SyncEntity,
    rows: list[tuple[str, SyncChange]],
    stored: dict[str, tuple[int, str | None]],
    result: AppliedChanges,
) -> None:
    if entity is SyncEntity.LEAD:
        write_leads(db, rows, stored, result)
        return
    if entity is SyncEntity.MESSAGE:
        if not result.bootstrap:
            note_customer_messages(db, rows, stored, result)
        params: list[tuple[Any, ...]] = []
        for key, change in rows:
            data = change.data or {}
            lead_id = str(data.get("lead_id"))
            params.append(
                (
                    key,
                    lead_id,
                    change.version,
                    data.get("type"),
                    data.get("direction"),
                    data.get("created_at"),
                    data.get("client_id"),
                    blob(data),
                )
            )
            result.leads.add(lead_id)
    elif entity is SyncEntity.FOLLOW_UP:
        params = [
            (
                key,
                str((change.data or {}).get("lead_id")),
                change.version,
                (change.data or {}).get("status"),
                (change.data or {}).get("scheduled_at"),
                blob(change.data or {}),
            )
            for key, change in rows
        ]
        result.follow_ups = True
    elif entity is SyncEntity.AI_ANALYSIS:
        params = []
        for key, change in rows:
            lead_id = str((change.data or {}).get("lead_id"))
            params.append((key, lead_id, change.version, blob(change.data or {})))
            result.leads.add(lead_id)
    else:
        params = [(key, change.version, blob(change.data or {})) for key, change in rows]
        result.business |= entity is SyncEntity.BUSINESS
        result.form |= entity is SyncEntity.FORM
    db.executemany(UPSERTS[entity], params)


def write_leads(
    db: sqlite3.Connection,
    rows: list[tuple[str, SyncChange]],
    stored: dict[str, tuple[int, str | None]],
    result: AppliedChanges,
) -> None:
    columns: list[tuple[Any, ...]] = []
    blobs: list[tuple[str, str]] = []
    for key, change in rows:
        data = change.data or {}
        gate_allowed = data.get("gate_allowed")
        gate_reasons = data.get("gate_reasons")
        if isinstance(data.get("gate"), dict):
            gate_allowed = data["gate"].get("allowed")
            gate_reasons = data["gate"].get("reasons")
        new = key not in stored
        unread = 1 if new and (not result.bootstrap or data.get("status") == "new") else None
        columns.append(
            (
                key,
                change.version,
                data.get("status"),
                data.get("comm_status"),
                data.get("urgency"),
                data.get("customer_name"),
                data.get("customer_email"),
                data.get("customer_phone"),
                data.get("service_needed"),
                data.get("created_at"),
                data.get("last_activity_at"),
                None if gate_allowed is None else int(bool(gate_allowed)),
                None if gate_reasons is None else json.dumps(gate_reasons),
                unread,
            )
        )
        blobs.append((key, blob(data)))
        result.leads.add(key)
        if new and not result.bootstrap:
            result.new_leads.append(key)
    db.executemany(UPSERT_LEAD, columns)
    db.executemany("INSERT OR REPLACE INTO lead_data (id, data) VALUES (?, ?)", blobs)


def note_customer_messages(
    db: sqlite3.Connection,
    rows: list[tuple[str, SyncChange]],
    stored: dict[str, tuple[int, str | None]],
    result: AppliedChanges,
) -> None:
    """Report each new customer message on a lead that already had one, before the page's
    messages are written (so an earlier message of this page counts, a later one does not)."""
    seen: set[str] = set()
    for key, change in rows:
        data = change.data or {}
        if key in stored or data.get("direction") != MessageDirection.INBOUND:
            continue
        lead_id = str(data.get("lead_id"))
        earlier = lead_id in seen or has_earlier_inbound(db, lead_id, key, data.get("created_at"))
        seen.add(lead_id)
        if earlier and lead_id not in result.new_leads:
            result.new_customer_messages.append((lead_id, key))
            db.execute("UPDATE leads SET unread = 1 WHERE id = ?", [lead_id])


def has_earlier_inbound(
    db: sqlite3.Connection, lead_id: str, message_id: str, created_at: str | None
) -> bool:
    """Whether the lead already had a customer message (its first one is the lead itself)."""
    row = db.execute(
        "SELECT 1 FROM messages WHERE lead_id = ? AND direction = 'inbound' AND id != ? LIMIT 1",
        [lead_id, message_id],
    ).fetchone()
    if row is not None:
        return True
    lead = db.execute("SELECT created_at FROM leads WHERE id = ?", [lead_id]).fetchone()
    if lead is None or not lead[0] or not created_at:
        return False
    try:
        gap = datetime.fromisoformat(created_at) - datetime.fromisoformat(lead[0])
    except ValueError:
        return False
    return gap.total_seconds() > FIRST_MESSAGE_WINDOW_S

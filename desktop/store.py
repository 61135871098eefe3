"""The offline copy of one business: a SQLite file through sqlite-utils, WAL, FTS5.

``apply_page`` writes a whole ``/sync`` page and the new cursor in one transaction, so a crash
leaves either the old cursor with the old rows or the new cursor with the new rows. Reads live in
``desktop.queries``, the outbox of mutations in ``desktop.outbox``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop.wire import SyncChange, SyncPage
from shared.models.enums import MessageDirection, SyncEntity

# A lead's own request is stored as its first customer message in the same transaction.
FIRST_MESSAGE_WINDOW_S = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS leads (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL, comm_status TEXT,
    urgency TEXT, customer_name TEXT, customer_email TEXT, customer_phone TEXT,
    service_needed TEXT, created_at TEXT, last_activity_at TEXT, gate_allowed INTEGER,
    gate_reasons TEXT, unread INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS leads_created ON leads (created_at);
CREATE INDEX IF NOT EXISTS leads_status ON leads (status, created_at);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT,
    direction TEXT, created_at TEXT, client_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_lead ON messages (lead_id, created_at);
CREATE INDEX IF NOT EXISTS messages_client ON messages (client_id);
CREATE TABLE IF NOT EXISTS follow_ups (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, version INTEGER NOT NULL, status TEXT,
    scheduled_at TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS follow_ups_lead ON follow_ups (lead_id);
CREATE TABLE IF NOT EXISTS ai_analyses (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ai_lead ON ai_analyses (lead_id, version);
CREATE TABLE IF NOT EXISTS business (id TEXT PRIMARY KEY, version INTEGER, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS form (id TEXT PRIMARY KEY, version INTEGER, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, lead_id TEXT,
    payload TEXT NOT NULL, state TEXT NOT NULL, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    settled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE INDEX IF NOT EXISTS outbox_lead ON outbox (lead_id);
CREATE TABLE IF NOT EXISTS fts_dirty (lead_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS lead_fts_map (lead_id TEXT PRIMARY KEY, fts_rowid INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS leads_fts USING fts5(
    lead_id UNINDEXED, name, email, phone, service, messages,
    tokenize = 'unicode61 remove_diacritics 2');
"""

TABLES = {
    SyncEntity.LEAD: "leads",
    SyncEntity.MESSAGE: "messages",
    SyncEntity.FOLLOW_UP: "follow_ups",
    SyncEntity.AI_ANALYSIS: "ai_analyses",
    SyncEntity.BUSINESS: "business",
    SyncEntity.FORM: "form",
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


class LocalStore:
    """One business's local database. Safe to share between threads: calls are serialised."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.executescript(SCHEMA)
        if self.meta("fts_map") is None:  # a copy made before the map existed
            with self.db.atomic():
                self.db.execute(
                    "INSERT OR REPLACE INTO lead_fts_map SELECT lead_id, rowid FROM leads_fts"
                )
                self.set_meta("fts_map", "1")

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- meta -----------------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    @property
    def cursor(self) -> int:
        return int(self.meta("cursor", "0") or 0)

    def device_id(self) -> str:
        """This installation's id for ``/sync/push``, made once per local copy."""
        with self.lock:
            existing = self.meta("device_id")
            if existing:
                return existing
            value = str(uuid.uuid4())
            self.set_meta("device_id", value)
            return value

    def reset(self) -> None:
        """Forget every synced row and the cursor (the outbox stays: nothing queued is lost)."""
        with self.lock, self.db.atomic():
            for table in (*TABLES.values(), "leads_fts", "lead_fts_map", "fts_dirty"):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            self.db.execute("DELETE FROM meta WHERE key IN ('cursor', 'last_sync')")

    # -- applying a page --------------------------------------------------------------------------

    def apply_page(self, page: SyncPage, last_sync: str | None = None) -> AppliedChanges:
        """Apply every change of ``page`` and store its cursor, all in one transaction."""
        with self.lock, self.db.atomic():
            before = self.cursor
            result = AppliedChanges(cursor=page.cursor, bootstrap=before == 0)
            for change in page.changes:
                self._apply(change, result)
            # Search text is rebuilt once per lead at the end of a pull, not once per page: a
            # bootstrap brings a lead and its messages in different pages. The dirty marks are
            # in this transaction, so a pull cut short finishes the index the next time.
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO fts_dirty (lead_id) VALUES (?)",
                [(lead_id,) for lead_id in result.leads],
            )
            if not page.has_more:
                self._reindex_dirty()
            result.count = len(page.changes)
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('cursor', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [str(page.cursor)],
            )
            if last_sync:
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES ('last_sync', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [last_sync],
                )
        return result

    def _apply(self, change: SyncChange, result: AppliedChanges) -> None:
        table = TABLES[change.entity]
        key = str(change.id)
        if change.deleted or change.data is None:
            if change.entity in (SyncEntity.LEAD, SyncEntity.MESSAGE, SyncEntity.AI_ANALYSIS):
                lead = self._lead_of(table, key)
                if lead:
                    result.leads.add(lead)
            self.db.execute(f"DELETE FROM {table} WHERE id = ?", [key])  # noqa: S608
            if change.entity is SyncEntity.LEAD:
                self._unindex(key)
                result.leads.discard(key)
            result.follow_ups |= change.entity is SyncEntity.FOLLOW_UP
            return
        data = change.data
        row = self.db.execute(f"SELECT version FROM {table} WHERE id = ?", [key]).fetchone()  # noqa: S608
        if row is not None and row[0] > change.version:
            return  # never step back to an older state
        blob = json.dumps(data, separators=(",", ":"), default=str)
        if change.entity is SyncEntity.LEAD:
            self._apply_lead(key, change.version, data, blob, row is None, result)
        elif change.entity is SyncEntity.MESSAGE:
            lead_id = str(data.get("lead_id"))
            self.db.execute(
                "INSERT OR REPLACE INTO messages (id, lead_id, version, type, direction,"
                " created_at,"
                " client_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    key,
                    lead_id,
                    change.version,
                    data.get("type"),
                    data.get("direction"),
                    data.get("created_at"),
                    data.get("client_id"),
                    blob,
                ],
            )
            result.leads.add(lead_id)
            if (
                row is None
                and data.get("direction") == MessageDirection.INBOUND
                and not result.bootstrap
                and lead_id not in result.new_leads
                and self._has_earlier_inbound(lead_id, key)
            ):
                result.new_customer_messages.append((lead_id, key))
                self.db.execute("UPDATE leads SET unread = 1 WHERE id = ?", [lead_id])
        elif change.entity is SyncEntity.FOLLOW_UP:
            self.db.execute(
                "INSERT OR REPLACE INTO follow_ups (id, lead_id, version, status, scheduled_at,"
                " data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    key,
                    str(data.get("lead_id")),
                    change.version,
                    data.get("status"),
                    data.get("scheduled_at"),
                    blob,
                ],
            )
            result.follow_ups = True
        elif change.entity is SyncEntity.AI_ANALYSIS:
            lead_id = str(data.get("lead_id"))
            self.db.execute(
                "INSERT OR REPLACE INTO ai_analyses (id, lead_id, version, data)"
                " VALUES (?, ?, ?, ?)",
                [key, lead_id, change.version, blob],
            )
            result.leads.add(lead_id)
        else:
            self.db.execute(
                f"INSERT OR REPLACE INTO {table} (id, version, data) VALUES (?, ?, ?)",  # noqa: S608
                [key, change.version, blob],
            )
            result.business |= change.entity is SyncEntity.BUSINESS
            result.form |= change.entity is SyncEntity.FORM

    def _apply_lead(
        self,
        key: str,
        version: int,
        data: dict[str, Any],
        blob: str,
        new: bool,
        result: AppliedChanges,
    ) -> None:
        gate_allowed = data.get("gate_allowed")
        gate_reasons = data.get("gate_reasons")
        if isinstance(data.get("gate"), dict):
            gate_allowed = data["gate"].get("allowed")
            gate_reasons = data["gate"].get("reasons")
        unread = 1 if new and (not result.bootstrap or data.get("status") == "new") else None
        self.db.execute(
            "INSERT INTO leads (id, version, status, comm_status, urgency, customer_name,"
            " customer_email, customer_phone, service_needed, created_at, last_activity_at,"
            " gate_allowed, gate_reasons, unread, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 0), ?)"
            " ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = excluded.status,"
            " comm_status = excluded.comm_status, urgency = excluded.urgency,"
            " customer_name = excluded.customer_name, customer_email = excluded.customer_email,"
            " customer_phone = excluded.customer_phone, service_needed = excluded.service_needed,"
            " created_at = excluded.created_at, last_activity_at = excluded.last_activity_at,"
            " gate_allowed = excluded.gate_allowed, gate_reasons = excluded.gate_reasons,"
            " data = excluded.data",
            [
                key,
                version,
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
                blob,
            ],
        )
        result.leads.add(key)
        if new and not result.bootstrap:
            result.new_leads.append(key)

    def _has_earlier_inbound(self, lead_id: str, message_id: str) -> bool:
        """Whether the lead already had a customer message (its first one is the lead itself)."""
        row = self.db.execute(
            "SELECT 1 FROM messages WHERE lead_id = ? AND direction = 'inbound' AND id != ?"
            " LIMIT 1",
            [lead_id, message_id],
        ).fetchone()
        if row is not None:
            return True
        times = self.db.execute(
            "SELECT l.created_at, m.created_at FROM leads l, messages m"
            " WHERE l.id = ? AND m.id = ?",
            [lead_id, message_id],
        ).fetchone()
        if times is None or not times[0] or not times[1]:
            return False
        try:
            gap = datetime.fromisoformat(times[1]) - datetime.fromisoformat(times[0])
        except ValueError:
            return False
        return gap.total_seconds() > FIRST_MESSAGE_WINDOW_S

    def _lead_of(self, table: str, key: str) -> str | None:
        if table == "leads":
            return key
        row = self.db.execute(f"SELECT lead_id FROM {table} WHERE id = ?", [key]).fetchone()  # noqa: S608
        return row[0] if row else None

    def _reindex_dirty(self) -> None:
        for (lead_id,) in self.db.execute("SELECT lead_id FROM fts_dirty").fetchall():
            self._reindex(lead_id)
        self.db.execute("DELETE FROM fts_dirty")

    def _unindex(self, lead_id: str) -> None:
        # FTS5 cannot index ``lead_id``: finding a lead's row by it scans the whole index, so
        # the rowid is kept in ``lead_fts_map`` (a bootstrap would otherwise be quadratic).
        row = self.db.execute(
            "SELECT fts_rowid FROM lead_fts_map WHERE lead_id = ?", [lead_id]
        ).fetchone()
        if row is not None:
            self.db.execute("DELETE FROM leads_fts WHERE rowid = ?", [row[0]])
            self.db.execute("DELETE FROM lead_fts_map WHERE lead_id = ?", [lead_id])

    def _reindex(self, lead_id: str) -> None:
        self._unindex(lead_id)
        lead = self.db.execute(
            "SELECT customer_name, customer_email, customer_phone, service_needed,"
            " json_extract(data, '$.message') FROM leads WHERE id = ?",
            [lead_id],
        ).fetchone()
        if lead is None:
            return
        texts = [
            r[0]
            for r in self.db.execute(
                "SELECT json_extract(data, '$.content') FROM messages WHERE lead_id = ?", [lead_id]
            )
        ]
        body = "\n".join(t for t in [lead[4], *texts] if t)
        cursor = self.db.execute(
            "INSERT INTO leads_fts (lead_id, name, email, phone, service, messages)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [lead_id, lead[0], lead[1], lead[2], lead[3], body],
        )
        self.db.execute(
            "INSERT OR REPLACE INTO lead_fts_map (lead_id, fts_rowid) VALUES (?, ?)",
            [lead_id, cursor.lastrowid],
        )

    # -- local marks ----------------------------------------------------------------------------

    def mark_read(self, lead_id: str, read: bool = True) -> None:
        with self.lock:
            self.db.execute("UPDATE leads SET unread = ? WHERE id = ?", [0 if read else 1, lead_id])

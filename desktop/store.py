"""The offline copy of one business: a SQLite file through sqlite-utils, WAL, FTS5.

``apply_page`` writes a whole ``/sync`` page and the new cursor in one transaction, so a crash
leaves either the old cursor with the old rows or the new cursor with the new rows. How the
changes of a page are written (in batches, one statement per entity and kind) lives in
``desktop.changes``; reads in ``desktop.queries``, the outbox of mutations in ``desktop.outbox``.

Layout (schema 2): ``leads`` holds the columns the inbox shows and filters on, narrow, so
listing and counting thousands of rows reads few pages; the lead's full JSON sits in
``lead_data``. The search index ``leads_fts`` shares its rowid with ``leads.rid``, so a match
needs no lookup by text id. A copy made with schema 1 is converted in place when opened.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from desktop.accounts import private_dir, private_file
from desktop.changes import AppliedChanges, apply_changes

if TYPE_CHECKING:
    from desktop.wire import SyncPage

__all__ = ["AppliedChanges", "LocalStore"]

SCHEMA_VERSION = "2"
BOOTSTRAP_CHECKPOINT = 50_000  # WAL pages (200 MB) between checkpoints while bootstrapping
CLOSED = "('lost', 'archived', 'spam')"  # statuses of leads that are not open
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS leads (
    rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,
    status TEXT NOT NULL, comm_status TEXT, urgency TEXT, customer_name TEXT,
    customer_email TEXT, customer_phone TEXT, service_needed TEXT, created_at TEXT,
    last_activity_at TEXT, gate_allowed INTEGER, gate_reasons TEXT,
    unread INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS leads_created ON leads (created_at)",
    "CREATE INDEX IF NOT EXISTS leads_status ON leads (status, created_at)",
    "CREATE INDEX IF NOT EXISTS leads_unread ON leads (unread)",
    "CREATE TABLE IF NOT EXISTS lead_data (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT,
    direction TEXT, created_at TEXT, client_id TEXT, data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS messages_lead ON messages (lead_id, created_at)",
    "CREATE INDEX IF NOT EXISTS messages_client ON messages (client_id)",
    """CREATE TABLE IF NOT EXISTS follow_ups (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, version INTEGER NOT NULL, status TEXT,
    scheduled_at TEXT, data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS follow_ups_lead ON follow_ups (lead_id)",
    """CREATE TABLE IF NOT EXISTS ai_analyses (
    id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ai_lead ON ai_analyses (lead_id, version)",
    """CREATE TABLE IF NOT EXISTS business (
    id TEXT PRIMARY KEY, version INTEGER, data TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS form (
    id TEXT PRIMARY KEY, version INTEGER, data TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, lead_id TEXT,
    payload TEXT NOT NULL, state TEXT NOT NULL, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    settled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq)",
    "CREATE INDEX IF NOT EXISTS outbox_lead ON outbox (lead_id)",
    "CREATE TABLE IF NOT EXISTS fts_dirty (lead_id TEXT PRIMARY KEY)",
    # ``state`` holds "open"/"closed" and the status ("followup" for follow_up): searches
    # count their matches per status inside the index, without visiting every matching lead.
    """CREATE VIRTUAL TABLE IF NOT EXISTS leads_fts USING fts5(
    name, email, phone, service, messages, state,
    tokenize = 'unicode61 remove_diacritics 2')""",
]
SYNCED_TABLES = (
    "leads",
    "lead_data",
    "messages",
    "follow_ups",
    "ai_analyses",
    "business",
    "form",
    "leads_fts",
    "fts_dirty",
)
LEAD_COLUMNS = (
    "id, version, status, comm_status, urgency, customer_name, customer_email, customer_phone,"
    " service_needed, created_at, last_activity_at, gate_allowed, gate_reasons, unread"
)


class LocalStore:
    """One business's local database. Safe to share between threads: calls are serialised."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        private_file(self.path)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.execute("PRAGMA cache_size=-32000")  # 32 MB: the inbox columns stay in memory
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.db.execute("PRAGMA journal_size_limit=33554432")  # a WAL left over shrinks to 32 MB
        with self.db.atomic():
            schema_1 = self._columns("leads") and "rid" not in self._columns("leads")
            if schema_1:
                self._leave_schema_1()
            for statement in SCHEMA:
                self.db.execute(statement)
            if schema_1:
                self._enter_schema_2()
            self.db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", [SCHEMA_VERSION]
            )

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- schema ---------------------------------------------------------------------------------

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}

    def _leave_schema_1(self) -> None:
        """Schema 1 kept the JSON in ``leads`` and found index rows through a text id."""
        self.db.execute("ALTER TABLE leads RENAME TO leads_v1")
        for statement in (
            "DROP INDEX IF EXISTS leads_created",
            "DROP INDEX IF EXISTS leads_status",
            "DROP TABLE IF EXISTS lead_fts_map",
            "DROP TABLE IF EXISTS leads_fts",
        ):
            self.db.execute(statement)

    def _enter_schema_2(self) -> None:
        self.db.execute(
            f"INSERT INTO leads ({LEAD_COLUMNS}) SELECT {LEAD_COLUMNS} FROM leads_v1"  # noqa: S608
            " ORDER BY created_at"
        )
        self.db.execute("INSERT INTO lead_data (id, data) SELECT id, data FROM leads_v1")
        self.db.execute("DROP TABLE leads_v1")
        self.db.execute("INSERT OR IGNORE INTO fts_dirty (lead_id) SELECT id FROM leads")
        self._reindex_dirty()
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES ('schema', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [SCHEMA_VERSION],
        )

    # -- meta -----------------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        """Set ``key`` (``None`` removes it)."""
        with self.lock:
            if value is None:
                self.db.execute("DELETE FROM meta WHERE key = ?", [key])
                return
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
            for table in SYNCED_TABLES:
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            self.db.execute(
                "DELETE FROM meta WHERE key IN ('cursor', 'last_sync', 'bootstrapping')"
            )

    # -- applying a page --------------------------------------------------------------------------

    def apply_page(self, page: SyncPage, last_sync: str | None = None) -> AppliedChanges:
        """Apply every change of ``page`` and store its cursor, all in one transaction.

        A bootstrap (a pull from cursor 0) spans many pages: it stays a bootstrap, with no
        notifications and only ``new`` leads unread, until its last page is in."""
        with self.lock:
            bootstrap = self.cursor == 0 or self.meta("bootstrapping") == "1"
            # A bootstrap writes the whole copy: checkpointing the WAL at the default 1,000
            # pages (4 MB) would copy it into the file and sync it after nearly every page.
            # The next page after the bootstrap restores the default, and its commit copies
            # the WAL into the file (background work: every row is readable before that).
            checkpoint = BOOTSTRAP_CHECKPOINT if bootstrap else 1000
            self.db.execute(f"PRAGMA wal_autocheckpoint={checkpoint}")
            with self.db.atomic():
                result = AppliedChanges(cursor=page.cursor, bootstrap=bootstrap)
                apply_changes(self.db.conn, page.changes, result)
                # During a bootstrap, search rows are built once per lead at its end, not once
                # per page: a lead and its messages come in different pages. Later pages are
                # small and index their leads at once, so a search never counts a lead under
                # an old status. The dirty marks are in this transaction: a pull cut short
                # finishes the index later.
                self.db.conn.executemany(
                    "INSERT OR IGNORE INTO fts_dirty (lead_id) VALUES (?)",
                    [(lead_id,) for lead_id in result.leads],
                )
                if not page.has_more or not bootstrap:
                    self._reindex_dirty()
                result.count = len(page.changes)
                self.set_meta("cursor", str(page.cursor))
                self.set_meta("bootstrapping", "1" if bootstrap and page.has_more else None)
                if last_sync:
                    self.set_meta("last_sync", last_sync)
        return result

    def _reindex_dirty(self) -> None:
        """Rebuild the search rows of the marked leads: two statements, whatever their number."""
        self.db.execute(
            "DELETE FROM leads_fts WHERE rowid IN"
            " (SELECT l.rid FROM fts_dirty d JOIN leads l ON l.id = d.lead_id)"
        )
        self.db.execute(
            "INSERT INTO leads_fts (rowid, name, email, phone, service, messages, state)"  # noqa: S608
            " SELECT l.rid, l.customer_name, l.customer_email, l.customer_phone,"
            " l.service_needed, COALESCE(json_extract(x.data, '$.message'), '') || char(10)"
            " || COALESCE((SELECT group_concat(json_extract(m.data, '$.content'), char(10))"
            " FROM messages m WHERE m.lead_id = l.id), ''),"
            f" CASE WHEN l.status IN {CLOSED} THEN 'closed' ELSE 'open' END"
            " || ' ' || replace(l.status, '_', '')"
            " FROM fts_dirty d JOIN leads l ON l.id = d.lead_id"
            " LEFT JOIN lead_data x ON x.id = l.id"
            " ORDER BY l.rid"  # FTS5 writes rows in rowid order fastest (4x for a bootstrap)
        )
        self.db.execute("DELETE FROM fts_dirty")

    # -- local marks ----------------------------------------------------------------------------

    def mark_read(self, lead_id: str, read: bool = True) -> None:
        with self.lock:
            self.db.execute("UPDATE leads SET unread = ? WHERE id = ?", [0 if read else 1, lead_id])

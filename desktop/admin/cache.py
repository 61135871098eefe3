"""``PageCache``: the last loaded admin pages as JSON in a small SQLite file, so the console
still shows something (marked as stale) when the server cannot be reached.

Only the service thread uses it; ``check_same_thread`` is off because the object is made on
the GUI thread and the file is opened lazily by whichever thread comes first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.accounts import data_dir, private_dir, private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS admin_pages (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    saved_at TEXT NOT NULL
)
"""
KEEP_PAGES = 500


def default_path() -> Path:
    return data_dir() / "admin-cache.sqlite3"


def cache_key(server_url: str, kind: str, params: Mapping[str, Any] | None = None) -> str:
    """One key per server, listing and filter set (parameter order does not matter)."""
    canonical = json.dumps(dict(params or {}), sort_keys=True, default=str)
    return f"{server_url.rstrip('/')}|{kind}|{canonical}"


class PageCache:
    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            private_dir(self.path.parent)
            private_file(self.path)
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(SCHEMA)
            self._conn.commit()
        return self._conn

    def put(self, key: str, body: Any) -> None:
        now = datetime.now(UTC).isoformat()
        with self._lock:
            db = self._db()
            db.execute(
                "INSERT INTO admin_pages (key, body, saved_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
                (key, json.dumps(body, default=str), now),
            )
            # Filters make many keys; keep the newest few hundred pages only.
            db.execute(
                "DELETE FROM admin_pages WHERE key NOT IN "
                "(SELECT key FROM admin_pages ORDER BY saved_at DESC LIMIT ?)",
                (KEEP_PAGES,),
            )
            db.commit()

    def get(self, key: str) -> tuple[Any, datetime] | None:
        """The cached body and when it was saved, or ``None``."""
        with self._lock:
            row = (
                self._db()
                .execute("SELECT body, saved_at FROM admin_pages WHERE key = ?", (key,))
                .fetchone()
            )
        if row is None:
            return None
        return json.loads(row[0]), datetime.fromisoformat(row[1])

    def clear(self) -> None:
        with self._lock:
            db = self._db()
            db.execute("DELETE FROM admin_pages")
            db.commit()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

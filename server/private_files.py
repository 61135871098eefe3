"""Files only the server's account may read: the data dir and what it holds (the SQLite
database, the outbox's mails with live invite and reset links, logos, the generated key)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy.engine import make_url

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) owner-only; an existing one is tightened."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a directory an operator owns stays theirs
        os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that is owner-only from its first byte (not chmod after)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file owner-only before SQLite does (its WAL and shared-memory
    files take the database file's mode), or tighten an existing one."""
    database = make_url(url).database
    if not url.startswith("sqlite") or not database or database == ":memory:":
        return
    path = Path(database)
    if not path.parent.exists():
        private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    with contextlib.suppress(PermissionError):
        os.chmod(path, FILE_MODE)

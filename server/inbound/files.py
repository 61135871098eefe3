"""Where inbound mail lives on disk: the original of every mail and the files of stored replies,
under ``<data dir>/inbound`` (paths in the database are relative to the data dir)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

INBOUND_DIR = "inbound"


def raw_path(mail_id: uuid.UUID) -> str:
    return f"{INBOUND_DIR}/raw/{mail_id.hex[:2]}/{mail_id.hex}.eml"


def attachment_path(attachment_id: uuid.UUID) -> str:
    return f"{INBOUND_DIR}/files/{attachment_id.hex[:2]}/{attachment_id.hex}"


def write(data_dir: Path, relative: str, data: bytes) -> None:
    """Write a file whole (a temporary name, then a rename), readable by the owner only."""
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)


def remove(data_dir: Path, relatives: list[str]) -> None:
    for relative in relatives:
        (data_dir / relative).unlink(missing_ok=True)


def read(data_dir: Path, relative: str) -> bytes:
    return (data_dir / relative).read_bytes()

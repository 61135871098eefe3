"""The embedded mail provider: each message becomes an ``.eml`` file under ``<data dir>/outbox``."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from server.mail.base import DeliveryError
from server.private_files import private_dir, write_private


class OutboxProvider:
    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> str:
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> str:
        try:
            private_dir(self.directory)  # the mails hold live invite and reset links
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            message_id = str(message["Message-ID"]).strip("<>")
            safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in message_id)
            path = self.directory / f"{stamp}-{safe}.eml"
            tmp = path.with_suffix(".tmp")
            write_private(tmp, message.as_bytes())
            os.replace(tmp, path)  # a reader never sees half a message
        except OSError as error:
            raise DeliveryError(f"outbox write failed: {error}") from error
        return path.name

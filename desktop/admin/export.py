"""``CsvExport``: stream one admin CSV export into a file, with progress and cancel.

The body goes chunk by chunk into ``<file>.part``, which becomes the chosen file only when the
whole export arrived; a cancel or an error removes it, so a half file never looks finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.admin.client import AdminClient
from desktop.service_thread import ServiceThread

PROGRESS_EVERY_S = 0.1


class RecordCounter:
    """Counts CSV records in a byte stream: a newline ends a record only outside quotes.

    Quotes inside a quoted cell are doubled, so the parity of all quote bytes seen so far says
    whether a position is inside a cell; splitting on ``"`` gives outside/inside segments in turn.
    """

    def __init__(self) -> None:
        self.records = 0
        self._inside = False

    def feed(self, chunk: bytes) -> int:
        parts = chunk.split(b'"')
        for n, part in enumerate(parts):
            if n:
                self._inside = not self._inside
            if not self._inside:
                self.records += part.count(b"\n")
        return self.records


class CsvExport(QObject):
    progress = Signal(int, int)  # data rows written, rows expected (0 when unknown)
    finished = Signal(str, int)  # path, data rows
    failed = Signal(object)  # DesktopError or OSError
    canceled = Signal()

    def __init__(
        self,
        client: AdminClient,
        service: ServiceThread,
        kind: str,
        params: Mapping[str, Any] | None,
        path: str | Path,
        expected_rows: int = 0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.service = service
        self.kind = kind
        self.params = dict(params or {})
        self.path = Path(path)
        self.expected_rows = expected_rows
        self.running = False
        self._task: asyncio.Task[None] | None = None
        self._cancel_requested = False

    @property
    def part_path(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    def start(self) -> None:
        self.running = True
        self.service.submit(self._launch())

    async def _launch(self) -> None:
        self._task = asyncio.current_task()
        if self._cancel_requested:
            self._finish_canceled()
            return
        await self._run()

    def cancel(self) -> None:
        """Stop the download and remove the partial file; ``canceled`` follows."""
        self._cancel_requested = True

        def cancel_task() -> None:
            if self._task is not None and not self._task.done():
                self._task.cancel()

        self.service.call(cancel_task)

    async def _run(self) -> None:
        counter = RecordCounter()
        # A ticker reports progress while chunks arrive and while the server is still thinking.
        ticker = asyncio.create_task(self._tick(counter))
        try:
            chunks = contextlib.aclosing(self.client.export_chunks(self.kind, self.params))
            with open(self.part_path, "wb") as handle:  # noqa: ASYNC230 - the service thread may block
                async with chunks as stream:
                    async for chunk in stream:
                        handle.write(chunk)
                        counter.feed(chunk)
                        if self._cancel_requested:
                            raise asyncio.CancelledError
            os.replace(self.part_path, self.path)
        except asyncio.CancelledError:
            self._finish_canceled()
            return
        except Exception as error:  # DesktopError, OSError: shown to the user in words
            self._remove_part()
            self.running = False
            self.failed.emit(error)
            return
        finally:
            ticker.cancel()
        rows = self._rows(counter)
        self.running = False
        self.progress.emit(rows, max(rows, self.expected_rows))
        self.finished.emit(str(self.path), rows)

    async def _tick(self, counter: RecordCounter) -> None:
        shown = -1
        while True:
            rows = self._rows(counter)
            if rows != shown:
                shown = rows
                self.progress.emit(rows, self.expected_rows)
            await asyncio.sleep(PROGRESS_EVERY_S)

    @staticmethod
    def _rows(counter: RecordCounter) -> int:
        return max(counter.records - 1, 0)  # the header line is not a row

    def _remove_part(self) -> None:
        with contextlib.suppress(OSError):
            self.part_path.unlink()

    def _finish_canceled(self) -> None:
        self._remove_part()
        self.running = False
        self.canceled.emit()

"""A small server-sent-events reader for the event stream tests (the servers they read are
``tests.support.live_server``'s)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


class EventStream:
    """Reads ``text/event-stream`` in a task; ``next(timeout)`` gives ``(event, data)``."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.ended = asyncio.Event()
        self.error: BaseException | None = None
        self.status: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventStream:
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _read(self) -> None:
        try:
            timeout = httpx.Timeout(5.0, read=None)
            async with httpx.AsyncClient(timeout=timeout) as client:
                async with client.stream(
                    "GET", f"{self.url}/api/v1/owner/events", headers=self.headers
                ) as response:
                    self.status = response.status_code
                    async for event, data in _parse(response.aiter_lines()):
                        await self.events.put((event, data))
        except Exception as error:  # the test asserts on how the stream ended
            self.error = error
        finally:
            self.ended.set()

    async def next(self, timeout: float = 1.0) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def cursor_after(self, cursor: int, timeout: float = 1.0) -> int:
        """Wait for a ``change`` event whose cursor is greater than ``cursor``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            event, data = await self.next(max(left, 0.001))
            if event == "change" and data["cursor"] > cursor:
                return int(data["cursor"])


async def _parse(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    event, data = "message", []
    async for line in lines:
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith(":"):
            continue  # a heartbeat comment
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())

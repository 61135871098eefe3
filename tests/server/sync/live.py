"""The API on a real loopback port (uvicorn in a thread, or ``leadflow-server serve`` in a
process) and a small server-sent-events reader, for the event stream tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.app import create_app
from server.config import Settings
from server.context import build_context
from tests.server.support import free_port, server_env

SERVER_SCRIPT = Path(sys.executable).with_name("leadflow-server")


class ThreadServer:
    """uvicorn serving its own app and context (its own engine) on a loopback port."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.app = create_app(ctx=build_context(settings))
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask uvicorn to exit; True if it did within ``timeout``."""
        self.server.should_exit = True
        self.thread.join(timeout)
        return not self.thread.is_alive()


class ProcessServer:
    """``leadflow-server serve --no-worker`` as a child process, configured by environment."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        env = server_env(settings)
        self.process = subprocess.Popen(
            [
                str(SERVER_SCRIPT),
                "serve",
                "--no-worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, timeout: float = 30.0) -> ProcessServer:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.process.stderr.read().decode()[-2000:]
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return self
                await asyncio.sleep(0.1)
        raise AssertionError("leadflow-server did not become ready")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.process.stderr:
            self.process.stderr.close()


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

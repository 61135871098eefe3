"""Fan-out of "this business's version moved" to the open ``/events`` streams of this process.

On PostgreSQL every committed version bump is a ``NOTIFY`` (sent by ``server.sync_versions`` in the
writing transaction), and each process LISTENs on one dedicated connection, so a change made by any
API or worker process reaches every stream. On SQLite (one process) the database's in-process
commit listener feeds the hub directly.

A stream is a plain ASGI response (``ChangeStream``): one coroutine per open stream, parked on a
future its ``Listener`` resolves, so a change costs each stream one wake-up and one write (a
``StreamingResponse`` cost two tasks per stream and a task per wait).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from typing import Any

from starlette.responses import Response

from server.db import Database
from server.sync_versions import PG_CHANNEL

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0


class Listener:
    """One open stream's mailbox: the newest version announced, and the stream waiting for it.

    A publish sets ``version`` and wakes the waiting stream (one future per wait, no queue and no
    task): a burst of changes coalesces into one event with the newest cursor.
    """

    __slots__ = ("_waiter", "version")

    def __init__(self, version: int) -> None:
        self.version = version
        self._waiter: asyncio.Future[None] | None = None

    def notify(self, version: int) -> None:
        if version > self.version:
            self.version = version
        self.wake()

    def wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, seen: int, wake_after_s: float) -> None:
        """Until ``version`` is past ``seen``, the hub stops, or ``wake_after_s`` pass."""
        if self.version > seen:
            return
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = loop.call_later(wake_after_s, self.wake)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None


class EventHub:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._listeners: dict[uuid.UUID, set[Listener]] = defaultdict(set)
        self._listen_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        if not self.db.storage.notifies_other_processes:
            self.db.listeners.append(self._on_local_commit)
        else:
            self._listen_task = asyncio.create_task(
                self.db.storage.listen(PG_CHANNEL, self._on_notify, self._stopping)
            )

    async def stop(self) -> None:
        """Wake every open stream so it ends, and stop listening."""
        self._stopping.set()
        if self._on_local_commit in self.db.listeners:
            self.db.listeners.remove(self._on_local_commit)
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.wake()
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listen_task

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def open_streams(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    def subscribe(self, business_id: uuid.UUID, version: int) -> Listener:
        listener = Listener(version)
        self._listeners[business_id].add(listener)
        return listener

    def unsubscribe(self, business_id: uuid.UUID, listener: Listener) -> None:
        listeners = self._listeners.get(business_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                self._listeners.pop(business_id, None)

    def publish(self, business_id: uuid.UUID, version: int) -> None:
        for listener in self._listeners.get(business_id, ()):
            listener.notify(version)

    def _on_local_commit(self, bumps: dict[uuid.UUID, int]) -> None:
        for business_id, version in bumps.items():
            self.publish(business_id, version)

    def _on_notify(self, payload: str) -> None:
        business, _, version = payload.partition(":")
        try:
            self.publish(uuid.UUID(business), int(version))
        except ValueError:
            log.warning("ignored a malformed sync notification")


class ChangeStream(Response):
    """The ``/events`` response: ``change`` with ``version`` at once, then with the newest
    cursor whenever the listener hears the business's version move; a comment every
    ``HEARTBEAT_S``. The listener was subscribed before ``version`` was read, so a change that
    committed in between is not missed; the stream unsubscribes it when it ends."""

    media_type = "text/event-stream"

    def __init__(
        self, hub: EventHub, business_id: uuid.UUID, listener: Listener, version: int
    ) -> None:
        # Not Response.__init__: there is no body to measure, the stream writes its own.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]
        self.hub = hub
        self.business_id = business_id
        self.version = version
        self.listener = listener

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        gone = asyncio.ensure_future(self._until_disconnected(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            sent = self.version
            await send(_body(change_event(sent)))
            while not self.hub.stopping:
                await self.listener.wait(sent, HEARTBEAT_S)
                if self.hub.stopping or gone.done():
                    break
                if self.listener.version > sent:
                    sent = self.listener.version
                    await send(_body(change_event(sent)))
                else:
                    await send(_body(b": keep-alive\n\n"))
            if not gone.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()
            self.hub.unsubscribe(self.business_id, self.listener)

    async def _until_disconnected(self, receive: Any) -> None:
        """The client went away: wake the stream so it ends now, not at its next write."""
        while (await receive())["type"] != "http.disconnect":
            pass
        self.listener.wake()


def change_event(cursor: int) -> bytes:
    return b'event: change\ndata: {"cursor": %d}\n\n' % cursor


def _body(chunk: bytes) -> dict[str, Any]:
    return {"type": "http.response.body", "body": chunk, "more_body": True}

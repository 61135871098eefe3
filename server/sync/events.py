"""Fan-out of "this business's version moved" to the open ``/events`` streams of this process.

On PostgreSQL every committed version bump is a ``NOTIFY`` (sent by ``server.sync_versions`` in the
writing transaction), and each process LISTENs on one dedicated connection, so a change made by any
API or worker process reaches every stream. On SQLite (one process) the database's in-process
commit listener feeds the hub directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy.engine import make_url

from server.db import Database
from server.sync_versions import PG_CHANNEL

log = logging.getLogger(__name__)

RECONNECT_S = 2.0
CLOSED = -1


class EventHub:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[int]]] = defaultdict(set)
        self._listen_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        if not self.db.storage.notifies_other_processes:
            self.db.listeners.append(self._on_local_commit)
        else:
            self._listen_task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        """Close every open stream (each gets ``CLOSED``) and stop listening."""
        self._stopping.set()
        if self._on_local_commit in self.db.listeners:
            self.db.listeners.remove(self._on_local_commit)
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(CLOSED)
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listen_task

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def subscribe(self, business_id: uuid.UUID) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1000)
        self._subscribers[business_id].add(queue)
        return queue

    def unsubscribe(self, business_id: uuid.UUID, queue: asyncio.Queue[int]) -> None:
        queues = self._subscribers.get(business_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                self._subscribers.pop(business_id, None)

    def publish(self, business_id: uuid.UUID, version: int) -> None:
        for queue in list(self._subscribers.get(business_id, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(version)

    def _on_local_commit(self, bumps: dict[uuid.UUID, int]) -> None:
        for business_id, version in bumps.items():
            self.publish(business_id, version)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        business, _, version = payload.partition(":")
        try:
            self.publish(uuid.UUID(business), int(version))
        except ValueError:
            log.warning("ignored a malformed sync notification")

    async def _listen_forever(self) -> None:
        import asyncpg

        # asyncpg's own DSN, whichever driver the app's URL names.
        url = make_url(self.db.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self._stopping.is_set():
            connection = None
            try:
                connection = await asyncpg.connect(dsn)
                await connection.add_listener(PG_CHANNEL, self._on_notify)
                while not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=1.0)
                    if self._stopping.is_set():
                        break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("sync LISTEN connection lost; reconnecting", exc_info=True)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close()
            if not self._stopping.is_set():
                await asyncio.sleep(RECONNECT_S)

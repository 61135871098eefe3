"""The sync engine: pulls ``/sync`` pages, pushes the outbox, listens to ``/events``.

Plain asyncio and callbacks, no Qt: it runs on the service thread's event loop
(``desktop.service_thread``) and ``desktop.session`` turns its callbacks into Qt signals.

- A pull applies each page and its cursor in one transaction, until ``has_more`` is false.
- A ``change`` event newer than the local cursor wakes the puller at once; while the stream is
  down the puller polls every ``poll_s`` seconds, and the stream reconnects with backoff.
- Each cycle pushes first, so a reply queued offline goes out as soon as the server answers, and
  then pulls, so the server's rows replace the outbox overlays.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import httpx

from desktop.api import ApiClient, parse_page, peek_page
from desktop.errors import ApiError, AuthError, ConflictError, OfflineError
from desktop.outbox import Outbox, OutboxItem
from desktop.store import AppliedChanges, LocalStore
from desktop.wire import SyncPage

# What the server answers once this person's membership was deactivated (CONTRACT §4).
ACCESS_ENDED = frozenset({"no_business"})

log = logging.getLogger(__name__)


# Responses fetched ahead of the page being applied (a bootstrap page is ~350 KB).
PAGES_AHEAD = 2


@dataclass
class _Fetched:
    response: httpx.Response
    page: SyncPage | None  # parsed already when its head could not be read without parsing
    head: tuple[int, bool]  # its cursor and has_more


@dataclass
class _FetchFailed:
    cursor: int  # the cursor asked for
    error: Exception


class SyncStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    SYNCING = "syncing"


def backoff(failures: int, base: float = 1.0, cap: float = 30.0) -> float:
    return min(cap, base * 2 ** max(0, failures - 1))


@dataclass
class SyncCallbacks:
    status: Callable[[SyncStatus, datetime | None], None] = lambda s, t: None
    progress: Callable[[int, int], None] = lambda done, target: None
    applied: Callable[[AppliedChanges], None] = lambda changes: None
    pushed: Callable[[list[OutboxItem]], None] = lambda rejected: None
    auth_failed: Callable[[ApiError], None] = lambda error: None  # signed out: why
    error: Callable[[Exception], None] = lambda error: None


class SyncEngine:
    def __init__(
        self,
        api: ApiClient,
        store: LocalStore,
        outbox: Outbox,
        callbacks: SyncCallbacks | None = None,
        *,
        poll_s: float = 30.0,
        page_limit: int = 500,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
    ) -> None:
        self.api = api
        self.store = store
        self.outbox = outbox
        self.cb = callbacks or SyncCallbacks()
        self.poll_s = poll_s
        self.page_limit = page_limit
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.status = SyncStatus.OFFLINE
        self.stream_connected = False
        self.target_cursor = 0
        self.last_sync: datetime | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._signed_out = False

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the puller and the event listener on the running loop."""
        self._tasks = [
            asyncio.create_task(self._pull_forever(), name="sync-pull"),
            asyncio.create_task(self._listen_forever(), name="sync-events"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                task.result()
        self._tasks = []

    def wake(self) -> None:
        """Sync now (call on the loop's thread)."""
        self._wake.set()

    # -- one cycle ------------------------------------------------------------------------------

    async def sync_once(self) -> None:
        self._set_status(SyncStatus.SYNCING)
        await self.push()
        await self.pull()
        self.last_sync = datetime.now(UTC)
        self._set_status(SyncStatus.ONLINE)

    async def push(self) -> None:
        while True:
            batch = self.outbox.pending(100)
            if not batch:
                return
            results = await self.api.push(self.store.device_id(), batch)
            rejected = self.outbox.record(results)
            self.cb.pushed(rejected)
            if len(batch) < 100:
                return

    async def pull(self) -> None:
        applied_before = self.outbox.unsettled_applied()
        cursor = self.store.cursor
        while not await self._pull_from(cursor):
            cursor = 0  # the server did not know the cursor: the copy was reset
        if applied_before:
            self.outbox.settle(applied_before)

    async def _pull_from(self, cursor: int) -> bool:
        """Apply pages from ``cursor`` until ``has_more`` is false; ``False`` if the server
        does not know a cursor (the copy is then reset, to bootstrap again).

        The pages are fetched by their own task, each asked for as soon as the head of the
        one before has come (the server builds it while a worker thread writes the earlier
        ones), and applied here in order: the chain of requests never waits for a write."""
        pages: asyncio.Queue[_Fetched | _FetchFailed] = asyncio.Queue(maxsize=PAGES_AHEAD)
        fetcher = asyncio.create_task(self._fetch_pages(cursor, pages), name="sync-fetch")
        try:
            while True:
                item = await pages.get()
                if isinstance(item, _FetchFailed):
                    error = item.error
                    if (
                        not isinstance(error, ConflictError)
                        or error.code != "cursor_invalid"
                        or item.cursor == 0
                    ):
                        raise error
                    log.warning(
                        "the server does not know cursor %s: bootstrapping again", item.cursor
                    )
                    self.store.reset()
                    return False
                stamp = datetime.now(UTC).isoformat()
                changes = await asyncio.to_thread(self._apply, item.page or item.response, stamp)
                more = item.head[1]
                self.target_cursor = max(self.target_cursor, changes.cursor)
                if changes.count or changes.bootstrap:
                    self.cb.progress(changes.cursor, self.target_cursor if more else changes.cursor)
                    self.cb.applied(changes)
                if not more:
                    return True
        finally:
            fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetcher

    async def _fetch_pages(
        self, cursor: int, pages: asyncio.Queue[_Fetched | _FetchFailed]
    ) -> None:
        """Fetch pages from ``cursor`` on into ``pages``, in order; a failure is put there too,
        after the pages before it, and ends the fetching."""
        try:
            while True:
                response = await self.api.pull_raw(cursor, self.page_limit)
                head = peek_page(response)
                page = None
                if head is None:
                    page = parse_page(response)
                    head = (page.cursor, page.has_more)
                await pages.put(_Fetched(response, page, head))
                if not head[1]:
                    return
                cursor = head[0]
        except Exception as error:  # handed to the applier, which raises it
            await pages.put(_FetchFailed(cursor, error))

    def _apply(self, page: SyncPage | httpx.Response, stamp: str) -> AppliedChanges:
        if not isinstance(page, SyncPage):
            page = parse_page(page)
        return self.store.apply_page(page, last_sync=stamp)

    # -- loops ----------------------------------------------------------------------------------

    async def _pull_forever(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.sync_once()
                failures = 0
                wait = self.poll_s if not self.stream_connected else max(self.poll_s, 300.0)
            except OfflineError:
                failures += 1
                self._set_status(SyncStatus.OFFLINE)
                wait = backoff(failures, self.backoff_base, self.backoff_cap)
            except AuthError as error:
                self._set_status(SyncStatus.OFFLINE)
                self.cb.auth_failed(error)
                wait = 3600.0
            except ApiError as error:
                self._set_status(SyncStatus.OFFLINE)
                if error.code in ACCESS_ENDED:  # removed from the business: sign out, say why
                    self.cb.auth_failed(error)
                    wait = 3600.0
                else:
                    failures += 1
                    self.cb.error(error)
                    wait = backoff(failures, self.backoff_base, self.backoff_cap)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
            # arrives together with the wake-up, and the engine would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                async for event in self.api.events():
                    if not self.stream_connected:
                        self.stream_connected = True
                        failures = 0
                        self.wake()  # catch up on whatever happened while the stream was down
                    if event.event == "change":
                        self._on_change(event.data)
            except AuthError as error:
                self.stream_connected = False
                self.cb.auth_failed(error)
                await asyncio.sleep(3600.0)
            except (OfflineError, ApiError):
                pass
            self.stream_connected = False
            failures += 1
            await asyncio.sleep(backoff(failures, self.backoff_base, self.backoff_cap))

    def _on_change(self, data: str) -> None:
        try:
            cursor = int(json.loads(data)["cursor"])
        except (ValueError, KeyError, TypeError):
            self.wake()
            return
        self.target_cursor = max(self.target_cursor, cursor)
        if cursor > self.store.cursor:
            self.wake()

    def _set_status(self, status: SyncStatus) -> None:
        if status != self.status or status is SyncStatus.ONLINE:
            self.status = status
            self.cb.status(status, self.last_sync)

"""A desktop following its business through a fault: it pulls ``/api/v1/owner/sync`` with its
cursor, round-robin over the API processes, and stores the answered cursor only after a page
arrived whole (a 503, a cut-off pull or a dead process is retried with the same cursor), as the
desktop's sync engine does. Every page is logged for ``history.sync_problems``."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Page:
    cursor: int  # the cursor sent
    next_cursor: int  # the cursor answered
    changes: list[tuple[str, str, int, bool]]  # (entity, id, version, deleted)


@dataclass
class SyncLog:
    pages: list[Page] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)  # what failed pulls met

    @property
    def cursor(self) -> int:
        return self.pages[-1].next_cursor if self.pages else 0


class SyncFollower:
    def __init__(self, urls: list[str], headers: dict[str, str], every_s: float = 0.2) -> None:
        self.urls = urls
        self.headers = headers
        self.every_s = every_s
        self.log = SyncLog()
        self._turn = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def finish(self, timeout: float = 60.0) -> SyncLog:
        """Stop following, then pull until the head (after the scenario has settled)."""
        self._stop.set()
        if self._task is not None:
            await self._task
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._client() as http:
            while loop.time() < deadline:
                has_more = await self._pull(http)
                if has_more is False:
                    return self.log
                if has_more is None:
                    await asyncio.sleep(0.3)
        raise AssertionError(f"the desktop never reached the head: {self.log.failures}")

    def _client(self) -> httpx.AsyncClient:
        # No keep-alive: a reused connection the server just closed would look like a fault.
        limits = httpx.Limits(max_keepalive_connections=0)
        return httpx.AsyncClient(timeout=10, limits=limits, headers=self.headers)

    async def _follow(self) -> None:
        async with self._client() as http:
            while not self._stop.is_set():
                has_more = await self._pull(http)
                if has_more:
                    continue
                try:
                    await asyncio.wait_for(self._stop.wait(), self.every_s)
                except TimeoutError:
                    pass

    async def _pull(self, http: httpx.AsyncClient) -> bool | None:
        """One pull; whether more changes wait, or None if the pull failed."""
        url = self.urls[self._turn % len(self.urls)]
        self._turn += 1
        cursor = self.log.cursor
        try:
            response = await http.get(
                f"{url}/api/v1/owner/sync", params={"cursor": cursor, "limit": 50}
            )
        except httpx.HTTPError as error:
            self.log.failures[type(error).__name__] += 1
            return None
        if response.status_code != 200:
            self.log.failures[str(response.status_code)] += 1
            if response.status_code not in (502, 503):
                raise AssertionError(f"sync pull answered {response.status_code}: {response.text}")
            return None
        body = response.json()
        changes = [
            (c["entity"], str(c["id"]), int(c["version"]), bool(c["deleted"]))
            for c in body["changes"]
        ]
        self.log.pages.append(Page(cursor, int(body["cursor"]), changes))
        return bool(body["has_more"])

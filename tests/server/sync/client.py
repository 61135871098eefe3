"""A minimal sync client for the tests: pulls pages and keeps the latest state of every row."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.server.owner.people import OWNER


@dataclass
class Replica:
    """What a client holds after applying pages: ``(entity, id) -> change``, and its cursor."""

    headers: dict[str, str]
    cursor: int = 0
    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)

    async def pull_page(self, client: httpx.AsyncClient, limit: int = 500) -> dict[str, Any]:
        response = await client.get(
            f"{OWNER}/sync", params={"cursor": self.cursor, "limit": limit}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        versions = [c["version"] for c in page["changes"]]
        assert versions == sorted(set(versions)), "versions not strictly increasing in a page"
        assert all(v > self.cursor for v in versions), "a change at or before the cursor"
        assert len(versions) <= limit
        if versions:
            # The cursor is the page's boundary version: a row that sat at the boundary and was
            # changed again by a writer committing meanwhile comes later, with its new version.
            assert page["cursor"] >= versions[-1]
        assert page["cursor"] >= self.cursor
        for change in page["changes"]:
            key = (change["entity"], change["id"])
            self.seen.append((*key, change["version"]))
            self.rows[key] = change
        self.cursor = page["cursor"]
        self.pages.append(page)
        return page

    async def catch_up(self, client: httpx.AsyncClient, limit: int = 500) -> int:
        """Pull until ``has_more`` is false; returns the number of pages."""
        count = 0
        while True:
            page = await self.pull_page(client, limit)
            count += 1
            if not page["has_more"]:
                return count

    async def pull_during(
        self, client: httpx.AsyncClient, work: asyncio.Future[Any], limit: int
    ) -> int:
        """Pull pages while ``work`` runs, then catch up; returns the pages pulled meanwhile."""
        pulls = 0
        while not work.done():
            await self.pull_page(client, limit=limit)
            pulls += 1
            await asyncio.sleep(0)
        await work
        await self.catch_up(client, limit=limit)
        return pulls

    def live(self, entity: str) -> dict[str, dict[str, Any]]:
        return {
            key[1]: change["data"]
            for key, change in self.rows.items()
            if key[0] == entity and not change["deleted"]
        }

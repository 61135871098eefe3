"""In-process CPU of the pull and of the lead search on SQLite, to compare two versions of the
code on a loaded machine (CPU time moves far less with the load than wall time does).

    python -m bench sync_cpu [--leads 10000] [--rounds 4]

Seeds a business as ``bench sync`` does, then, ``rounds`` times: pulls every page of 500
through ``server.sync.service.pull`` (CPU per page, the page's JSON parse included) and runs
70 lead searches through ``server.leads.repository.lead_page`` (CPU per search).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import orjson

from bench.sync import seed, settings_for
from server.context import build_context
from server.leads import repository
from server.migrate import upgrade
from server.models.business import Business
from server.sync import service

WORDS = ["garcia", "window", "office", "867 53", "clean", "ava", "oven"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-sync-cpu-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'server.db'}"
        settings = settings_for(url, Path(tmp) / "data")
        await asyncio.to_thread(upgrade, url)
        _, business_id = await seed(settings, args.leads, 3)
        ctx = build_context(settings)
        try:
            pages_ms, search_ms = [], []
            for _ in range(args.rounds):
                cpu, pages, cursor, more = time.process_time(), 0, 0, True
                while more:
                    async with ctx.db.read_session() as session:
                        business = await session.get(Business, uuid.UUID(business_id))
                        assert business is not None
                        body = await service.pull(session, settings, business, cursor, 500)
                    page = orjson.loads(body)
                    cursor, more, pages = page["cursor"], page["has_more"], pages + 1
                pages_ms.append((time.process_time() - cpu) / pages * 1000)
                cpu = time.process_time()
                for _ in range(10):
                    for q in WORDS:
                        async with ctx.db.read_session() as session:
                            await repository.lead_page(
                                session,
                                uuid.UUID(business_id),
                                status=None,
                                q=q,
                                oldest_first=False,
                                limit=50,
                                offset=0,
                            )
                search_ms.append((time.process_time() - cpu) / (10 * len(WORDS)) * 1000)
        finally:
            await ctx.db.dispose()
    print("pull CPU per page (ms):", " ".join(f"{v:.2f}" for v in pages_ms))
    print("search CPU per request (ms):", " ".join(f"{v:.2f}" for v in search_ms))


if __name__ == "__main__":
    asyncio.run(main())

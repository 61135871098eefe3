"""SQLite: a new lead is written on the event loop, on a connection that never waits.

``SqliteStorage.insert_new_lead`` runs the submit's statements on the loop's own sqlite3
connection. What holds for the ORM's transaction must hold for it (every row committed before
the 202, versions and jobs announced), and the loop must never stall on it: while another
process holds SQLite's write lock the submit waits in a thread, and the WAL is checkpointed in
the background, not by the committing connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from server.config import Settings
from server.models.lead import Lead, Message, Submission
from server.models.ops import Job
from server.models.sync import SyncCounter
from server.models.user import RateLimitHit
from server.storage.sqlite import SqliteStorage
from tests.server.conftest import fresh_database, make_settings
from tests.server.factories import submit
from tests.server.intake.probes import announcements, new_email, row_count
from tests.server.support import SmtpSink


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from fresh_database("sqlite", request, tmp_path)


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path, smtp: SmtpSink) -> Settings:
    # Room for a hundred submits from one address.
    return make_settings(sqlite_url, tmp_path / "data", smtp, intake_ip_limit=1000)


def _inline(ctx) -> SqliteStorage:  # type: ignore[no-untyped-def]
    inline = ctx.db.storage
    assert isinstance(inline, SqliteStorage)
    return inline


def _file(ctx) -> str:  # type: ignore[no-untyped-def]
    return str(make_url(ctx.settings.database_url).database)


async def test_a_new_lead_and_all_its_rows_are_committed_before_the_202(ctx, client, tenant):
    published, woken = announcements(ctx)
    response = await submit(client, tenant.slug, customer_email=new_email())
    assert response.status_code == 202
    # Read by another process's connection: committed, not merely written.
    with sqlite3.connect(_file(ctx)) as other:
        leads = other.execute("SELECT id, version, status FROM leads").fetchall()
        (head,) = other.execute("SELECT version FROM sync_counters").fetchone()
    assert len(leads) == 1 and leads[0][2] == "new"
    async with ctx.db.session() as session:
        lead = (await session.execute(select(Lead))).scalar_one()
        message = (await session.execute(select(Message).where(Message.lead_id == lead.id))).one()
        jobs = list((await session.execute(select(Job.kind))).scalars())
        counter = await session.get(SyncCounter, lead.business_id)
    assert lead.created_at.tzinfo is not None and lead.spam_reasons == []
    assert message[0].version == lead.version + 1 == head
    assert counter is not None and counter.version == head
    assert "process_lead" in jobs
    assert await row_count(ctx, Submission) == 1
    assert await row_count(ctx, RateLimitHit) == 2  # per address and per form
    assert published == [{lead.business_id: head}]
    assert woken == [True]


async def test_a_submit_waits_in_a_thread_while_another_process_writes(ctx, client, tenant):
    """The loop's connection fails at once on the lock and the work goes to a thread, which
    waits for the lock while the event loop goes on. (Waiting on the loop, the submit would hold
    it until SQLite's busy timeout ran out, and fail, before this test could release the lock.)"""
    await submit(client, tenant.slug, customer_email=new_email())  # the loop's connection opened
    other = sqlite3.connect(_file(ctx), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    try:
        waiting = asyncio.create_task(submit(client, tenant.slug, customer_email=new_email()))
        for _ in range(30):
            await asyncio.sleep(0.01)
            assert not waiting.done()
    finally:
        other.execute("COMMIT")
        other.close()
    response = await asyncio.wait_for(waiting, 30)
    assert response.status_code == 202
    assert await row_count(ctx, Lead) == 2


async def test_the_wal_is_checkpointed_in_the_background_not_by_the_loop(ctx, client, tenant):
    inline = _inline(ctx)
    with inline.loop_engine.connect() as conn:  # the loop's connection itself
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0
    for _ in range(2 * SqliteStorage.CHECKPOINT_EVERY + 1):
        response = await submit(client, tenant.slug, customer_email=new_email())
        assert response.status_code == 202
    for _ in range(500):  # the last checkpoint runs in its thread
        if inline.checkpoints >= 2 and inline._checkpointing is None:
            break
        await asyncio.sleep(0.01)
    assert inline.checkpoints >= 2
    busy, logged, copied = inline.last_checkpoint
    assert busy == 0 and copied > 0 and logged >= copied  # it copied the WAL into the database


async def test_under_steady_submits_the_wal_starts_over_after_each_checkpoint(ctx, client, tenant):
    """The checkpoint takes the writer's turn, so it copies the WAL to its last frame and the
    next write starts the WAL over: beside a steady stream of writers it never caught up, and
    the WAL grew by every commit (about 200 KB a submit; 42 MB here without the turn)."""
    inline = _inline(ctx)
    copies: list[tuple[int, int, int]] = []
    checkpoint = inline._checkpoint

    def observed() -> None:
        checkpoint()
        copies.append(inline.last_checkpoint)

    inline._checkpoint = observed  # type: ignore[method-assign]
    total, concurrent = 8 * SqliteStorage.CHECKPOINT_EVERY, 20

    async def submitter() -> None:
        for _ in range(total // concurrent):
            response = await submit(client, tenant.slug, customer_email=new_email())
            assert response.status_code == 202

    await asyncio.gather(*(submitter() for _ in range(concurrent)))
    while inline._checkpointing is not None:
        await asyncio.sleep(0.01)
    assert len(copies) >= 6
    assert all(busy == 0 and logged == copied for busy, logged, copied in copies), copies
    # The WAL holds about one checkpoint interval of commits, not every commit of the run.
    path = Path(make_url(ctx.db.url).database or "")
    wal = path.with_name(path.name + "-wal").stat().st_size
    assert wal < 3 * SqliteStorage.CHECKPOINT_EVERY * 60 * 4096, wal


async def test_a_returning_customer_goes_the_orm_way_and_is_attached(ctx, client, tenant):
    email = new_email()
    assert (await submit(client, tenant.slug, customer_email=email)).status_code == 202
    second = await submit(client, tenant.slug, customer_email=email, message="One more thing.")
    assert second.status_code == 202
    assert await row_count(ctx, Lead) == 1
    assert await row_count(ctx, Message) == 2
    assert await row_count(ctx, Submission) == 2

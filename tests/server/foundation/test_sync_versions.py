"""Every change of a synced row takes its business's next version, in commit order."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from sqlalchemy import select, update

from server.db import Database
from server.models import Business, Form, Lead, Message, SyncCounter, SyncTombstone
from server.models.base import utcnow
from server.sync_versions import BulkSyncedWriteError


async def _business(db: Database) -> uuid.UUID:
    async with db.session() as session:
        business = Business(
            name="Acme", slug=f"acme-{uuid.uuid4().hex[:6]}", contact_email="a@example.com"
        )
        session.add(business)
        await session.flush()
        session.add(
            Form(
                business_id=business.id,
                slug=f"f-{uuid.uuid4().hex[:6]}",
                title="Quote",
                success_message="Thanks",
            )
        )
        return business.id


def _lead(business_id: uuid.UUID, name: str = "Casey") -> Lead:
    now = utcnow()
    return Lead(
        business_id=business_id,
        submission_id=uuid.uuid4(),
        customer_name=name,
        last_activity_at=now,
        created_at=now,
        updated_at=now,
    )


async def test_insert_update_and_delete_take_increasing_versions_and_leave_tombstones(db_url):
    db = Database(db_url)
    published: list[dict[uuid.UUID, int]] = []
    db.listeners.append(published.append)
    try:
        business_id = await _business(db)
        async with db.session() as session:
            lead = _lead(business_id)
            session.add(lead)
        created = lead.version
        async with db.session() as session:
            row = await session.get(Lead, lead.id)
            row.status = "contacted"
        async with db.session() as session:
            row = await session.get(Lead, lead.id)
            updated = row.version
            row.status = "contacted"  # no real change: no new version
        async with db.session() as session:
            assert (await session.get(Lead, lead.id)).version == updated
            message = Message(
                business_id=business_id,
                lead_id=lead.id,
                type="note",
                direction="internal",
                content="hi",
                created_at=utcnow(),
            )
            session.add(message)
        async with db.session() as session:
            await session.delete(await session.get(Message, message.id))
        async with db.session() as session:
            tomb = (await session.execute(select(SyncTombstone))).scalar_one()
            counter = await session.get(SyncCounter, business_id)
        assert 2 < created < updated < message.version < tomb.version == counter.version
        assert (tomb.entity, tomb.entity_id) == ("message", message.id)
        assert [b[business_id] for b in published][-1] == counter.version
    finally:
        await db.dispose()


async def test_bulk_writes_on_synced_tables_are_refused(db_url):
    db = Database(db_url)
    try:
        business_id = await _business(db)
        with pytest.raises(BulkSyncedWriteError):
            async with db.session() as session:
                await session.execute(
                    update(Lead).where(Lead.business_id == business_id).values(status="lost")
                )
    finally:
        await db.dispose()


async def test_reader_paging_during_concurrent_writers_sees_every_change_once(pg_url):
    """Many writers commit while a reader pages through ``version > cursor``: the reader ends
    with every row in its final state and never sees one version twice."""
    db = Database(pg_url, pool_size=12)
    try:
        business_id = await _business(db)
        lead_ids: list[uuid.UUID] = []
        async with db.session() as session:
            for n in range(20):
                lead = _lead(business_id, f"lead {n}")
                session.add(lead)
                await session.flush()
                lead_ids.append(lead.id)
        stop = asyncio.Event()

        async def writer(seed: int) -> None:
            rng = random.Random(seed)
            for step in range(40):
                async with db.session() as session:
                    lead = await session.get(Lead, rng.choice(lead_ids))
                    lead.customer_name = f"w{seed}-{step}"
                    await session.flush()  # takes the version; the counter stays locked
                    await asyncio.sleep(rng.random() / 200)  # hold the counter lock a moment

        seen_versions: set[int] = set()
        state: dict[uuid.UUID, tuple[int, str]] = {}

        async def reader() -> None:
            cursor = 0
            while True:
                done = stop.is_set()
                async with db.session() as session:
                    rows = (
                        await session.execute(
                            select(Lead.id, Lead.version, Lead.customer_name)
                            .where(Lead.business_id == business_id, Lead.version > cursor)
                            .order_by(Lead.version)
                            .limit(7)
                        )
                    ).all()
                for lead_id, version, name in rows:
                    assert version not in seen_versions
                    seen_versions.add(version)
                    state[lead_id] = (version, name)
                    cursor = version
                if done and not rows:
                    return
                await asyncio.sleep(0)

        reading = asyncio.create_task(reader())
        await asyncio.gather(*(writer(seed) for seed in range(8)))
        stop.set()
        await reading
        async with db.session() as session:
            final = {
                row.id: (row.version, row.customer_name)
                for row in (
                    await session.execute(select(Lead).where(Lead.business_id == business_id))
                ).scalars()
            }
        assert state == final
    finally:
        await db.dispose()

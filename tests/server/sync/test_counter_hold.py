"""On PostgreSQL a business's version counter is held for one statement: the counter step and
every written row's version go out together, and only the commit follows (other writers of the
business wait for that lock, docs/ARCHITECTURE.md "Sync versions"); a transaction that queued jobs
tells the other processes' workers before it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, select

from server.jobs import queue
from server.models.base import utcnow
from server.models.lead import Lead, Message
from server.models.sync import SyncCounter
from tests.server.owner.people import World


async def test_only_the_commit_follows_the_counter_step(pg_world: World):
    tenant = await pg_world.tenant()
    lead_id = uuid.UUID((await pg_world.lead(tenant, process=False))["id"])
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = pg_world.ctx.db.storage.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        async with pg_world.ctx.db.session() as session:
            lead = await session.get(Lead, lead_id, with_for_update={"key_share": True})
            assert lead is not None
            lead.preferred_time = "Tuesday morning"
            note = Message(
                business_id=lead.business_id,
                lead_id=lead.id,
                type="note",
                direction="internal",
                content="Called back",
                created_at=utcnow(),
            )
            session.add(note)
            await queue.enqueue(session, "ping", {})  # its notice to the workers goes first
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    counter_steps = [n for n, text in enumerate(statements) if "sync_counters" in text]
    assert counter_steps == [len(statements) - 1], statements  # once, and nothing after it
    assert sum("pg_notify" in text and "sync_counters" not in text for text in statements) == 1
    last = statements[-1]
    assert "UPDATE leads" in last and "UPDATE messages" in last
    async with pg_world.ctx.db.read_session() as session:
        head = await session.scalar(
            select(SyncCounter.version).where(SyncCounter.business_id == lead.business_id)
        )
        versions = sorted(
            (
                await session.execute(
                    select(Lead.version)
                    .where(Lead.id == lead_id)
                    .union_all(select(Message.version).where(Message.id == note.id))
                )
            ).scalars()
        )
    assert versions == [head - 1, head]  # the business's two newest versions, one per row

"""A pull interleaved with concurrent writers on PostgreSQL never misses or repeats a change."""

from __future__ import annotations

import asyncio
import random
import uuid

from sqlalchemy import event, select
from sqlalchemy.util import await_only

from server.context import build_context
from server.models.base import utcnow
from server.models.business import Form
from server.models.lead import Lead, Message
from tests.server.owner.people import World
from tests.server.sync.client import Replica
from tests.server.sync.truth import assert_replica_is_the_truth

WRITERS = 6
WRITES_EACH = 30


async def _writer(world: World, number: int, lead_ids: list[uuid.UUID]) -> None:
    rng = random.Random(number)
    for step in range(WRITES_EACH):
        async with world.ctx.db.session() as session:
            # Like every lead write of the services: lock the lead, then change it.
            lead = await session.get(
                Lead, rng.choice(lead_ids), with_for_update={"key_share": True}
            )
            if rng.random() < 0.5:  # some transactions touch only leads, others only messages
                lead.preferred_time = f"writer {number} step {step}"
            else:
                session.add(
                    Message(
                        business_id=lead.business_id,
                        lead_id=lead.id,
                        type="note",
                        direction="internal",
                        content=f"note {number}/{step}",
                        created_at=utcnow(),
                    )
                )
            await asyncio.sleep(rng.random() * 0.01)  # hold the transaction open a little
        await asyncio.sleep(rng.random() * 0.005)


async def test_paging_while_writers_commit_misses_and_repeats_nothing(pg_world: World):
    tenant = await pg_world.tenant()
    leads = [await pg_world.lead(tenant, process=False) for _ in range(8)]
    lead_ids = [uuid.UUID(lead["id"]) for lead in leads]
    replica = Replica(tenant.owner_headers)

    writers = asyncio.gather(*(_writer(pg_world, n, lead_ids) for n in range(WRITERS)))
    pulls = await replica.pull_during(pg_world.client, writers, limit=5)
    assert pulls > 10, "the reader did not interleave with the writers"

    await assert_replica_is_the_truth(pg_world.ctx, tenant.id, replica)
    async with pg_world.ctx.db.session() as session:
        for lead_id in lead_ids:
            row = await session.get(Lead, lead_id)
            assert replica.live("lead")[str(lead_id)]["preferred_time"] == row.preferred_time


async def test_commits_landing_between_the_statements_of_one_pull_are_not_skipped(
    pg_world: World,
):
    """Deterministic form of the race. A page is one statement, except for the rows Python
    builds (here the form), which a second query loads in a snapshot of its own. Just before
    that query runs, another transaction changes the form again, then commits a lead change and
    a message: the page must drop the form (its new version comes later), not move the cursor
    past the lead change, and bring nothing twice."""
    tenant = await pg_world.tenant()
    lead = await pg_world.lead(tenant)
    lead_id = uuid.UUID(lead["id"])
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(pg_world.client)
    async with pg_world.ctx.db.session() as session:
        form = (
            await session.execute(select(Form).where(Form.business_id == uuid.UUID(tenant.id)))
        ).scalar_one()
        form.title = "changed before the pull"
        form_id = form.id
    other = build_context(pg_world.ctx.settings)
    fired = []

    async def commit_form_lead_then_message() -> None:
        for change in ("form", "lead", "message"):
            async with other.db.session() as session:
                row = await session.get(Lead, lead_id, with_for_update={"key_share": True})
                if change == "form":
                    again = await session.get(Form, form_id)
                    again.title = "changed mid-pull"
                elif change == "lead":
                    row.preferred_time = "changed mid-pull"
                else:
                    session.add(
                        Message(
                            business_id=row.business_id,
                            lead_id=row.id,
                            type="note",
                            direction="internal",
                            content="mid-pull",
                            created_at=utcnow(),
                        )
                    )

    def between_statements(_conn, _cursor, statement, _params, _context, _many) -> None:
        if not fired and "FROM forms" in statement and "WITH head" not in statement:
            fired.append(True)
            await_only(commit_form_lead_then_message())

    engine = pg_world.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", between_statements)
    try:
        page = await replica.pull_page(pg_world.client)
    finally:
        event.remove(engine, "before_cursor_execute", between_statements)
        await other.db.dispose()
    assert fired
    assert page["changes"] == [], "the form changed again was not left to a later page"
    await replica.catch_up(pg_world.client)
    assert replica.live("lead")[lead["id"]]["preferred_time"] == "changed mid-pull"
    assert replica.live("form")[str(form_id)]["title"] == "changed mid-pull"
    await assert_replica_is_the_truth(pg_world.ctx, tenant.id, replica)

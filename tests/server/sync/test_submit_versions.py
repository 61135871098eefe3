"""Form submits reserve their sync versions up front (the intake hot path writes Core rows).

On PostgreSQL, submits of new leads and of repeat customers, owner-side writers that lock a lead
first, and a client paging through the changes all run at once: the client must end with exactly
the server's rows, each change seen once and in order, and every submitted lead present.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from server.models.base import utcnow
from server.models.lead import Lead, Message
from tests.server.factories import submit
from tests.server.owner.people import World
from tests.server.sync.client import Replica
from tests.server.sync.truth import assert_replica_is_the_truth

SUBMITTERS = 4
SUBMITS_EACH = 12
WRITERS = 3


async def _submitter(world: World, slug: str, number: int, emails: list[str]) -> None:
    rng = random.Random(100 + number)
    for step in range(SUBMITS_EACH):
        if emails and rng.random() < 0.3:
            email = rng.choice(emails)  # a returning customer: attached to the open lead
        else:
            email = f"sub-{number}-{step}-{uuid.uuid4().hex[:4]}@example.net"
            emails.append(email)
        response = await submit(world.client, slug, customer_email=email)
        assert response.status_code == 202, response.text
        await asyncio.sleep(rng.random() * 0.005)


async def _writer(world: World, number: int, lead_ids: list[uuid.UUID]) -> None:
    rng = random.Random(number)
    for step in range(SUBMITS_EACH):
        async with world.ctx.db.session() as session:
            lead = await session.get(
                Lead, rng.choice(lead_ids), with_for_update={"key_share": True}
            )
            assert lead is not None
            lead.preferred_time = f"writer {number} step {step}"
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
            await asyncio.sleep(rng.random() * 0.005)


async def test_concurrent_submits_writers_and_a_pulling_client_agree(pg_world: World):
    pg_world.ctx.settings.intake_ip_limit = 10_000  # every submit comes from one address here
    pg_world.ctx.settings.intake_form_limit = 10_000
    tenant = await pg_world.tenant()
    seeded = [await pg_world.lead(tenant, process=False) for _ in range(4)]
    lead_ids = [uuid.UUID(lead["id"]) for lead in seeded]
    replica = Replica(tenant.owner_headers)
    emails: list[str] = []

    work = asyncio.gather(
        *(_submitter(pg_world, tenant.slug, n, emails) for n in range(SUBMITTERS)),
        *(_writer(pg_world, n, lead_ids) for n in range(WRITERS)),
    )
    pulls = await replica.pull_during(pg_world.client, work, limit=7)
    assert pulls > 5, "the reader did not interleave with the writers"

    await assert_replica_is_the_truth(pg_world.ctx, tenant.id, replica)
    live_emails = {lead["customer_email"] for lead in replica.live("lead").values()}
    assert set(emails) <= live_emails, "a submitted lead never reached the client"
    # Every customer message the submits stored reached the client too.
    messages = replica.live("message").values()
    customer_messages = [m for m in messages if m["type"] == "customer_message"]
    assert len(customer_messages) == 4 + SUBMITTERS * SUBMITS_EACH

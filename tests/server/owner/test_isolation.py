"""Tenant isolation, generated from the route table: business A's owner on business B's objects.

Every owner route that takes an object id, and every push mutation type, is called with A's
token on B's lead, follow-up or team member: REST answers 404 and push ``rejected`` with a
not-found code; never 200 or 500, and B's data (its sync version) and B's customer's inbox stay
unchanged. One world per database backend serves the whole module.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from server.app import create_app
from server.context import build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.sync.service import current_version
from tests.server.conftest import BACKENDS, fresh_database, make_settings
from tests.server.factories import Tenant, admin_headers
from tests.server.owner.people import OWNER, World
from tests.server.owner.routes import (
    BUSINESS_ROUTES,
    OBJECT_ROUTES,
    PUSH_MUTATIONS,
    Route,
    fill,
    mutation_label,
)
from tests.server.support import SmtpSink

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOT_FOUND_CODES = {"lead_not_found", "follow_up_not_found", "not_found"}


@dataclass
class Pair:
    world: World
    a: Tenant
    b: Tenant
    b_ids: dict[str, str]
    b_customer: str

    async def b_version(self) -> int:
        async with self.world.ctx.db.session() as session:
            return await current_version(session, uuid.UUID(self.b.id))

    async def fresh_b_ids(self) -> dict[str, str]:
        """A processed lead of B (draft, automatic follow-up) and a new staff member of B."""
        lead = await self.world.lead(self.b)
        follow_ups = await self.world.client.get(
            f"{OWNER}/follow-ups", params={"limit": 500}, headers=self.b.owner_headers
        )
        follow_up = next(f for f in follow_ups.json()["items"] if f["lead_id"] == lead["id"])
        await self.world.staff(self.b)
        team = await self.world.client.get(f"{OWNER}/team", headers=self.b.owner_headers)
        member = next(m for m in team.json() if m["role"] == "staff" and m["status"] == "active")
        thread = await self.world.client.get(
            f"{OWNER}/leads/{lead['id']}/messages", headers=self.b.owner_headers
        )
        mail = next(m for m in thread.json() if m["direction"] == "outbound")
        return {
            "lead_id": lead["id"],
            "follow_up_id": follow_up["id"],
            "member_id": member["member_id"],
            "message_id": mail["id"],
        }


@pytest.fixture(scope="module", params=BACKENDS)
def pair_database(request, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """Made outside the event loop: the migrations behind the templates run their own loop."""
    tmp = tmp_path_factory.mktemp(f"isolation-{request.param}")
    for url in fresh_database(request.param, request, tmp):
        yield url, tmp


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(pair_database) -> AsyncIterator[Pair]:
    url, tmp = pair_database
    smtp = SmtpSink()
    smtp.start()
    ctx = build_context(make_settings(url, tmp / "data", smtp, intake_ip_limit=10_000))
    app = create_app(ctx=ctx)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                worker = Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="iso")
                world = World(ctx, c, smtp, worker, await admin_headers(ctx, c))
                a = await world.tenant(name="Alpha Cleaning")
                b = await world.tenant(name="Bravo Plumbing")
                await world.lead(a)
                pair = Pair(world, a, b, {}, "")
                pair.b_ids = await pair.fresh_b_ids()
                detail = await c.get(
                    f"{OWNER}/leads/{pair.b_ids['lead_id']}", headers=b.owner_headers
                )
                pair.b_customer = detail.json()["customer_email"]
                yield pair
    finally:
        await ctx.db.dispose()
        smtp.stop()


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.label)
async def test_owner_of_a_gets_404_on_every_object_route_of_b(pair: Pair, route: Route):
    before = await pair.b_version()
    mails = len(pair.world.smtp.messages)
    response = await pair.world.client.request(
        route.method, route.url(**pair.b_ids), json=route.body, headers=pair.a.owner_headers
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] in NOT_FOUND_CODES
    await pair.world.worker.tick()
    assert await pair.b_version() == before
    assert len(pair.world.smtp.messages) == mails


@pytest.mark.parametrize("mutation", PUSH_MUTATIONS, ids=mutation_label)
async def test_push_of_a_is_rejected_on_every_object_of_b(pair: Pair, mutation: dict):
    before = await pair.b_version()
    mails = len(pair.world.smtp.messages)
    mutation_id = str(uuid.uuid4())
    response = await pair.world.client.post(
        f"{OWNER}/sync/push",
        json={
            "device_id": str(uuid.uuid4()),
            "mutations": [{"id": mutation_id, **fill(mutation, **pair.b_ids)}],
        },
        headers=pair.a.owner_headers,
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["id"], result["status"]) == (mutation_id, "rejected")
    assert result["error"]["code"] in NOT_FOUND_CODES
    await pair.world.worker.tick()
    assert await pair.b_version() == before
    assert len(pair.world.smtp.messages) == mails


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.label)
async def test_the_same_call_by_b_on_its_own_objects_succeeds(pair: Pair, route: Route):
    """The control of the matrix: the ids are real, so A's 404 is isolation, not a typo."""
    ids = await pair.fresh_b_ids()
    response = await pair.world.client.request(
        route.method, route.url(**ids), json=route.body, headers=pair.b.owner_headers
    )
    assert response.status_code in route.succeeds, response.text


async def test_push_by_b_on_its_own_objects_is_applied(pair: Pair):
    for mutation in PUSH_MUTATIONS:
        ids = await pair.fresh_b_ids()
        response = await pair.world.client.post(
            f"{OWNER}/sync/push",
            json={
                "device_id": str(uuid.uuid4()),
                "mutations": [{"id": str(uuid.uuid4()), **fill(mutation, **ids)}],
            },
            headers=pair.b.owner_headers,
        )
        assert response.json()["results"][0]["status"] == "applied", mutation


@pytest.mark.parametrize(
    "route",
    [r for r in BUSINESS_ROUTES if r.method == "GET" and r.path != "/events"],
    ids=lambda r: r.label,
)
async def test_business_wide_reads_of_a_never_show_b_objects(pair: Pair, route: Route):
    response = await pair.world.client.get(route.url(), headers=pair.a.owner_headers)
    assert response.status_code == 200, response.text
    text = response.text
    assert pair.b.id not in text and pair.b_ids["lead_id"] not in text
    assert pair.b_ids["follow_up_id"] not in text and pair.b_customer not in text

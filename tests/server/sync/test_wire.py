"""The pull and the lead list build rows without pydantic: their shape must match the views."""

from __future__ import annotations

import uuid

from server.leads.views import lead_out, sync_data
from server.models import SYNCED_MODELS
from server.models.base import utcnow
from server.models.lead import Lead
from shared.models.follow_ups import FollowUpDay
from tests.server.owner.people import OWNER
from tests.server.sync.client import Replica

MODELS = {model.__sync_entity__: model for model in SYNCED_MODELS}


async def _varied_leads(world, tenant) -> None:
    """Leads with every optional part: analysis, gate, follow-ups, notes, UTM, opened, closed."""
    first = await world.lead(
        tenant,
        customer_phone="+1 (415) 555-0134",
        service_needed="Window cleaning",
        utm_source="flyer",
        referrer="https://example.org/a",
    )
    third = await world.lead(tenant)
    unprocessed = await world.lead(tenant, process=False)
    headers = tenant.owner_headers
    await world.client.post(f"{OWNER}/leads/{first['id']}/open", headers=headers)
    await world.client.post(
        f"{OWNER}/leads/{first['id']}/notes", json={"content": "Call back"}, headers=headers
    )
    lost = await world.client.patch(
        f"{OWNER}/leads/{third['id']}", json={"status": "lost"}, headers=headers
    )
    assert lost.status_code == 200, lost.text
    assert unprocessed["gate"] is None


async def test_every_pulled_row_has_exactly_the_shape_the_views_give_it(world, tenant):
    await _varied_leads(world, tenant)
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client, limit=7)

    checked: set[str] = set()
    async with world.ctx.db.session() as session:
        for (entity, row_id), change in replica.rows.items():
            row = await session.get(MODELS[entity], uuid.UUID(row_id))
            assert row is not None
            expected = sync_data(entity, row, world.ctx.settings, FollowUpDay.of(utcnow(), "UTC"))
            assert change["data"] == expected, entity
            assert list(change["data"]) == list(expected), f"{entity}: field order"
            checked.add(entity)
    assert checked == set(MODELS)
    leads = replica.live("lead")
    assert any(lead["opened_at"] for lead in leads.values())
    assert any(lead["gate"] for lead in leads.values())
    assert any(lead["gate"] is None for lead in leads.values())
    follow_ups = replica.live("follow_up").values()
    assert {f["status"] for f in follow_ups} >= {"scheduled", "canceled"}


async def test_the_lead_list_has_exactly_the_shape_of_lead_out(world, tenant):
    await _varied_leads(world, tenant)
    listed = await world.client.get(
        f"{OWNER}/leads", params={"limit": 10}, headers=tenant.owner_headers
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 3 and body["limit"] == 10 and body["offset"] == 0
    async with world.ctx.db.session() as session:
        for item in body["items"]:
            lead = await session.get(Lead, uuid.UUID(item["id"]))
            assert lead is not None
            expected = lead_out(lead).model_dump(mode="json")
            assert item == expected
            assert list(item) == list(expected)

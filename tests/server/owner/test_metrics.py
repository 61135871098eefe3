"""Owner metrics: KPIs over all leads and 14 daily buckets in the business's time zone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.models.lead import Lead
from tests.server.owner.people import OWNER

ZONE = "America/Los_Angeles"


async def _metrics(world, tenant) -> dict:
    response = await world.client.get(f"{OWNER}/metrics", headers=tenant.owner_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _set_created(world, lead_id: str, when: datetime) -> None:
    async with world.ctx.db.session() as session:
        (await session.get(Lead, uuid.UUID(lead_id))).created_at = when


async def test_daily_buckets_are_14_local_days_ending_today_in_the_business_zone(world, tenant):
    patched = await world.client.patch(
        f"{OWNER}/business", json={"timezone": ZONE}, headers=tenant.owner_headers
    )
    assert patched.status_code == 200 and patched.json()["timezone"] == ZONE
    zone = ZoneInfo(ZONE)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=zone).astimezone(UTC)

    just_now = await world.lead(tenant, process=False)
    after_midnight = await world.lead(tenant, process=False)
    before_midnight = await world.lead(tenant, process=False)
    too_old = await world.lead(tenant, process=False)
    await _set_created(world, after_midnight["id"], min(midnight + timedelta(seconds=1), now))
    await _set_created(world, before_midnight["id"], midnight - timedelta(seconds=1))
    await _set_created(world, too_old["id"], midnight - timedelta(days=13, seconds=1))
    assert just_now["id"]

    daily = (await _metrics(world, tenant))["daily"]
    assert [d["date"] for d in daily] == [
        (today - timedelta(days=13 - n)).isoformat() for n in range(14)
    ]
    counts = {date.fromisoformat(d["date"]): d["count"] for d in daily}
    assert counts[today] == 2  # now and just after local midnight
    assert counts[today - timedelta(days=1)] == 1  # a second before local midnight
    assert sum(counts.values()) == 3  # the 14-day-old lead is outside the chart


async def test_kpis_count_new_booked_due_awaiting_and_all_leads(world, tenant):
    awaiting = await world.lead(tenant)  # acknowledged, gate needs approval
    booked = await world.lead(tenant, process=False)
    await world.lead(tenant, process=False)
    await world.client.patch(
        f"{OWNER}/leads/{booked['id']}", json={"status": "booked"}, headers=tenant.owner_headers
    )
    await world.client.post(
        f"{OWNER}/leads/{booked['id']}/follow-ups",
        json={"scheduled_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat()},
        headers=tenant.owner_headers,
    )
    kpis = (await _metrics(world, tenant))["kpis"]
    assert kpis == {
        "new_leads": 2,
        "follow_ups_due": 1,  # overdue counts as due; the automatic one is tomorrow
        "booked": 1,
        "total_leads": 3,
        "ai_replied": 0,
        "awaiting_approval": 1,
    }
    await world.client.post(
        f"{OWNER}/leads/{awaiting['id']}/approve-draft", json={}, headers=tenant.owner_headers
    )
    assert (await _metrics(world, tenant))["kpis"]["awaiting_approval"] == 0


async def test_ai_replied_counts_leads_answered_automatically(world):
    tenant = await world.tenant(smart_auto_reply=True, owner_approval_required=False)
    await world.lead(tenant)
    await world.lead(tenant)
    kpis = (await _metrics(world, tenant))["kpis"]
    assert (kpis["ai_replied"], kpis["awaiting_approval"], kpis["total_leads"]) == (2, 0, 2)

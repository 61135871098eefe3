"""Follow-ups: listing by computed state, send now, cancel, reschedule and scheduling by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.models.lead import FollowUp
from tests.server.owner.people import OWNER, error_code

ZONES = [
    "UTC",
    "Pacific/Kiritimati",
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Pago_Pago",
]


def zone_with_time_left_today() -> str:
    """A time zone in which at least two hours of today remain, so "due today" can be tested."""
    now = datetime.now(UTC)
    for name in ZONES:
        if now.astimezone(ZoneInfo(name)).hour < 22:
            return name
    raise AssertionError("no zone has two hours of today left")


async def _schedule(world, tenant, lead_id, when: datetime):
    return await world.client.post(
        f"{OWNER}/leads/{lead_id}/follow-ups",
        json={"scheduled_at": when.isoformat()},
        headers=tenant.owner_headers,
    )


async def _listed(world, tenant, state=None) -> list[dict]:
    params = {"state": state} if state else {}
    response = await world.client.get(
        f"{OWNER}/follow-ups", params=params, headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(response.json()["items"])
    return response.json()["items"]


async def test_follow_ups_are_listed_by_each_state_computed_in_the_business_zone(world, tenant):
    zone = zone_with_time_left_today()
    patched = await world.client.patch(
        f"{OWNER}/business", json={"timezone": zone}, headers=tenant.owner_headers
    )
    assert patched.status_code == 200
    lead = await world.lead(tenant, process=False)
    now = datetime.now(UTC)
    made = {}
    for state, when in {
        "overdue": now - timedelta(hours=1),
        "due": now + timedelta(minutes=30),
        "scheduled": now + timedelta(days=3),
        "sent": now + timedelta(days=4),
        "canceled": now + timedelta(days=5),
        "failed": now + timedelta(days=6),
    }.items():
        response = await _schedule(world, tenant, lead["id"], when)
        assert response.status_code == 201, response.text
        assert response.json()["lead_id"] == lead["id"]
        made[state] = response.json()["id"]
    headers = tenant.owner_headers
    await world.client.patch(
        f"{OWNER}/follow-ups/{made['sent']}", json={"status": "sent"}, headers=headers
    )
    await world.client.patch(
        f"{OWNER}/follow-ups/{made['canceled']}", json={"status": "canceled"}, headers=headers
    )
    async with world.ctx.db.session() as session:
        (await session.get(FollowUp, uuid.UUID(made["failed"]))).status = "failed"

    for state, follow_up_id in made.items():
        listed = await _listed(world, tenant, state)
        assert [f["id"] for f in listed] == [follow_up_id], state
        assert listed[0]["state"] == state
        assert listed[0]["customer_name"] == lead["customer_name"]
    everything = await _listed(world, tenant)
    assert {f["id"] for f in everything} == set(made.values())
    scheduled_times = [f["scheduled_at"] for f in everything]
    assert scheduled_times == sorted(scheduled_times)
    bad = await world.client.get(f"{OWNER}/follow-ups", params={"state": "later"}, headers=headers)
    assert bad.status_code == 422


async def test_send_now_emails_the_customer_and_marks_the_follow_up_sent(world, tenant):
    lead = await world.lead(tenant)
    [automatic] = await _listed(world, tenant, "scheduled")
    assert automatic["lead_id"] == lead["id"]
    sent = await world.client.patch(
        f"{OWNER}/follow-ups/{automatic['id']}",
        json={"status": "sent"},
        headers=tenant.owner_headers,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["sent_at"] is not None
    await world.worker.tick()
    mails = world.smtp.wait_for(lead["customer_email"], count=2)
    assert mails[-1]["Subject"] == f"Following up on your request — {tenant.business['name']}"


async def test_cancel_and_reschedule_change_only_a_scheduled_follow_up(world, tenant):
    lead = await world.lead(tenant, process=False)
    later = datetime.now(UTC) + timedelta(days=2)
    created = (await _schedule(world, tenant, lead["id"], later)).json()
    url = f"{OWNER}/follow-ups/{created['id']}"
    headers = tenant.owner_headers

    new_time = later + timedelta(days=1, hours=3)
    moved = await world.client.patch(
        url, json={"scheduled_at": new_time.isoformat()}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["scheduled_at"]) == new_time
    assert moved.json()["status"] == "scheduled"

    canceled = await world.client.patch(url, json={"status": "canceled"}, headers=headers)
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert canceled.json()["canceled_at"] is not None
    for body in ({"status": "sent"}, {"status": "canceled"}, {"scheduled_at": later.isoformat()}):
        again = await world.client.patch(url, json=body, headers=headers)
        assert again.status_code == 409 and error_code(again) == "invalid_state", body
    await world.worker.tick()
    subjects = [m["Subject"] for m in world.smtp.to(lead["customer_email"])]
    assert not [s for s in subjects if s.startswith("Following up")], subjects


async def test_invalid_follow_up_changes_are_validation_errors(world, tenant):
    lead = await world.lead(tenant, process=False)
    created = await _schedule(world, tenant, lead["id"], datetime.now(UTC) + timedelta(days=1))
    url = f"{OWNER}/follow-ups/{created.json()['id']}"
    for body in (
        {},
        {"status": "failed"},
        {"status": "scheduled"},
        {"status": "done"},
        {"scheduled_at": "2030-01-01T10:00:00"},  # no offset
        {"scheduled_at": "next tuesday"},
    ):
        response = await world.client.patch(url, json=body, headers=tenant.owner_headers)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == "validation_error"
    naive = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/follow-ups",
        json={"scheduled_at": "2030-01-01T10:00:00"},
        headers=tenant.owner_headers,
    )
    assert naive.status_code == 422


async def test_a_lead_without_email_cannot_get_a_follow_up(world, tenant):
    lead = await world.lead(
        tenant, process=False, customer_email=None, customer_phone="+1 202 555 0111"
    )
    response = await _schedule(world, tenant, lead["id"], datetime.now(UTC) + timedelta(days=1))
    assert response.status_code == 409 and error_code(response) == "no_customer_email"


async def test_the_automatic_follow_up_follows_the_business_switch_and_delay(world, tenant):
    headers = tenant.owner_headers
    patched = await world.client.patch(
        f"{OWNER}/business", json={"follow_up_delay_h": 48}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["follow_up_enabled"] is True
    assert patched.json()["follow_up_delay_h"] == 48
    before = datetime.now(UTC)
    first = await world.lead(tenant)
    [follow_up] = [f for f in await _listed(world, tenant) if f["lead_id"] == first["id"]]
    delay = datetime.fromisoformat(follow_up["scheduled_at"]) - before
    assert timedelta(hours=47.9) < delay < timedelta(hours=48.1)

    off = await world.client.patch(
        f"{OWNER}/business", json={"follow_up_enabled": False}, headers=headers
    )
    assert off.json()["follow_up_enabled"] is False
    second = await world.lead(tenant)
    assert [f for f in await _listed(world, tenant) if f["lead_id"] == second["id"]] == []


async def test_only_the_owner_changes_the_automatic_follow_up(world, tenant):
    staff = await world.staff(tenant)
    refused = await world.client.patch(
        f"{OWNER}/business", json={"follow_up_enabled": False}, headers=staff
    )
    assert refused.status_code == 403
    bad = await world.client.patch(
        f"{OWNER}/business", json={"follow_up_delay_h": 0}, headers=tenant.owner_headers
    )
    assert bad.status_code == 422

"""Sync push: in order, at most once ever (checked at the SMTP sink), rejections never 500."""

from __future__ import annotations

import asyncio
import uuid

from tests.server.owner.people import OWNER, error_code

DEVICE = "7d0c2a8e-6b7e-4f8e-9a51-3f7e2b9c0d11"


def _mutation(kind: str, **fields) -> dict:
    return {"id": str(uuid.uuid4()), "type": kind, **fields}


async def _push(world, tenant, mutations: list[dict]):
    return await world.client.post(
        f"{OWNER}/sync/push",
        json={"device_id": DEVICE, "mutations": mutations},
        headers=tenant.owner_headers,
    )


def _owner_replies(world, address: str) -> list:
    return [m for m in world.smtp.to(address) if m["Auto-Submitted"] is None]


async def test_mutations_apply_in_the_order_pushed(world, tenant):
    lead = await world.lead(tenant)
    batch = [
        _mutation("set_status", lead_id=lead["id"], status="follow_up"),
        _mutation("add_note", lead_id=lead["id"], content="first"),
        _mutation("reply", lead_id=lead["id"], content="Tuesday works."),
        _mutation("add_note", lead_id=lead["id"], content="second"),
    ]
    response = await _push(world, tenant, batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [(m["id"], "applied") for m in batch]
    timeline = await world.client.get(
        f"{OWNER}/leads/{lead['id']}/timeline", headers=tenant.owner_headers
    )
    kinds = [
        e["kind"]
        for e in timeline.json()
        if e["kind"].startswith("lead.")
        and e["kind"]
        not in ("lead.received", "lead.analysed", "lead.acknowledged", "lead.owner_alerted")
    ]
    assert kinds == [
        "lead.status_changed",
        "lead.note_added",
        "lead.owner_replied",
        "lead.note_added",
    ]
    thread = await world.client.get(
        f"{OWNER}/leads/{lead['id']}/messages", headers=tenant.owner_headers
    )
    notes = [m["content"] for m in thread.json() if m["type"] == "note"]
    assert notes == ["first", "second"]
    detail = await world.client.get(f"{OWNER}/leads/{lead['id']}", headers=tenant.owner_headers)
    assert detail.json()["status"] == "follow_up"  # the reply came after: no reset to contacted


async def test_a_repeated_mutation_id_is_a_duplicate_and_sends_no_second_email(world, tenant):
    lead = await world.lead(tenant)
    reply = _mutation("reply", lead_id=lead["id"], content="See you then.")
    first = await _push(world, tenant, [reply])
    assert first.json()["results"][0]["status"] == "applied"
    again = await _push(world, tenant, [reply, reply])
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    await world.worker.tick()
    await world.worker.tick()
    assert len(_owner_replies(world, lead["customer_email"])) == 1


async def test_a_push_retried_after_a_dropped_response_sends_one_email(world, tenant):
    lead = await world.lead(tenant)
    body = [
        _mutation("reply", lead_id=lead["id"], content="Booked for Friday."),
        _mutation("set_status", lead_id=lead["id"], status="booked"),
    ]
    await _push(world, tenant, body)  # the response is "lost"
    retry = await _push(world, tenant, body)
    assert retry.status_code == 200
    assert [r["status"] for r in retry.json()["results"]] == ["duplicate", "duplicate"]
    await world.worker.tick()
    mails = _owner_replies(world, lead["customer_email"])
    assert len(mails) == 1 and "Booked for Friday." in mails[0].get_body(("plain",)).get_content()
    thread = await world.client.get(
        f"{OWNER}/leads/{lead['id']}/messages", headers=tenant.owner_headers
    )
    assert [m["type"] for m in thread.json()].count("owner_reply") == 1


async def test_the_same_push_sent_twice_at_once_applies_once(world, tenant):
    lead = await world.lead(tenant)
    body = [_mutation("reply", lead_id=lead["id"], content="Only once, please.")]
    responses = await asyncio.gather(*(_push(world, tenant, body) for _ in range(3)))
    statuses = sorted(r.json()["results"][0]["status"] for r in responses)
    assert statuses == ["applied", "duplicate", "duplicate"]
    await world.worker.tick()
    assert len(_owner_replies(world, lead["customer_email"])) == 1


async def test_rejected_mutations_carry_an_error_code_and_the_rest_still_apply(world, tenant):
    lead = await world.lead(tenant)
    unknown = str(uuid.uuid4())
    cases = [
        (_mutation("reply", lead_id=unknown, content="Hi"), "lead_not_found"),
        (_mutation("set_status", lead_id=unknown, status="lost"), "lead_not_found"),
        (
            _mutation("update_follow_up", follow_up_id=unknown, status="sent"),
            "follow_up_not_found",
        ),
        (_mutation("reply", lead_id=lead["id"], content=""), "validation_error"),
        (_mutation("reply", lead_id="not-a-uuid", content="Hi"), "validation_error"),
        (_mutation("reply", content="no lead"), "validation_error"),
        (_mutation("set_status", lead_id=lead["id"], status="won"), "validation_error"),
        (
            _mutation("update_follow_up", follow_up_id=unknown, scheduled_at="soon"),
            "validation_error",
        ),
        (
            _mutation("update_follow_up", follow_up_id=unknown, scheduled_at="2031-01-01T10:00:00"),
            "validation_error",
        ),
        (_mutation("explode", lead_id=lead["id"]), "unknown_mutation_type"),
    ]
    good = _mutation("add_note", lead_id=lead["id"], content="still applied")
    response = await _push(world, tenant, [m for m, _ in cases] + [good])
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for (mutation, code), result in zip(cases, results, strict=False):
        assert (result["id"], result["status"]) == (mutation["id"], "rejected"), mutation
        assert result["error"]["code"] == code, mutation
    assert results[-1]["status"] == "applied"
    again = await _push(world, tenant, [cases[0][0]])
    [repeat] = again.json()["results"]
    assert repeat["status"] == "duplicate" and repeat["error"]["code"] == "lead_not_found"


async def test_a_mutation_on_a_lead_without_email_is_rejected_not_500(world, tenant):
    lead = await world.lead(
        tenant, process=False, customer_email=None, customer_phone="+1 202 555 0111"
    )
    response = await _push(world, tenant, [_mutation("reply", lead_id=lead["id"], content="x")])
    assert response.json()["results"][0]["error"]["code"] == "no_customer_email"


async def test_more_than_100_mutations_is_422_and_100_is_fine(world, tenant):
    lead = await world.lead(tenant, process=False)
    many = [_mutation("add_note", lead_id=lead["id"], content=f"n{i}") for i in range(101)]
    too_many = await _push(world, tenant, many)
    assert too_many.status_code == 422 and error_code(too_many) == "validation_error"
    hundred = await _push(world, tenant, many[:100])
    assert hundred.status_code == 200
    assert {r["status"] for r in hundred.json()["results"]} == {"applied"}


async def test_a_malformed_push_body_is_422(world, tenant):
    for body in (
        {"mutations": []},
        {"device_id": "x", "mutations": []},
        {"device_id": DEVICE, "mutations": [{"type": "reply"}]},
        {"device_id": DEVICE, "mutations": "all"},
    ):
        response = await world.client.post(
            f"{OWNER}/sync/push", json=body, headers=tenant.owner_headers
        )
        assert response.status_code == 422, body

"""Replies (once per client_id, threaded), approving the AI draft, notes and the timeline."""

from __future__ import annotations

import uuid

from tests.server.owner.people import OWNER, error_code
from tests.server.support import body_text


async def _reply(world, tenant, lead_id, content, client_id=None):
    body = {"content": content} | ({"client_id": client_id} if client_id else {})
    return await world.client.post(
        f"{OWNER}/leads/{lead_id}/messages", json=body, headers=tenant.owner_headers
    )


async def test_reply_with_the_same_client_id_twice_sends_one_threaded_mail(world, tenant):
    lead = await world.lead(tenant)
    customer = lead["customer_email"]
    acknowledgement = world.smtp.wait_for(customer)[0]

    first = await _reply(world, tenant, lead["id"], "We can come on Tuesday.", "c-1")
    second = await _reply(world, tenant, lead["id"], "We can come on Tuesday.", "c-1")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == first.json()
    assert first.json()["type"] == "owner_reply" and first.json()["client_id"] == "c-1"
    await world.worker.tick()
    await world.worker.tick()

    mails = world.smtp.to(customer)
    assert len(mails) == 2  # the acknowledgement and one reply
    reply = mails[-1]
    assert "We can come on Tuesday." in body_text(reply)
    assert acknowledgement["Message-ID"] in reply["In-Reply-To"]
    assert acknowledgement["Message-ID"] in reply["References"]
    assert reply["Auto-Submitted"] is None  # a person wrote it
    thread = await world.client.get(
        f"{OWNER}/leads/{lead['id']}/messages", headers=tenant.owner_headers
    )
    assert [m["type"] for m in thread.json()].count("owner_reply") == 1


async def test_reply_to_a_lead_without_email_is_a_conflict_and_sends_nothing(world, tenant):
    lead = await world.lead(tenant, process=False, customer_email=None)
    response = await _reply(world, tenant, lead["id"], "Hello?")
    assert response.status_code == 409 and error_code(response) == "no_customer_email"


async def test_empty_or_oversized_reply_is_a_validation_error(world, tenant):
    lead = await world.lead(tenant, process=False)
    for content in ("", "   ", "x" * 20_001):
        response = await _reply(world, tenant, lead["id"], content)
        assert response.status_code == 422, (len(content), response.text)
        assert error_code(response) == "validation_error"
        assert response.json()["error"]["details"]


async def test_approving_the_draft_sends_the_ai_text_unchanged(world, tenant):
    lead = await world.lead(tenant)
    response = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/approve-draft", json={}, headers=tenant.owner_headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["type"] == "owner_reply"
    assert response.json()["content"] == lead["ai"]["suggested_reply"]
    await world.worker.tick()
    sent = world.smtp.wait_for(lead["customer_email"], count=2)[-1]
    assert lead["ai"]["suggested_reply"].splitlines()[0] in body_text(sent)
    timeline = await world.client.get(
        f"{OWNER}/leads/{lead['id']}/timeline", headers=tenant.owner_headers
    )
    assert "lead.draft_approved" in [e["kind"] for e in timeline.json()]


async def test_approving_an_edited_draft_sends_the_edited_text(world, tenant):
    lead = await world.lead(tenant)
    response = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/approve-draft",
        json={"content": "Edited: see you Friday at 10."},
        headers=tenant.owner_headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["content"] == "Edited: see you Friday at 10."
    await world.worker.tick()
    sent = world.smtp.wait_for(lead["customer_email"], count=2)[-1]
    assert "Edited: see you Friday at 10." in body_text(sent)


async def test_approving_when_there_is_no_draft_is_404(world, tenant):
    lead = await world.lead(tenant, process=False)
    response = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/approve-draft", json={}, headers=tenant.owner_headers
    )
    assert response.status_code == 404 and error_code(response) == "no_draft"


async def test_notes_are_stored_internally_and_never_emailed(world, tenant):
    lead = await world.lead(tenant)
    before = len(world.smtp.to(lead["customer_email"]))
    note = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/notes",
        json={"content": "Prefers mornings"},
        headers=tenant.owner_headers,
    )
    assert note.status_code == 201, note.text
    assert (note.json()["type"], note.json()["direction"]) == ("note", "internal")
    await world.worker.tick()
    assert len(world.smtp.to(lead["customer_email"])) == before
    empty = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/notes", json={"content": ""}, headers=tenant.owner_headers
    )
    assert empty.status_code == 422


async def test_timeline_lists_stored_events_in_order_with_real_times(world, tenant):
    lead = await world.lead(tenant)
    url = f"{OWNER}/leads/{lead['id']}"
    headers = tenant.owner_headers
    await world.client.patch(url, json={"status": "follow_up"}, headers=headers)
    await world.client.post(f"{url}/notes", json={"content": "Left a voicemail"}, headers=headers)
    await _reply(world, tenant, lead["id"], "Calling you back tomorrow.")
    await world.client.patch(url, json={"status": "booked"}, headers=headers)

    response = await world.client.get(f"{url}/timeline", headers=headers)
    assert response.status_code == 200
    events = response.json()
    kinds = [e["kind"] for e in events]
    assert kinds == [
        "lead.received",
        "lead.analysed",
        "lead.acknowledged",
        "lead.owner_alerted",
        "follow_up.scheduled",
        "lead.status_changed",
        "lead.note_added",
        "follow_up.canceled",  # the reply cancels the automatic follow-up
        "lead.owner_replied",
        "lead.status_changed",
    ]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    assert events[0]["at"] >= lead["created_at"]
    changes = [e for e in events if e["kind"] == "lead.status_changed"]
    assert [e["text"] for e in changes] == [
        "Status changed to follow_up",
        "Status changed to booked",
    ]
    assert changes[1]["details"] == {"old": {"status": "follow_up"}, "new": {"status": "booked"}}
    assert events[-1]["actor"] not in (None, "system")


async def _approve(world, tenant, lead_id, **body):
    return await world.client.post(
        f"{OWNER}/leads/{lead_id}/approve-draft", json=body, headers=tenant.owner_headers
    )


async def test_a_draft_approved_once_answers_409_the_second_time_and_is_mailed_once(world, tenant):
    lead = await world.lead(tenant)
    first = await _approve(world, tenant, lead["id"])
    assert first.status_code == 201, first.text
    again = await _approve(world, tenant, lead["id"])
    edited = await _approve(world, tenant, lead["id"], content="Edited text")
    for response in (again, edited):
        assert response.status_code == 409 and error_code(response) == "draft_already_sent"
    retried = await _approve(world, tenant, lead["id"], client_id="c-approve")
    assert retried.status_code == 409
    await world.worker.tick()
    await world.worker.tick()
    assert len(world.smtp.to(lead["customer_email"])) == 2  # acknowledgement, one approval


async def test_an_auto_sent_draft_cannot_be_approved_again(world):
    tenant = await world.tenant(smart_auto_reply=True, owner_approval_required=False)
    world.smtp.messages.clear()
    lead = await world.lead(tenant)
    assert lead["auto_sent"] is True
    response = await _approve(world, tenant, lead["id"])
    assert response.status_code == 409 and error_code(response) == "draft_already_sent"
    pushed = await world.client.post(
        f"{OWNER}/sync/push",
        json={
            "device_id": str(uuid.uuid4()),
            "mutations": [
                {"id": str(uuid.uuid4()), "type": "approve_draft", "lead_id": lead["id"]}
            ],
        },
        headers=tenant.owner_headers,
    )
    assert pushed.status_code == 200, pushed.text
    [result] = pushed.json()["results"]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "draft_already_sent"
    await world.worker.tick()
    assert len(world.smtp.to(lead["customer_email"])) == 1  # the automatic reply only


async def test_a_retried_approval_with_its_client_id_answers_the_first_reply(world, tenant):
    lead = await world.lead(tenant)
    first = await _approve(world, tenant, lead["id"], client_id="c-9")
    second = await _approve(world, tenant, lead["id"], client_id="c-9")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["id"] == first.json()["id"]

"""One character must not stop a business's mail: names with line or control characters are
refused where they are entered (422), headers are cleaned as the message is composed, and a
mail that cannot be composed fails once with its reason (CONTRACT §9)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.jobs import queue
from server.mail.service import DELIVER_EMAIL
from server.models.base import utcnow
from server.models.business import Business
from server.models.lead import Lead
from server.models.ops import EmailEvent, Job
from tests.server.factories import submit
from tests.server.intake.probes import email_events, lead_id_for, new_email

# Every class of character that breaks a header line or hides in a name.
CHARACTERS = {
    "carriage return": "\r",
    "line feed": "\n",
    "vertical tab": "\x0b",
    "form feed": "\x0c",
    "next line": "\x85",
    "file separator": "\x1c",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "tab": "\t",
    "escape": "\x1b",
    "delete": "\x7f",
    "right-to-left override": "\u202e",
}
CASES = list(CHARACTERS.items())


def _fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    return {d["field"] for d in response.json()["error"]["details"]}


@pytest.mark.parametrize(("label", "character"), CASES)
async def test_a_customer_name_or_service_with_the_character_is_refused(
    client, tenant, label, character
):
    name = await submit(client, tenant.slug, customer_name=f"Casey{character}Smith")
    assert "customer_name" in _fields(name), label
    service = await submit(client, tenant.slug, service_needed=f"Deep{character}clean")
    assert "service_needed" in _fields(service), label


@pytest.mark.parametrize(("label", "character"), CASES)
async def test_a_business_name_with_the_character_is_refused(
    client, tenant, admin, label, character
):
    by_owner = await client.patch(
        "/api/v1/owner/business",
        json={"name": f"Sparkle{character}Cleaning"},
        headers=tenant.owner_headers,
    )
    assert "name" in _fields(by_owner), label
    by_admin = await client.post(
        "/api/v1/admin/businesses",
        json={
            "name": f"Sparkle{character}Cleaning",
            "contact_email": "desk@example.com",
            "owner": {"email": f"o-{uuid.uuid4().hex[:6]}@example.com", "full_name": "Olive"},
        },
        headers=admin,
    )
    assert "name" in _fields(by_admin), label


@pytest.mark.parametrize(("label", "character"), CASES)
async def test_a_stored_name_with_the_character_still_gets_every_mail_out(
    ctx, client, tenant, smtp, worker, label, character
):
    """Names stored before the rule (or by any other way in) are cleaned in the headers."""
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    lead_id = uuid.UUID(await lead_id_for(ctx, email))
    async with ctx.db.session() as session:
        business = await session.get(Business, uuid.UUID(tenant.business["id"]))
        lead = await session.get(Lead, lead_id)
        assert business is not None and lead is not None
        business.name = f"Sparkle{character}Cleaning"
        lead.customer_name = f"Casey{character}Smith"
    await worker.tick()
    [mail] = smtp.to(email)
    [alert] = smtp.to(tenant.business["contact_email"])
    assert "Sparkle Cleaning" in str(mail["From"]), label
    assert "Sparkle Cleaning" in str(mail["Subject"]), label
    assert alert["Subject"] == "New lead: Casey Smith", label
    assert {e.status for e in await email_events(ctx)} == {"sent"}


async def test_a_mail_that_cannot_be_composed_fails_once_with_its_reason(
    ctx, client, tenant, smtp, worker
):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    smtp.messages.clear()
    async with ctx.db.session() as session:
        event = EmailEvent(
            id=uuid.uuid4(),
            kind="owner_alert",
            automatic=False,
            status="queued",
            from_address="LeadFlow <noreply@leadflow.test>",
            to_address='"a"@',  # the standard library's address parser raises on this
            subject="Broken",
            text_body="x",
            html_body="<p>x</p>",
            message_id=f"<{uuid.uuid4().hex}@leadflow.test>",
            created_at=utcnow(),
        )
        session.add(event)
        await queue.enqueue(session, DELIVER_EMAIL, {"email_event_id": str(event.id)})
    await worker.tick()
    async with ctx.db.read_session() as session:
        stored = await session.get(EmailEvent, event.id)
        assert stored is not None and stored.status == "failed"
        assert stored.error and stored.error.startswith("The email could not be composed")
        [job] = [
            j
            for j in (await session.execute(select(Job))).scalars()
            if j.kind == DELIVER_EMAIL and j.payload["email_event_id"] == str(event.id)
        ]
        assert job.status == "done" and job.attempts == 1
    assert smtp.messages == []

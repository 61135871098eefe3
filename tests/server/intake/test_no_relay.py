"""The public form is no relay: automatic mail never carries what a submitter typed, suspected
spam gets no customer mail, and one address gets few automatic mails a day (CONTRACT §9)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.models.lead import FollowUp, Lead
from server.workflow.follow_ups import queue_due_follow_ups
from tests.server.factories import Tenant, onboard, submit
from tests.server.intake.probes import detail, lead_id_for, new_email, row_count, subjects
from tests.server.support import body_text, html_text

PHISH = "verify at https://evil.example/login or call +1 555 0100 123"
PHISH_MESSAGE = "Your account is locked. Please act now."


async def _set_services(client, tenant: Tenant, services: list[str]) -> None:  # type: ignore[no-untyped-def]
    response = await client.patch(
        "/api/v1/owner/form", json={"services": services}, headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text


async def _second_business(ctx, client, smtp, worker, admin, **fields: Any) -> Tenant:  # type: ignore[no-untyped-def]
    tenant = await onboard(
        ctx,
        client,
        smtp,
        worker,
        admin,
        name=f"Other Business {uuid.uuid4().hex[:4]}",
        **{"smart_auto_reply": True, "owner_approval_required": False, **fields},
    )
    smtp.messages.clear()
    return tenant


async def _assert_relay_refused(ctx, client, tenant: Tenant, smtp, victim: str) -> None:  # type: ignore[no-untyped-def]
    assert smtp.to(victim) == []
    lead = await detail(client, tenant, await lead_id_for(ctx, victim))
    assert lead["spam_suspected"] is True and lead["status"] == "new"
    assert "spam_suspected" in lead["gate"]["reasons"] and lead["auto_sent"] is False
    [alert] = smtp.to(tenant.business["contact_email"])  # the owner still sees the lead
    assert alert["Subject"] == "New lead: Casey Customer"


async def test_the_phishing_reproduction_over_json_mails_the_victim_nothing(
    ctx, client, tenant, smtp, worker
):
    victim = new_email()
    response = await submit(
        client, tenant.slug, customer_email=victim, service_needed=PHISH, message=PHISH_MESSAGE
    )
    assert response.status_code == 202
    await worker.tick()
    await _assert_relay_refused(ctx, client, tenant, smtp, victim)
    assert await row_count(ctx, FollowUp) == 0  # and no follow-up later


async def test_the_phishing_reproduction_through_the_html_form_mails_the_victim_nothing(
    ctx, client, tenant, smtp, worker
):
    page = await client.get(f"/forms/{tenant.slug}")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    submission = re.search(r'name="submission_id" value="([^"]+)"', page.text)
    assert token and submission  # the token is signed for the page's own submission id
    victim = new_email()
    response = await client.post(
        f"/forms/{tenant.slug}",
        data={
            "customer_name": "Casey Customer",
            "customer_email": victim,
            "service_needed": PHISH,
            "message": PHISH_MESSAGE,
            "form_token": token.group(1),
            "submission_id": submission.group(1),
        },
    )
    assert response.status_code == 200 and "Request received" in response.text
    await worker.tick()
    await _assert_relay_refused(ctx, client, tenant, smtp, victim)


async def test_the_phishing_reproduction_through_a_second_business_mails_the_victim_nothing(
    ctx, client, smtp, worker, admin
):
    other = await _second_business(ctx, client, smtp, worker, admin)
    victim = new_email()
    await submit(client, other.slug, customer_email=victim, service_needed=PHISH)
    await worker.tick()
    await _assert_relay_refused(ctx, client, other, smtp, victim)


async def test_an_address_or_phone_number_in_any_free_text_field_is_a_spam_signal(
    ctx, client, tenant, smtp, worker
):
    cases = {
        "service_needed": "write to billing@evil.example",
        "preferred_time": "call 0044 20 7946 0958 first",
        "message": "Pay at evil．com/pay today",  # a full-width dot
        "customer_name": "Casey 5550100123",
    }
    for field, text in cases.items():
        victim = new_email()
        await submit(client, tenant.slug, customer_email=victim, **{field: text})
        await worker.tick()
        lead = await detail(client, tenant, await lead_id_for(ctx, victim))
        assert lead["spam_suspected"] is True, field
        assert smtp.to(victim) == [], field


async def test_a_plain_request_with_a_date_is_not_suspected(ctx, client, tenant, smtp, worker):
    victim = new_email()
    await submit(client, tenant.slug, customer_email=victim, preferred_time="2026-12-10T10:00")
    await worker.tick()
    lead = await detail(client, tenant, await lead_id_for(ctx, victim))
    assert lead["spam_suspected"] is False and len(smtp.to(victim)) == 1


async def test_a_typed_service_never_reaches_the_customer(ctx, client, tenant, smtp, worker):
    await _set_services(client, tenant, ["Deep clean", "Regular cleaning"])
    typed = "Urgent notice your parcel is held"
    email = new_email()
    await submit(client, tenant.slug, customer_email=email, service_needed=typed)
    await worker.tick()
    [mail] = smtp.to(email)
    assert mail["Subject"] == "Re: Your request — Sparkle Cleaning"
    assert "parcel" not in body_text(mail) and "parcel" not in html_text(mail)


async def test_an_own_service_is_named_in_the_business_spelling(ctx, client, tenant, smtp, worker):
    await _set_services(client, tenant, ["Deep clean", "Regular cleaning"])
    email = new_email()
    await submit(client, tenant.slug, customer_email=email, service_needed="  deep   CLEAN ")
    await worker.tick()
    [mail] = smtp.to(email)
    assert mail["Subject"] == "Re: Your Deep clean request — Sparkle Cleaning"
    assert "deep   CLEAN" not in body_text(mail)


async def test_the_acknowledgement_names_an_own_service_and_a_letters_only_first_name(
    ctx, client, smtp, worker, admin
):
    held = await _second_business(ctx, client, smtp, worker, admin, smart_auto_reply=False)
    await _set_services(client, held, ["Deep clean"])
    named, unnamed = new_email(), new_email()
    await submit(client, held.slug, customer_email=named, service_needed="Deep Clean")
    await submit(
        client,
        held.slug,
        customer_email=unnamed,
        customer_name="Dr$evil Smith",
        service_needed="Deep clean for ME!!!",
    )
    await worker.tick()
    [ack] = smtp.to(named)
    assert "Hi Casey," in body_text(ack)
    assert "We have received your deep clean request" in body_text(ack)
    [plain] = smtp.to(unnamed)
    assert plain["Subject"] == f"We received your request — {held.business['name']}"
    assert "Hi there," in body_text(plain) and "Dr$evil" not in body_text(plain)
    assert "We have received your request," in body_text(plain)
    assert "ME!!!" not in body_text(plain)


async def test_one_address_gets_at_most_three_automatic_mails_a_day_across_businesses(
    ctx, client, smtp, worker, admin
):
    businesses = [
        await _second_business(ctx, client, smtp, worker, admin, smart_auto_reply=False)
        for _ in range(4)
    ]
    victim = new_email()
    for business in businesses:
        await submit(client, business.slug, customer_email=victim)
        await worker.tick()
    assert len(smtp.to(victim)) == 3
    last = businesses[-1]
    lead = await detail(client, last, await _only_lead_of(ctx, last))
    assert "reply_limit_reached" in lead["gate"]["reasons"]
    assert smtp.to(last.business["contact_email"]), "the owner is still alerted"


@pytest.mark.settings(follow_up_delay_h=0)
async def test_a_lead_that_got_only_the_acknowledgement_gets_no_automatic_follow_up(
    ctx, client, smtp, worker, admin
):
    held = await _second_business(ctx, client, smtp, worker, admin, smart_auto_reply=False)
    email = new_email()
    await submit(client, held.slug, customer_email=email)
    await worker.tick()
    async with ctx.db.session() as session:
        assert await queue_due_follow_ups(session) == 1
    await worker.tick()
    assert subjects(smtp, email) == [f"We received your request — {held.business['name']}"]
    listed = await client.get("/api/v1/owner/follow-ups", headers=held.owner_headers)
    [follow_up] = listed.json()["items"]
    assert follow_up["status"] == "failed"
    assert "has not had an answer" in follow_up["error"]


async def _only_lead_of(ctx, tenant: Tenant) -> str:  # type: ignore[no-untyped-def]
    async with ctx.db.read_session() as session:
        [lead_id] = (
            await session.execute(
                select(Lead.id).where(Lead.business_id == uuid.UUID(tenant.business["id"]))
            )
        ).scalars()
    return str(lead_id)

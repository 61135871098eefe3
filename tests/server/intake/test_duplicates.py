"""Double submits store one lead; a returning customer is attached to their open lead."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from server.models.base import utcnow
from server.models.lead import Lead
from tests.server.factories import submit
from tests.server.intake.probes import (
    detail,
    lead_count,
    lead_id_for,
    messages,
    new_email,
    subjects,
    types_of,
)

CUSTOMER_MAIL_SUBJECTS = (
    "We received your request — Sparkle Cleaning",
    "Re: Your request — Sparkle Cleaning",
)


async def test_the_same_submission_id_twice_stores_one_lead_and_sends_one_set_of_mails(
    ctx, client, tenant, smtp, worker
):
    email, submission_id = new_email(), str(uuid.uuid4())
    first = await submit(client, tenant.slug, customer_email=email, submission_id=submission_id)
    again = await submit(client, tenant.slug, customer_email=email, submission_id=submission_id)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json() == again.json()
    await worker.tick()
    assert await lead_count(ctx) == 1
    assert len(subjects(smtp, email)) == 1
    assert len(subjects(smtp, tenant.business["contact_email"])) == 1


async def test_a_double_click_sent_concurrently_stores_one_lead(ctx, client, tenant, smtp, worker):
    email, submission_id = new_email(), str(uuid.uuid4())
    responses = await asyncio.gather(
        *(
            submit(client, tenant.slug, customer_email=email, submission_id=submission_id)
            for _ in range(5)
        )
    )
    assert [r.status_code for r in responses] == [202] * 5
    await worker.tick()
    assert await lead_count(ctx) == 1
    lead_id = await lead_id_for(ctx, email)
    assert types_of(await messages(client, tenant, lead_id)).count("customer_message") == 1
    assert len(subjects(smtp, email)) == 1
    assert len(subjects(smtp, tenant.business["contact_email"])) == 1


async def test_a_retried_html_post_stores_one_lead(ctx, client, tenant, worker):
    data = {
        "customer_name": "Al Smith",
        "customer_email": new_email(),
        "message": "Please clean the office.",
        "submission_id": str(uuid.uuid4()),
    }
    for _ in range(2):
        response = await client.post(f"/forms/{tenant.slug}", data=data)
        assert response.status_code == 200 and "Request received" in response.text
    assert await lead_count(ctx) == 1


async def _second_contact(client, tenant, smtp, worker, first: dict, second: dict):  # type: ignore[no-untyped-def]
    await submit(client, tenant.slug, **first)
    await worker.tick()
    other = new_email()  # someone else writes in between
    await submit(client, tenant.slug, customer_email=other, customer_name="Olga Other")
    await worker.tick()
    response = await submit(client, tenant.slug, **second)
    assert response.status_code == 202
    await worker.tick()
    return other


async def test_the_same_email_again_is_attached_to_the_open_lead(ctx, client, tenant, smtp, worker):
    email = new_email()
    await _second_contact(
        client,
        tenant,
        smtp,
        worker,
        {"customer_email": email, "message": "Could you clean our flat?"},
        {"customer_email": email.upper(), "message": "Also the windows, please."},
    )
    assert await lead_count(ctx) == 2
    lead_id = await lead_id_for(ctx, email)
    thread = await messages(client, tenant, lead_id)
    inbound = [m["content"] for m in thread if m["type"] == "customer_message"]
    assert inbound[0].startswith("Could you clean our flat?")
    assert inbound[1].startswith("Also the windows, please.")
    inbox = await client.get("/api/v1/owner/leads", headers=tenant.owner_headers)
    assert inbox.json()["items"][0]["id"] == lead_id  # back at the top
    lead = await detail(client, tenant, lead_id)
    assert "duplicate_lead" in lead["gate"]["reasons"]
    assert lead["auto_sent"] is (subjects(smtp, email) == [CUSTOMER_MAIL_SUBJECTS[1]])
    # One mail to the customer (no second acknowledgement in 24 h); the owner is told twice.
    assert len(subjects(smtp, email)) == 1
    assert subjects(smtp, email)[0] in CUSTOMER_MAIL_SUBJECTS
    alerts = [s for s in subjects(smtp, tenant.business["contact_email"]) if "Casey" in s]
    assert alerts == ["New lead: Casey Customer"] * 2


async def test_the_same_phone_again_is_attached_to_the_open_lead(ctx, client, tenant, smtp, worker):
    email = new_email()
    await _second_contact(
        client,
        tenant,
        smtp,
        worker,
        {"customer_email": email, "customer_phone": "+1 202-555-0143"},
        {"customer_email": None, "customer_phone": "(202) 555-0143", "message": "Any news?"},
    )
    assert await lead_count(ctx) == 2
    lead_id = await lead_id_for(ctx, email)
    thread = await messages(client, tenant, lead_id)
    assert types_of(thread).count("customer_message") == 2
    assert "duplicate_lead" in (await detail(client, tenant, lead_id))["gate"]["reasons"]
    assert len(subjects(smtp, email)) == 1
    alerts = [s for s in subjects(smtp, tenant.business["contact_email"]) if "Casey" in s]
    assert len(alerts) == 2


async def test_a_closed_lead_is_not_reopened_by_a_new_request(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    first = await lead_id_for(ctx, email)
    closed = await client.patch(
        f"/api/v1/owner/leads/{first}", json={"status": "lost"}, headers=tenant.owner_headers
    )
    assert closed.status_code == 200
    await submit(client, tenant.slug, customer_email=email, message="A new job this time.")
    await worker.tick()
    assert await lead_count(ctx) == 2
    assert len(subjects(smtp, email)) == 2  # a new lead gets its own first answer


async def _age_lead(ctx, lead_id: str, days: int) -> None:  # type: ignore[no-untyped-def]
    async with ctx.db.session() as session:
        lead = await session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        lead.created_at = utcnow() - timedelta(days=days)


async def test_an_open_lead_older_than_30_days_gets_a_new_lead_not_a_message(
    ctx, client, tenant, worker
):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    old = await lead_id_for(ctx, email)
    await _age_lead(ctx, old, days=31)
    await submit(client, tenant.slug, customer_email=email, message="A new job this time.")
    await worker.tick()
    assert await lead_count(ctx) == 2
    assert types_of(await messages(client, tenant, old)).count("customer_message") == 1


async def test_a_returning_customer_joins_the_newest_of_their_open_leads(
    ctx, client, tenant, worker
):
    """One open lead matches by email (40 days old), another by phone (2 days old): the
    submission that matches both joins the recent one, the one within the window."""
    email, phone = new_email(), "+1 202-555-0177"
    await submit(client, tenant.slug, customer_email=email)
    by_email = await lead_id_for(ctx, email)
    await _age_lead(ctx, by_email, days=40)
    other = new_email()
    await submit(client, tenant.slug, customer_email=other, customer_phone=phone)
    by_phone = await lead_id_for(ctx, other)
    await _age_lead(ctx, by_phone, days=2)
    await submit(client, tenant.slug, customer_email=email, customer_phone=phone, message="Hi!")
    await worker.tick()
    assert await lead_count(ctx) == 2
    assert types_of(await messages(client, tenant, by_phone)).count("customer_message") == 2
    assert types_of(await messages(client, tenant, by_email)).count("customer_message") == 1


@pytest.mark.settings(openai=True)
async def test_a_returning_customer_answered_before_their_first_request_gets_one_mail(
    ctx, client, tenant, smtp, worker, ai
):
    """Both jobs run at once and the attached message is analysed first: still one mail."""
    ai.slow_when, ai.delay_s = "first request", 1.0
    email = new_email()
    await submit(client, tenant.slug, customer_email=email, message="My first request: a clean.")
    await submit(client, tenant.slug, customer_email=email, message="And the windows too.")
    await worker.tick()

    assert len(subjects(smtp, email)) == 1
    assert len(smtp.to(tenant.business["contact_email"])) == 2

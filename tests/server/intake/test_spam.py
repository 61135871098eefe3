"""Spam defences are silent: a bot gets the same answer, and nothing is triggered."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest
from sqlalchemy import select

from server.models.ops import Job
from tests.server.factories import submit
from tests.server.intake.probes import detail, lead_count, new_email, only_lead_id, subjects


async def test_a_filled_honeypot_answers_202_and_stores_and_sends_nothing(
    ctx, client, tenant, smtp, worker
):
    email = new_email()
    response = await submit(
        client, tenant.slug, customer_email=email, website="http://spam.example"
    )
    assert response.status_code == 202
    assert response.json()["status"] == "received"
    html = await client.post(
        f"/forms/{tenant.slug}",
        data={"customer_name": "Bot Bot", "customer_email": email, "website": "x", "message": "hi"},
    )
    assert html.status_code == 200 and "Request received" in html.text
    await worker.tick()
    assert await lead_count(ctx) == 0
    assert smtp.messages == []


async def _page_token(client, slug: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    page = await client.get(f"/forms/{slug}")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    submission = re.search(r'name="submission_id" value="([^"]+)"', page.text)
    assert token and submission
    return token.group(1), submission.group(1)


@pytest.mark.settings(form_min_fill_s=30.0)
async def test_a_form_sent_faster_than_a_person_types_is_stored_as_spam_and_sends_no_mail(
    ctx, client, tenant, smtp, worker
):
    token, submission_id = await _page_token(client, tenant.slug)
    email = new_email()
    response = await client.post(
        f"/forms/{tenant.slug}",
        data={
            "customer_name": "Quick Bot",
            "customer_email": email,
            "message": "Please clean my flat.",
            "form_token": token,
            "submission_id": submission_id,
        },
    )
    assert response.status_code == 200 and "Request received" in response.text
    await worker.tick()
    lead = await detail(client, tenant, await only_lead_id(ctx))
    assert lead["status"] == "spam" and lead["spam_suspected"] is True
    assert smtp.messages == []  # not even the owner is alerted


@pytest.mark.parametrize(
    "fields",
    [
        {"customer_name": "Cheap pills www.pills.example"},
        {"customer_name": "Visit https://win.example now"},
        {
            "message": "Great deals http://a.example http://b.example http://c.example "
            "and <a href='http://d.example'>more</a>"
        },
    ],
)
async def test_links_in_the_name_or_many_links_mark_a_lead_as_spam(
    ctx, client, tenant, smtp, worker, fields
):
    response = await submit(client, tenant.slug, **fields)
    assert response.status_code == 202
    await worker.tick()
    lead = await detail(client, tenant, await only_lead_id(ctx))
    assert lead["status"] == "spam"
    assert smtp.messages == []


async def test_two_links_in_a_message_are_not_spam(ctx, client, tenant, worker):
    message = "Photos of the carpet: https://photos.example/1 and https://photos.example/2"
    assert (await submit(client, tenant.slug, message=message)).status_code == 202
    await worker.tick()
    lead = await detail(client, tenant, await only_lead_id(ctx))
    assert lead["status"] == "new"


async def test_marking_spam_as_not_spam_runs_the_normal_workflow(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(client, tenant.slug, customer_name="Link www.site.example", customer_email=email)
    lead_id = await only_lead_id(ctx)
    await worker.tick()
    assert smtp.messages == []

    response = await client.patch(
        f"/api/v1/owner/leads/{lead_id}", json={"status": "new"}, headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text
    await worker.tick()

    lead = await detail(client, tenant, lead_id)
    assert lead["status"] == "new" and lead["gate"] is not None
    assert "spam_suspected" not in lead["gate"]["reasons"]
    customer = subjects(smtp, email)
    assert len(customer) == 1
    assert customer[0] in (
        "We received your request — Sparkle Cleaning",
        "Re: Your request — Sparkle Cleaning",
    )
    assert subjects(smtp, tenant.business["contact_email"]) == ["New lead: Link www.site.example"]


@pytest.mark.settings(intake_ip_limit=3)
async def test_one_address_is_limited_and_told_when_to_retry(ctx, app, client, tenant):
    for _ in range(3):
        assert (await submit(client, tenant.slug)).status_code == 202
    limited = await submit(client, tenant.slug)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    page = await client.post(
        f"/forms/{tenant.slug}",
        data={"customer_name": "Al Smith", "customer_email": new_email(), "message": "Hi"},
    )
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    assert await lead_count(ctx) == 3
    # Another address is not affected.
    other = httpx.ASGITransport(app=app, client=("198.51.100.9", 4000))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as second:
        assert (await submit(second, tenant.slug)).status_code == 202


async def _submit_from(app, slug: str, forwarded_for: str) -> int:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        body = {
            "customer_name": "Casey Customer",
            "customer_email": new_email(),
            "message": "Hello",
            "submission_id": str(uuid.uuid4()),
        }
        response = await http.post(
            f"/api/v1/public/forms/{slug}/submit",
            json=body,
            headers={"X-Forwarded-For": forwarded_for},
        )
        return response.status_code


@pytest.mark.settings(intake_ip_limit=3, trusted_proxies=["127.0.0.1"])
async def test_forwarded_for_from_a_trusted_proxy_names_the_client(ctx, app, tenant):
    statuses = [await _submit_from(app, tenant.slug, "203.0.113.7") for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert await _submit_from(app, tenant.slug, "203.0.113.8") == 202
    # A client cannot hide behind a forged hop placed before the proxy's own entry.
    assert await _submit_from(app, tenant.slug, "10.9.9.9, 203.0.113.7") == 429


@pytest.mark.settings(intake_ip_limit=3)
async def test_forwarded_for_is_ignored_without_trusted_proxies(ctx, app, tenant):
    statuses = [await _submit_from(app, tenant.slug, f"203.0.113.{n}") for n in range(4)]
    assert statuses == [202, 202, 202, 429]


@pytest.mark.settings(intake_ip_limit=3)
async def test_resubmitting_as_a_returning_customer_still_counts_against_the_limit(
    ctx, client, tenant, smtp, worker
):
    email = new_email()  # attached to one open lead each time, so no new lead is stored
    statuses = [
        (await submit(client, tenant.slug, customer_email=email)).status_code for _ in range(5)
    ]
    assert statuses == [202, 202, 202, 429, 429]
    await worker.tick()
    assert len(smtp.to(tenant.business["contact_email"])) == 3  # no flood of owner alerts


async def test_a_returning_customer_resubmitting_while_the_job_runs_deadlocks_nothing(
    ctx, client, tenant, worker
):
    """The lead's job and the attaching submits lock the lead and the business's sync counter
    at the same time, in one order: no job is retried after a deadlock (PostgreSQL detected
    them when the job locked the lead FOR UPDATE, which blocks the submits' foreign-key
    checks while they hold the counter)."""
    email = new_email()
    assert (await submit(client, tenant.slug, customer_email=email)).status_code == 202
    _tick, *later = await asyncio.gather(
        worker.tick(), *(submit(client, tenant.slug, customer_email=email) for _ in range(4))
    )
    assert [response.status_code for response in later] == [202] * 4
    await worker.tick()  # the attached messages' jobs
    assert await lead_count(ctx) == 1
    async with ctx.db.session() as session:
        jobs = (await session.execute(select(Job.status, Job.last_error))).all()
    assert [error for _status, error in jobs if error] == []
    assert {status for status, _error in jobs} == {"done"}


async def _submit_as(app, slug: str, address: str, **fields) -> httpx.Response:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await submit(http, slug, **fields)


@pytest.mark.settings(intake_ip_limit=2)
async def test_one_ipv6_host_is_one_sender_however_many_addresses_of_its_64_it_uses(
    ctx, app, tenant
):
    statuses = [
        (await _submit_as(app, tenant.slug, f"2001:db8:1:2::{n:x}")).status_code
        for n in range(1, 4)
    ]
    assert statuses == [202, 202, 429]
    assert (await _submit_as(app, tenant.slug, "2001:db8:1:3::1")).status_code == 202


@pytest.mark.settings(intake_ip_limit=2, intake_form_limit=4)
async def test_a_busy_form_still_takes_every_customer_and_holds_the_excess_as_suspected_spam(
    ctx, app, client, tenant, smtp, worker
):
    """Three senders filling the form past its threshold cannot close it: later submissions,
    from them or from a real customer, are stored but held (no mail, no analysis)."""
    for sender in ("192.0.2.1", "192.0.2.2"):
        for _ in range(2):
            assert (await _submit_as(app, tenant.slug, sender)).status_code == 202
    assert (await _submit_as(app, tenant.slug, "192.0.2.1")).status_code == 429  # per sender
    await worker.tick()
    mails_before = len(smtp.messages)
    customer = new_email()
    response = await _submit_as(
        app, tenant.slug, "198.51.100.20", customer_email=customer, customer_name="Real Person"
    )
    assert response.status_code == 202 and response.json()["status"] == "received"
    await worker.tick()
    listed = await client.get(
        "/api/v1/owner/leads", params={"q": "Real Person"}, headers=tenant.owner_headers
    )
    [held] = listed.json()["items"]
    lead = await detail(client, tenant, held["id"])
    assert lead["status"] == "new" and lead["spam_suspected"] is True
    assert len(smtp.messages) == mails_before and subjects(smtp, customer) == []
    async with ctx.db.session() as session:
        jobs = (await session.execute(select(Job.payload))).scalars().all()
    assert all(job.get("lead_id") != held["id"] for job in jobs)

"""Each gate reason, reached through the real workflow: the customer gets the acknowledgement
instead of the AI reply, the owner is alerted with why it was held, the draft stays internal."""

from __future__ import annotations

from typing import Any

import pytest

from shared.models.enums import GateReason
from tests.server.factories import Tenant, submit
from tests.server.intake.probes import (
    detail,
    email_events,
    lead_id_for,
    messages,
    new_email,
    only_lead_id,
    subjects,
    types_of,
)
from tests.server.support import body_text

ACK = "We received your request — Sparkle Cleaning"
SAFE = "Hello, could you help with a deep clean of our flat?"


async def _owner_patch(client, tenant: Tenant, **fields: Any) -> None:  # type: ignore[no-untyped-def]
    response = await client.patch(
        "/api/v1/owner/business", json=fields, headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text


async def _held(ctx, client, tenant, smtp, lead_id: str, email: str | None, reason: str):  # type: ignore[no-untyped-def]
    """The lead was held for ``reason``: acknowledgement, alert with the reason, draft unsent."""
    lead = await detail(client, tenant, lead_id)
    assert lead["gate"]["allowed"] is False
    assert reason in lead["gate"]["reasons"]
    assert lead["auto_sent"] is False
    thread = await messages(client, tenant, lead_id)
    assert "auto_reply" not in types_of(thread)
    draft = next(m for m in thread if m["type"] == "ai_draft")
    assert draft["direction"] == "internal" and draft["email_status"] is None
    assert await email_events(ctx, kind="auto_reply") == []
    if email is not None and reason == "spam_suspected":
        assert subjects(smtp, email) == []  # suspected spam gets no customer mail at all
        assert lead["comm_status"] == "new"
    elif email is not None:
        assert subjects(smtp, email) == [ACK]
        assert lead["comm_status"] == "acknowledged"
        assert draft["content"] not in body_text(smtp.to(email)[0])
    alerts = smtp.to(tenant.business["contact_email"])
    assert alerts, "the owner was not alerted"
    if reason != "duplicate_lead":
        assert GateReason(reason).label in body_text(alerts[-1])  # in words, not the code
    return lead


@pytest.mark.parametrize(
    ("switches", "reason"),
    [
        ({"smart_auto_reply": False}, "smart_auto_reply_disabled"),
        ({"owner_approval_required": True}, "owner_approval_required"),
        ({"auto_reply_threshold": 0.99}, "low_confidence"),
    ],
)
async def test_a_business_switch_holds_the_ai_reply(
    ctx, client, tenant, smtp, worker, switches, reason
):
    await _owner_patch(client, tenant, **switches)
    email = new_email()
    await submit(client, tenant.slug, customer_email=email, message=SAFE)
    await worker.tick()
    lead = await _held(ctx, client, tenant, smtp, await lead_id_for(ctx, email), email, reason)
    assert lead["gate"]["reasons"] == [reason]  # nothing else held this safe lead


async def test_a_business_paused_after_the_submit_gets_no_ai_reply(
    ctx, client, tenant, smtp, worker, admin
):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email, message=SAFE)
    paused = await client.patch(
        f"/api/v1/admin/businesses/{tenant.id}/status", json={"status": "paused"}, headers=admin
    )
    assert paused.status_code == 200
    await worker.tick()
    await _held(
        ctx, client, tenant, smtp, await lead_id_for(ctx, email), email, "business_not_active"
    )


async def test_a_price_question_is_held_for_its_blocked_topic(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(
        client,
        tenant.slug,
        customer_email=email,
        message="How much do you charge for a deep clean of a 2 bedroom flat?",
    )
    await worker.tick()
    lead = await _held(
        ctx, client, tenant, smtp, await lead_id_for(ctx, email), email, "blocked_topics"
    )
    assert lead["ai"]["blocked_topics"] == ["price_commitment"]


async def test_a_complaint_is_held_as_risky(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(
        client,
        tenant.slug,
        customer_email=email,
        message="Your cleaner broke my vase and nobody answers. This is unacceptable.",
    )
    await worker.tick()
    lead = await _held(
        ctx, client, tenant, smtp, await lead_id_for(ctx, email), email, "risk_not_low"
    )
    assert "ai_flagged_unsafe" in lead["gate"]["reasons"]


async def test_a_sales_pitch_is_held_as_spam(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(
        client,
        tenant.slug,
        customer_email=email,
        message="We offer SEO services to rank your website #1 on Google. Reply for our packages.",
    )
    await worker.tick()
    await _held(ctx, client, tenant, smtp, await lead_id_for(ctx, email), email, "spam_suspected")


async def test_a_lead_without_email_alerts_the_owner_only(ctx, client, tenant, smtp, worker):
    await submit(
        client, tenant.slug, customer_email=None, customer_phone="+44 7700 900123", message=SAFE
    )
    await worker.tick()
    lead = await _held(
        ctx, client, tenant, smtp, await only_lead_id(ctx), None, "no_customer_email"
    )
    assert lead["gate"]["reasons"] == ["no_customer_email"]
    assert lead["comm_status"] == "new"
    assert [m["Subject"] for m in smtp.messages] == ["New lead: Casey Customer"]


async def test_the_fourth_automatic_reply_to_one_address_in_a_day_is_held(
    ctx, client, tenant, smtp, worker
):
    email = new_email()
    for n in range(4):
        await submit(client, tenant.slug, customer_email=email, message=SAFE)
        await worker.tick()
        lead_id = await lead_id_for(ctx, email) if n == 0 else await _newest(client, tenant)
        if n < 3:
            assert (await detail(client, tenant, lead_id))["auto_sent"] is True
            closed = await client.patch(
                f"/api/v1/owner/leads/{lead_id}",
                json={"status": "lost"},
                headers=tenant.owner_headers,
            )
            assert closed.status_code == 200
    lead = await detail(client, tenant, lead_id)
    assert lead["gate"]["reasons"] == ["reply_limit_reached"]
    # The address reached the platform's daily cap too: not even the acknowledgement goes out.
    assert subjects(smtp, email) == ["Re: Your request — Sparkle Cleaning"] * 3
    alert = body_text(smtp.to(tenant.business["contact_email"])[-1])
    assert GateReason.REPLY_LIMIT_REACHED.label in alert  # in words, not the code


async def _newest(client, tenant: Tenant) -> str:  # type: ignore[no-untyped-def]
    inbox = await client.get(
        "/api/v1/owner/leads", params={"status": "new"}, headers=tenant.owner_headers
    )
    [lead] = inbox.json()["items"]
    return str(lead["id"])

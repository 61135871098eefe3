"""What the customer and the owner receive when the gate lets the AI reply go (CONTRACT §9)."""

from __future__ import annotations

from email.utils import parseaddr

import pytest

from server.workflow.follow_ups import queue_due_follow_ups
from tests.server.factories import onboard, submit
from tests.server.intake.probes import (
    detail,
    email_events,
    messages,
    new_email,
    only_lead_id,
    types_of,
)
from tests.server.support import body_text, html_text


async def test_a_safe_lead_gets_one_ai_reply_from_the_business(ctx, client, tenant, smtp, worker):
    services = await client.patch(
        "/api/v1/owner/form", json={"services": ["Deep clean"]}, headers=tenant.owner_headers
    )
    assert services.status_code == 200
    email = new_email()
    response = await submit(
        client,
        tenant.slug,
        customer_email=email,
        service_needed="Deep clean",
        message="Hello, could you help with a deep clean of our flat?",
    )
    assert response.status_code == 202
    await worker.tick()

    [mail] = smtp.to(email)
    assert mail["Subject"] == "Re: Your Deep clean request — Sparkle Cleaning"
    assert parseaddr(str(mail["From"])) == ("Sparkle Cleaning", "noreply@leadflow.test")
    assert str(mail["Reply-To"]) == tenant.business["contact_email"]
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["Message-ID"] and not mail["In-Reply-To"]
    assert "Casey" in body_text(mail) and "Sparkle Cleaning" in html_text(mail)

    lead_id = await only_lead_id(ctx)
    lead = await detail(client, tenant, lead_id)
    assert lead["auto_sent"] is True and lead["comm_status"] == "ai_replied"
    assert lead["gate"] == {"allowed": True, "reasons": []}
    assert lead["ai"]["status"] == "ok" and lead["ai"]["provider"] == "local"
    thread = await messages(client, tenant, lead_id)
    assert types_of(thread) == ["customer_message", "ai_draft", "auto_reply"]
    draft, reply = thread[1], thread[2]
    assert reply["content"] == draft["content"]
    assert reply["email_status"] == "sent"
    [event] = await email_events(ctx, kind="auto_reply")
    assert event.status == "sent" and event.message_id == mail["Message-ID"]

    [alert] = smtp.to(tenant.business["contact_email"])
    assert alert["Subject"] == "New lead: Casey Customer"
    assert "sent this reply automatically" in body_text(alert)
    assert not alert["Auto-Submitted"]


async def test_the_sender_name_is_cleaned_of_quotes_and_angle_brackets(
    ctx, client, smtp, worker, admin
):
    tenant = await onboard(
        ctx,
        client,
        smtp,
        worker,
        admin,
        name='Bob "The Builder" <Repairs>',
        smart_auto_reply=True,
        owner_approval_required=False,
    )
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    [mail] = smtp.to(email)
    name, address = parseaddr(str(mail["From"]))
    assert name == "Bob The Builder Repairs" and address == "noreply@leadflow.test"


async def test_customer_values_are_escaped_in_every_html_part(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(
        client,
        tenant.slug,
        customer_name="<script>alert(1)</script> Smith",
        customer_email=email,
        message='Hi <b>there</b> & "friends", please clean <img src=x onerror=alert(2)>',
    )
    await worker.tick()
    [alert] = smtp.to(tenant.business["contact_email"])
    html = html_text(alert)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Smith" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>" not in html and "<img src=x" not in html
    assert "<script>alert(1)</script> Smith" in body_text(alert)  # the text part is plain
    for mail in smtp.to(email):
        assert "<script>" not in html_text(mail)


@pytest.mark.settings(follow_up_delay_h=0)
async def test_the_follow_up_is_threaded_under_the_first_mail(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    [first] = smtp.to(email)
    async with ctx.db.session() as session:
        assert await queue_due_follow_ups(session) == 1
    await worker.tick()

    first_mail, follow_up = smtp.to(email)
    assert first_mail["Message-ID"] == first["Message-ID"]
    assert follow_up["Subject"] == "Following up on your request — Sparkle Cleaning"
    assert follow_up["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in str(follow_up["References"])
    assert follow_up["Auto-Submitted"] == "auto-replied"
    assert follow_up["Message-ID"] != first["Message-ID"]
    thread = await messages(client, tenant, await only_lead_id(ctx))
    assert types_of(thread)[-1] == "follow_up"


async def test_the_owner_alert_says_in_words_why_the_reply_was_held(
    ctx, client, tenant, smtp, worker
):
    await submit(
        client,
        tenant.slug,
        customer_email=new_email(),
        message="How much would a deep clean of a 3-bedroom house cost?",
    )
    await worker.tick()
    [alert] = smtp.to(tenant.business["contact_email"])
    text = body_text(alert)
    assert "Held for you: " in text
    assert (
        "it touches a topic only you should answer" in text or "automatic replies are off" in text
    )
    for code in ("blocked_topics", "smart_auto_reply_disabled", "owner_approval_required", "_"):
        held = text.split("Held for you", 1)[1].split("Suggested draft", 1)[0]
        assert code not in held, held
    assert "Urgency: Normal" in text or "Urgency: High" in text or "Urgency: Low" in text

"""The signed webhook (CONTRACT §10) end to end: a customer's reply to the acknowledgement that
went out over SMTP lands in the lead's thread with every effect, once."""

from __future__ import annotations

import httpx

from server.context import ServerContext
from server.jobs.worker import Worker
from tests.server.factories import admin_headers, onboard
from tests.server.inbound.conftest import DOMAIN, post_mail, replying_lead, sign
from tests.server.inbound.mails import reply, unique_id
from tests.server.support import SmtpSink, body_text


async def _thread(client: httpx.AsyncClient, headers: dict[str, str], lead_id: str) -> list[dict]:
    response = await client.get(f"/api/v1/owner/leads/{lead_id}/messages", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_customer_mail_carries_the_leads_reply_address(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    assert lead.reply_to.startswith('"Acme Plumbing" <reply+') or lead.reply_to.startswith(
        "Acme Plumbing <reply+"
    )
    assert lead.reply_to.endswith(f"@{DOMAIN}>")


async def test_reply_by_token_lands_in_the_thread_with_its_effects(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    headers = lead.tenant.owner_headers
    before = await client.get("/api/v1/owner/follow-ups", headers=headers)
    assert any(
        f["lead_id"] == lead.lead_id and f["status"] == "scheduled" for f in before.json()["items"]
    )
    raw = reply(
        sender=f"Jane Doe <{lead.customer}>",
        to=lead.reply_to,
        text=(
            "Yes please, Tuesday morning works.\n\n"
            "On Sat, Acme Plumbing wrote:\n> We received your request."
        ),
    )
    response = await post_mail(client, raw)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "stored", "lead_id": lead.lead_id}

    thread = await _thread(client, headers, lead.lead_id)
    inbound = [m for m in thread if m["direction"] == "inbound"]
    assert inbound[-1]["content"] == "Yes please, Tuesday morning works."
    assert inbound[-1]["type"] == "customer_message"
    assert inbound[-1]["sender"] == lead.customer
    detail = (await client.get(f"/api/v1/owner/leads/{lead.lead_id}", headers=headers)).json()
    assert detail["comm_status"] == "customer_replied"
    after = await client.get("/api/v1/owner/follow-ups", headers=headers)
    mine = [f for f in after.json()["items"] if f["lead_id"] == lead.lead_id]
    assert mine and all(f["status"] == "canceled" for f in mine)
    listed = await client.get("/api/v1/owner/leads", headers=headers)
    assert listed.json()["items"][0]["id"] == lead.lead_id
    timeline = await client.get(f"/api/v1/owner/leads/{lead.lead_id}/timeline", headers=headers)
    texts = [event["text"] for event in timeline.json()]
    assert "The customer replied by email" in texts and "Follow-up canceled" in texts

    sent_before = len(smtp.to(lead.customer))
    await worker.tick()
    alert = smtp.wait_for(lead.tenant.business["contact_email"], count=2)[-1]
    assert alert["Subject"] == "Reply from Jane Doe"
    assert "Tuesday morning" in body_text(alert)
    # Nothing is ever sent to the customer in answer to a reply.
    assert len(smtp.to(lead.customer)) == sent_before

    pulled = await client.get("/api/v1/owner/sync?cursor=0&limit=500", headers=headers)
    messages = [c["data"] for c in pulled.json()["changes"] if c["entity"] == "message"]
    assert any(m["content"] == "Yes please, Tuesday morning works." for m in messages)


async def test_the_same_mail_twice_is_stored_once(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(sender=lead.customer, to=lead.reply_to, message_id=unique_id())
    first = await post_mail(client, raw)
    second = await post_mail(client, raw)
    assert first.json()["status"] == "stored"
    assert second.json() == {"status": "duplicate", "lead_id": None}
    thread = await _thread(client, lead.tenant.owner_headers, lead.lead_id)
    assert sum(m["content"].startswith("Yes please") for m in thread) == 1


async def test_reply_matched_by_in_reply_to_and_by_sender(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    # A client that dropped the Reply-To and wrote to the platform address, but kept threading.
    by_thread = reply(
        sender=lead.customer,
        to="noreply@leadflow.test",
        in_reply_to=lead.message_id,
        text="Threaded answer.",
    )
    assert (await post_mail(client, by_thread)).json()["lead_id"] == lead.lead_id
    # A fresh mail to the business's own address from the customer's address.
    by_sender = reply(
        sender=lead.customer.upper(),
        to=lead.tenant.business["contact_email"],
        text="Fresh mail to the desk.",
    )
    assert (await post_mail(client, by_sender)).json()["lead_id"] == lead.lead_id
    thread = await _thread(client, lead.tenant.owner_headers, lead.lead_id)
    texts = [m["content"] for m in thread if m["direction"] == "inbound"]
    assert "Threaded answer." in texts and "Fresh mail to the desk." in texts


async def test_reply_from_another_address_is_kept_on_a_token_match(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(sender="Jane at work <jane@work.example>", to=lead.reply_to, text="From work.")
    assert (await post_mail(client, raw)).json()["status"] == "stored"
    thread = await _thread(client, lead.tenant.owner_headers, lead.lead_id)
    assert thread[-1]["sender"] == "jane@work.example"


async def test_unmatched_mail_is_kept_and_can_be_attached_by_the_admin(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(sender="stranger@example.org", to="someone@elsewhere.example", text="Who am I?")
    response = await post_mail(client, raw)
    assert response.json() == {"status": "unmatched", "lead_id": None}
    admin = await admin_headers(ctx, client)
    listed = await client.get("/api/v1/admin/inbound/unmatched", headers=admin)
    assert listed.status_code == 200
    item = listed.json()["items"][0]
    assert item["from_address"] == "stranger@example.org" and item["text"] == "Who am I?"
    attached = await client.post(
        f"/api/v1/admin/inbound/unmatched/{item['id']}/attach",
        json={"lead_id": lead.lead_id},
        headers=admin,
    )
    assert attached.status_code == 200, attached.text
    assert attached.json() == {"status": "stored", "lead_id": lead.lead_id}
    again = await client.post(
        f"/api/v1/admin/inbound/unmatched/{item['id']}/attach",
        json={"lead_id": lead.lead_id},
        headers=admin,
    )
    assert again.status_code == 409
    thread = await _thread(client, lead.tenant.owner_headers, lead.lead_id)
    assert thread[-1]["content"] == "Who am I?"
    assert (await client.get("/api/v1/admin/inbound/unmatched", headers=admin)).json()["total"] == 0


async def test_attachments_are_listed_downloadable_and_capped(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    ctx.settings.inbound_attachments_max_bytes = 1000
    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(
        sender=lead.customer,
        to=lead.reply_to,
        text="Photos of the tap attached.",
        attachments=[
            ("tap.jpg", "image/jpeg", b"\xff\xd8\xff" + b"x" * 500),
            ("video.mp4", "video/mp4", b"v" * 5000),
        ],
    )
    assert (await post_mail(client, raw)).json()["status"] == "stored"
    headers = lead.tenant.owner_headers
    message = (await _thread(client, headers, lead.lead_id))[-1]
    assert [a["filename"] for a in message["attachments"]] == ["tap.jpg"]
    assert "video.mp4" in message["content"] and "not kept" in message["content"]
    attachment = message["attachments"][0]
    got = await client.get(
        f"/api/v1/owner/leads/{lead.lead_id}/attachments/{attachment['id']}", headers=headers
    )
    assert got.status_code == 200
    assert got.content == b"\xff\xd8\xff" + b"x" * 500
    assert attachment["size"] == 503
    other = await client.get(
        f"/api/v1/owner/leads/{lead.lead_id}/attachments/{lead.lead_id}", headers=headers
    )
    assert other.status_code == 404
    # Another business's owner cannot reach it, through their own lead or this one.
    admin = await admin_headers(ctx, client)
    stranger = await onboard(ctx, client, smtp, worker, admin, name="Other Trade")
    for lead_id in (lead.lead_id, str(attachment["id"])):
        denied = await client.get(
            f"/api/v1/owner/leads/{lead_id}/attachments/{attachment['id']}",
            headers=stranger.owner_headers,
        )
        assert denied.status_code == 404


async def test_auto_reply_changes_nothing(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(
        sender=lead.customer,
        to=lead.reply_to,
        subject="Automatic reply: We received your request",
        text="I am out of the office until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert (await post_mail(client, raw)).json() == {
        "status": "auto_reply",
        "lead_id": lead.lead_id,
    }
    headers = lead.tenant.owner_headers
    detail = (await client.get(f"/api/v1/owner/leads/{lead.lead_id}", headers=headers)).json()
    assert detail["comm_status"] != "customer_replied"
    follow_ups = (await client.get("/api/v1/owner/follow-ups", headers=headers)).json()["items"]
    assert any(f["lead_id"] == lead.lead_id and f["status"] == "scheduled" for f in follow_ups)
    timeline = await client.get(f"/api/v1/owner/leads/{lead.lead_id}/timeline", headers=headers)
    assert "An automatic answer came back (e.g. out of office)" in [
        event["text"] for event in timeline.json()
    ]


async def test_signature_size_and_switch_are_enforced(
    ctx: ServerContext, client: httpx.AsyncClient
) -> None:
    raw = reply(sender="a@example.org", to="b@example.org")
    unsigned = await client.post("/api/v1/inbound/email", content=raw)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "invalid_signature"
    wrong = await client.post(
        "/api/v1/inbound/email", content=raw, headers=sign(raw, "another-secret")
    )
    assert wrong.status_code == 401
    big = b"x" * (ctx.settings.inbound_max_bytes + 1)
    too_big = await client.post("/api/v1/inbound/email", content=big, headers=sign(big))
    assert too_big.status_code == 413
    ctx.settings.inbound_domain = ""
    off = await client.post("/api/v1/inbound/email", content=raw, headers=sign(raw))
    assert off.status_code == 404


async def test_the_health_page_reports_the_inbound_channels(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    await post_mail(client, reply(sender=lead.customer, to=lead.reply_to))
    await post_mail(client, reply(sender="nobody@example.org", to="x@example.org"))
    admin = await admin_headers(ctx, client)
    health = (await client.get("/api/v1/admin/settings", headers=admin)).json()["inbound"]
    assert health["enabled"] is True and health["domain"] == DOMAIN
    assert health["unmatched"] == 1
    channels = {c["name"]: c for c in health["channels"]}
    assert channels["webhook"]["configured"] is True and channels["webhook"]["processed"] == 2
    assert channels["webhook"]["last_mail_at"] is not None
    assert channels["imap"]["configured"] is False


async def test_an_owner_who_switched_reply_alerts_off_gets_no_alert(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    headers = lead.tenant.owner_headers
    business = (await client.get("/api/v1/owner/business", headers=headers)).json()
    assert business["reply_alerts"] is True and business["inbound_enabled"] is True
    patched = await client.patch(
        "/api/v1/owner/business", json={"reply_alerts": False}, headers=headers
    )
    assert patched.status_code == 200 and patched.json()["reply_alerts"] is False
    desk = lead.tenant.business["contact_email"]
    alerts_before = len(smtp.to(desk))
    assert (await post_mail(client, reply(sender=lead.customer, to=lead.reply_to))).json()[
        "status"
    ] == "stored"
    await worker.tick()
    assert len(smtp.to(desk)) == alerts_before

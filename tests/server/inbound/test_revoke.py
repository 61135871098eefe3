"""Revoking a lead's reply address: mail to the old address no longer finds the lead by its
token, a stranger's mail to it (even one quoting the lead's thread) waits in the unmatched list,
the lead's own customer still gets through, and the next mail carries the new address."""

from __future__ import annotations

import httpx

from server.context import ServerContext
from server.jobs.worker import Worker
from tests.server.factories import admin_headers, onboard
from tests.server.inbound.conftest import DOMAIN, Replying, post_mail, replying_lead
from tests.server.inbound.mails import reply
from tests.server.support import SmtpSink


def _address(reply_to: str) -> str:
    return reply_to.rpartition("<")[2].rstrip(">")


async def _rotate(client: httpx.AsyncClient, lead: Replying) -> dict[str, str | None]:
    response = await client.post(
        f"/api/v1/owner/leads/{lead.lead_id}/reply-address/rotate",
        headers=lead.tenant.owner_headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _inbound_texts(client: httpx.AsyncClient, lead: Replying) -> list[str]:
    response = await client.get(
        f"/api/v1/owner/leads/{lead.lead_id}/messages", headers=lead.tenant.owner_headers
    )
    return [m["content"] for m in response.json() if m["direction"] == "inbound"]


async def test_a_revoked_address_no_longer_reaches_the_lead_for_strangers(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    old = _address(lead.reply_to)
    rotated = await _rotate(client, lead)
    assert rotated["revoked_address"] == old
    new = rotated["reply_address"]
    assert new != old and new.startswith("reply+") and new.endswith(f"@{DOMAIN}")

    # A stranger who got hold of the old address, quoting the lead's own mail: not attached.
    leaked = reply(
        sender="Spammer <offers@spam.example>",
        to=lead.reply_to,
        in_reply_to=lead.message_id,
        text="Cheap watches!",
    )
    answer = await post_mail(client, leaked)
    assert answer.json() == {"status": "unmatched", "lead_id": None}
    assert "Cheap watches!" not in await _inbound_texts(client, lead)
    # Kept, never dropped: the business's owner sees it with the reason.
    listed = await client.get("/api/v1/owner/inbound/unmatched", headers=lead.tenant.owner_headers)
    item = next(i for i in listed.json()["items"] if i["from_address"] == "offers@spam.example")
    assert item["note"] == "Sent to a reply address that was revoked"

    # The lead's own customer replying to an old mail still lands in the thread.
    own = reply(sender=f"Jane Doe <{lead.customer}>", to=lead.reply_to, text="Still me.")
    assert (await post_mail(client, own)).json() == {"status": "stored", "lead_id": lead.lead_id}
    # The new address works for anyone, as a reply address does.
    fresh = reply(sender="jane@work.example", to=f"Acme <{new}>", text="From work, new address.")
    assert (await post_mail(client, fresh)).json() == {
        "status": "stored",
        "lead_id": lead.lead_id,
    }
    texts = await _inbound_texts(client, lead)
    assert "Still me." in texts and "From work, new address." in texts


async def test_mail_after_revoking_carries_the_new_address_and_is_audited(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    rotated = await _rotate(client, lead)
    headers = lead.tenant.owner_headers
    sent = await client.post(
        f"/api/v1/owner/leads/{lead.lead_id}/messages",
        json={"content": "Tuesday at 9 works for us."},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    await worker.tick()
    mail = smtp.wait_for(lead.customer, count=2)[-1]
    assert _address(str(mail["Reply-To"])) == rotated["reply_address"]
    assert str(mail["Reply-To"]).startswith(('"Acme Plumbing" <', "Acme Plumbing <"))

    timeline = await client.get(f"/api/v1/owner/leads/{lead.lead_id}/timeline", headers=headers)
    assert "Reply address replaced: the old one no longer reaches the lead" in [
        e["text"] for e in timeline.json()
    ]
    admin = await admin_headers(ctx, client)
    logs = await client.get(
        "/api/v1/admin/audit-logs",
        params={"action": "lead.reply_address_revoked", "business_id": lead.tenant.id},
        headers=admin,
    )
    rows = logs.json()["items"]
    assert len(rows) == 1 and rows[0]["actor"] == lead.tenant.owner_email
    assert rows[0]["details"]["revoked_address"] == _address(lead.reply_to)
    # The new address, a live credential, is not written to the log.
    assert rotated["reply_address"] not in str(rows[0])

    # Revoking twice revokes the second address as well.
    again = await _rotate(client, lead)
    assert again["revoked_address"] == rotated["reply_address"]
    late = reply(sender="someone@else.example", to=rotated["reply_address"], text="Late.")
    assert (await post_mail(client, late)).json()["status"] == "unmatched"


async def test_only_the_business_may_revoke_and_only_with_inbound_on(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    admin = await admin_headers(ctx, client)
    other = await onboard(ctx, client, smtp, worker, admin, name="Other Trade")
    path = f"/api/v1/owner/leads/{lead.lead_id}/reply-address/rotate"
    denied = await client.post(path, headers=other.owner_headers)
    assert denied.status_code == 404
    assert (await client.post(path)).status_code == 401
    # The address still works: nothing was revoked by those calls.
    raw = reply(sender="jane@work.example", to=lead.reply_to, text="Still here.")
    assert (await post_mail(client, raw)).json()["status"] == "stored"
    ctx.settings.inbound_domain = ""
    off = await client.post(path, headers=lead.tenant.owner_headers)
    assert off.status_code == 409 and off.json()["error"]["code"] == "inbound_disabled"

"""A mail that failed can be sent again: by the owner from the lead's thread, by a super-admin
from the e-mail log; once per failure, never a mail that went out."""

from __future__ import annotations

from sqlalchemy import select

from server.models.ops import AuditLog
from tests.server.factories import onboard, submit
from tests.server.intake.probes import (
    email_events,
    messages,
    new_email,
    only_lead_id,
    subjects,
)

REPLY = "Re: Your request — Sparkle Cleaning"  # no service of the business was named


async def _failed_reply(ctx, client, tenant, smtp, worker):  # type: ignore[no-untyped-def]
    email = new_email()
    smtp.refused[email] = 550  # the customer's server refuses the AI reply for good
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    del smtp.refused[email]
    lead_id = await only_lead_id(ctx)
    thread = await messages(client, tenant, lead_id)
    reply = next(m for m in thread if m["type"] == "auto_reply")
    return email, lead_id, reply


async def test_the_owner_sees_a_failed_mail_and_resends_it_once(ctx, client, tenant, smtp, worker):
    email, lead_id, reply = await _failed_reply(ctx, client, tenant, smtp, worker)
    assert reply["email_status"] == "failed" and subjects(smtp, email) == []

    url = f"/api/v1/owner/leads/{lead_id}/messages/{reply['id']}/resend"
    response = await client.post(url, headers=tenant.owner_headers)
    assert response.status_code == 201, response.text
    assert response.json()["email_status"] == "queued"
    again = await client.post(url, headers=tenant.owner_headers)  # a double click
    assert again.status_code == 409 and again.json()["error"]["code"] == "email_not_resendable"
    await worker.tick()

    assert subjects(smtp, email) == [REPLY]
    thread = await messages(client, tenant, lead_id)
    assert next(m for m in thread if m["id"] == reply["id"])["email_status"] == "sent"
    replies = await email_events(ctx, kind="auto_reply")
    assert sorted(e.status for e in replies) == ["failed", "sent"]
    assert len({e.message_id for e in replies}) == 2  # each row is its own mail
    async with ctx.db.session() as session:
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
    assert actions.count("email.resent") == 1


async def test_a_mail_that_went_out_cannot_be_resent(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    lead_id = await only_lead_id(ctx)
    reply = next(m for m in await messages(client, tenant, lead_id) if m["type"] == "auto_reply")
    response = await client.post(
        f"/api/v1/owner/leads/{lead_id}/messages/{reply['id']}/resend",
        headers=tenant.owner_headers,
    )
    assert response.status_code == 409
    assert "failed or bounced" in response.json()["error"]["message"]
    await worker.tick()
    assert subjects(smtp, email) == [REPLY]


async def test_the_owner_of_another_business_gets_404_and_nothing_is_sent(
    ctx, client, tenant, smtp, worker, admin
):
    email, lead_id, reply = await _failed_reply(ctx, client, tenant, smtp, worker)
    other = await onboard(ctx, client, smtp, worker, admin, name="Other Cleaning")
    response = await client.post(
        f"/api/v1/owner/leads/{lead_id}/messages/{reply['id']}/resend",
        headers=other.owner_headers,
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "lead_not_found"
    await worker.tick()
    assert subjects(smtp, email) == []
    thread = await messages(client, tenant, lead_id)
    assert next(m for m in thread if m["id"] == reply["id"])["email_status"] == "failed"


async def test_a_super_admin_resends_a_failed_mail_from_the_email_log(
    ctx, client, tenant, smtp, worker, admin
):
    email, _lead_id, _reply = await _failed_reply(ctx, client, tenant, smtp, worker)
    log = (await client.get("/api/v1/admin/emails?status=failed", headers=admin)).json()["items"]
    [failed] = [e for e in log if e["to_address"] == email]
    assert "550" in failed["error"]

    response = await client.post(f"/api/v1/admin/emails/{failed['id']}/resend", headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued" and response.json()["business_name"]
    again = await client.post(f"/api/v1/admin/emails/{failed['id']}/resend", headers=admin)
    assert again.status_code == 409
    owner = await client.post(
        f"/api/v1/admin/emails/{failed['id']}/resend", headers=tenant.owner_headers
    )
    assert owner.status_code == 403
    await worker.tick()
    assert subjects(smtp, email) == [REPLY]

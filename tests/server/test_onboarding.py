"""The onboarding path of the foundation, through the API and the invite mail."""

from __future__ import annotations

from tests.server.factories import OWNER_PASSWORD, admin_headers, bearer, invite_token, onboard


async def test_admin_creates_business_and_owner_signs_in_through_invite(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    response = await client.post(
        "/api/v1/admin/businesses",
        headers=admin,
        json={
            "name": "Bright Plumbing",
            "contact_email": "desk@bright.example",
            "owner": {"email": "Olive@Bright.example", "full_name": "Olive Owner"},
        },
    )
    assert response.status_code == 201, response.text
    business = response.json()
    assert business["status"] == "pending"
    assert business["form_slug"] == "bright-plumbing"
    assert await worker.tick() >= 1
    mail = smtp.wait_for("olive@bright.example")[0]
    assert mail["Subject"] == "You're invited to Bright Plumbing on LeadFlow"
    token = invite_token(smtp, "olive@bright.example")

    page = await client.get(f"/invite/{token}")
    assert page.status_code == 200 and "Join Bright Plumbing" in page.text
    accepted = await client.post(
        "/invite/" + token,
        data={
            "full_name": "Olive O.",
            "password": OWNER_PASSWORD,
            "password_confirm": OWNER_PASSWORD,
        },
    )
    assert accepted.status_code == 200 and "all set" in accepted.text

    login = await client.post(
        "/api/v1/auth/login", json={"email": "olive@bright.example", "password": OWNER_PASSWORD}
    )
    assert login.status_code == 200, login.text
    me = await client.get("/api/v1/auth/me", headers=bearer(login.json()["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["full_name"] == "Olive O."
    assert me.json()["memberships"] == [
        {"business_id": business["id"], "business_name": "Bright Plumbing", "role": "owner"}
    ]
    # The link works once.
    again = await client.post(
        "/api/v1/auth/invites/accept", json={"token": token, "password": "another-password-1"}
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"


async def test_lead_submit_is_analysed_and_customer_gets_one_mail(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(
        ctx, client, smtp, worker, admin, smart_auto_reply=True, owner_approval_required=False
    )
    response = await client.post(
        f"/api/v1/public/forms/{tenant.slug}/submit",
        json={
            "customer_name": "Casey Customer",
            "customer_email": "casey@example.net",
            "service_needed": "Deep clean",
            "message": "Hello, could you help with a deep clean of our flat next week?",
            "submission_id": "6b1f0c1e-8f3b-4c9a-9a43-2f9d6f3f9a10",
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "received"
    await worker.tick()
    mails = smtp.wait_for("casey@example.net")
    assert len(mails) == 1
    alerts = smtp.wait_for(tenant.business["contact_email"])
    assert alerts[0]["Subject"] == "New lead: Casey Customer"

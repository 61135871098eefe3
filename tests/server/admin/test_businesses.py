"""Business status changes have effect: paused forms vanish, archived owners lose access."""

from __future__ import annotations

from tests.server.admin.helpers import ADMIN
from tests.server.factories import OWNER_PASSWORD, admin_headers, bearer, onboard, submit


async def test_pausing_hides_the_form_and_archiving_keeps_data_but_locks_owner_out(
    ctx, client, smtp, worker
):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    assert (await submit(client, tenant.slug)).status_code == 202

    paused = await client.patch(
        f"{ADMIN}/businesses/{tenant.id}/status", json={"status": "paused"}, headers=admin
    )
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert (await client.get(f"/api/v1/public/forms/{tenant.slug}")).status_code == 404
    assert (await submit(client, tenant.slug)).status_code == 404

    archived = await client.patch(
        f"{ADMIN}/businesses/{tenant.id}/status", json={"status": "archived"}, headers=admin
    )
    assert archived.status_code == 200
    login = await client.post(
        "/api/v1/auth/login", json={"email": tenant.owner_email, "password": OWNER_PASSWORD}
    )
    memberships = login.json().get("memberships", []) if login.status_code == 200 else []
    assert memberships == []
    if login.status_code == 200:
        owner = bearer(login.json()["access_token"])
        assert (await client.get("/api/v1/owner/leads", headers=owner)).status_code == 404
    # The data is kept: the admin still sees the lead.
    leads = (await client.get(f"{ADMIN}/leads?business_id={tenant.id}", headers=admin)).json()
    assert leads["total"] == 1
    statuses = (
        await client.get(
            f"{ADMIN}/audit-logs?action=business.status_changed&business_id={tenant.id}",
            headers=admin,
        )
    ).json()
    assert [r["new_values"]["status"] for r in statuses["items"]] == [
        "archived",
        "paused",
        "active",
    ]


async def test_resending_a_business_invite_mails_a_new_link_and_is_audited(
    ctx, client, smtp, worker
):
    admin = await admin_headers(ctx, client)
    created = await client.post(
        f"{ADMIN}/businesses",
        headers=admin,
        json={
            "name": "Quiet Gardens",
            "contact_email": "desk@quiet.example",
            "owner": {"email": "gus@quiet.example", "full_name": "Gus Gardener"},
        },
    )
    business_id = created.json()["id"]
    await worker.tick()
    response = await client.post(f"{ADMIN}/businesses/{business_id}/resend-invite", headers=admin)
    assert response.status_code == 202
    await worker.tick()
    assert len(smtp.wait_for("gus@quiet.example", count=2)) == 2
    rows = (
        await client.get(f"{ADMIN}/audit-logs?action=owner.invite_resent", headers=admin)
    ).json()["items"]
    assert len(rows) == 1 and rows[0]["business_id"] == business_id
    assert rows[0]["details"]["email"] == "gus@quiet.example"

"""Owner and staff accounts: listed with their state, switched off and on, re-invited."""

from __future__ import annotations

from tests.server.admin.helpers import ADMIN
from tests.server.factories import OWNER_PASSWORD, admin_headers, onboard


async def test_owners_are_listed_with_status_and_filtered(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    sparkle = await onboard(ctx, client, smtp, worker, admin, name="Sparkle Cleaning")
    pending = await client.post(
        f"{ADMIN}/businesses",
        headers=admin,
        json={
            "name": "Quiet Gardens",
            "contact_email": "desk@quiet.example",
            "owner": {"email": "gus@quiet.example", "full_name": "Gus Gardener"},
        },
    )
    quiet_id = pending.json()["id"]

    listed = (await client.get(f"{ADMIN}/owners", headers=admin)).json()
    assert listed["total"] == 2
    by_email = {row["email"]: row for row in listed["items"]}
    assert by_email["gus@quiet.example"]["status"] == "invited"
    assert by_email["gus@quiet.example"]["business_name"] == "Quiet Gardens"
    assert by_email["gus@quiet.example"]["role"] == "owner"
    assert by_email[sparkle.owner_email]["status"] == "active"
    assert by_email[sparkle.owner_email]["business_status"] == "active"

    async def emails(query: str) -> list[str]:
        page = (await client.get(f"{ADMIN}/owners?{query}", headers=admin)).json()
        return [row["email"] for row in page["items"]]

    assert await emails("status=invited") == ["gus@quiet.example"]
    assert await emails("status=active") == [sparkle.owner_email]
    assert await emails(f"business_id={quiet_id}") == ["gus@quiet.example"]
    assert await emails("q=GARDEN") == ["gus@quiet.example"]
    assert await emails("q=sparkle") == [sparkle.owner_email]  # business name
    assert await emails("role=staff") == []
    assert await emails("limit=1&offset=1") == [sparkle.owner_email]  # newest first


async def test_deactivated_owner_is_locked_out_at_once_and_reactivated(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    user_id = tenant.login["user"]["id"]
    refresh_token = tenant.login["refresh_token"]
    assert (await client.get("/api/v1/auth/me", headers=tenant.owner_headers)).status_code == 200

    response = await client.post(f"{ADMIN}/owners/{user_id}/deactivate", headers=admin)
    assert response.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=tenant.owner_headers)).status_code == 401
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert refreshed.status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"email": tenant.owner_email, "password": OWNER_PASSWORD}
    )
    assert login.status_code == 401
    listed = (await client.get(f"{ADMIN}/owners?status=deactivated", headers=admin)).json()
    assert [row["user_id"] for row in listed["items"]] == [user_id]

    response = await client.post(f"{ADMIN}/owners/{user_id}/reactivate", headers=admin)
    assert response.status_code == 204
    login = await client.post(
        "/api/v1/auth/login", json={"email": tenant.owner_email, "password": OWNER_PASSWORD}
    )
    assert login.status_code == 200
    # The refresh tokens revoked on deactivation stay revoked.
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert again.status_code == 401

    rows = (await client.get(f"{ADMIN}/audit-logs?q=owner.&limit=500", headers=admin)).json()[
        "items"
    ]
    assert [(r["action"], r["old_values"], r["new_values"]) for r in rows] == [
        ("owner.reactivated", {"is_active": False}, {"is_active": True}),
        ("owner.deactivated", {"is_active": True}, {"is_active": False}),
    ]
    assert all(r["actor"] == "admin@leadflow.test" and r["entity_id"] == user_id for r in rows)


async def test_owner_invite_is_resent_only_to_accounts_without_password(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    await client.post(
        f"{ADMIN}/businesses",
        headers=admin,
        json={
            "name": "Quiet Gardens",
            "contact_email": "desk@quiet.example",
            "owner": {"email": "gus@quiet.example", "full_name": "Gus Gardener"},
        },
    )
    await worker.tick()
    gus = (await client.get(f"{ADMIN}/owners?q=gus", headers=admin)).json()["items"][0]

    response = await client.post(f"{ADMIN}/owners/{gus['user_id']}/resend-invite", headers=admin)
    assert response.status_code == 202
    await worker.tick()
    mails = smtp.wait_for("gus@quiet.example", count=2)
    assert mails[-1]["Subject"] == "You're invited to Quiet Gardens on LeadFlow"
    rows = (
        await client.get(f"{ADMIN}/audit-logs?action=owner.invite_resent", headers=admin)
    ).json()["items"]
    assert len(rows) == 1 and rows[0]["entity_id"] == gus["user_id"]

    active = tenant.login["user"]["id"]
    refused = await client.post(f"{ADMIN}/owners/{active}/resend-invite", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "already_active"
    await client.post(f"{ADMIN}/owners/{gus['user_id']}/deactivate", headers=admin)
    refused = await client.post(f"{ADMIN}/owners/{gus['user_id']}/resend-invite", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "account_deactivated"

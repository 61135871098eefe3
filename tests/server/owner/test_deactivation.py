"""A deactivated person stays out: old invites, refresh tokens and access tokens stop working,
and only a new invite or an explicit reactivation brings them back (audited)."""

from __future__ import annotations

from tests.server.factories import OWNER_PASSWORD, invite_token
from tests.server.owner.people import OWNER, error_code

ADMIN = "/api/v1/admin"
ACCEPT = "/api/v1/auth/invites/accept"


async def _member(world, tenant, email: str) -> dict:
    team = await world.client.get(f"{OWNER}/team", headers=tenant.owner_headers)
    return next(m for m in team.json() if m["email"] == email)


async def _audit_actions(world, business_id: str) -> list[str]:
    response = await world.client.get(
        f"{ADMIN}/audit-logs",
        params={"business_id": business_id, "limit": 100},
        headers=world.admin,
    )
    assert response.status_code == 200, response.text
    return [row["action"] for row in response.json()["items"]]


async def test_an_invite_sent_before_deactivation_does_not_bring_the_member_back(world, tenant):
    await world.lead(tenant)
    invited = await world.client.post(
        f"{OWNER}/team/invites",
        json={"email": "removed@example.com", "role": "staff"},
        headers=tenant.owner_headers,
    )
    assert invited.status_code == 201
    await world.worker.tick()
    token = invite_token(world.smtp, "removed@example.com")
    member = await _member(world, tenant, "removed@example.com")
    gone = await world.client.post(
        f"{OWNER}/team/{member['member_id']}/deactivate", headers=tenant.owner_headers
    )
    assert gone.status_code == 200 and gone.json()["status"] == "deactivated"

    accepted = await world.client.post(ACCEPT, json={"token": token, "password": OWNER_PASSWORD})
    assert accepted.status_code == 400 and error_code(accepted) == "invalid_token"
    assert (await _member(world, tenant, "removed@example.com"))["status"] == "deactivated"
    page = await world.client.get(f"/invite/{token}")
    assert "invalid" in page.text.lower() or "expired" in page.text.lower()


async def test_deactivating_a_member_ends_their_logins_at_once(world, tenant):
    staff_login = await world.client.post(
        "/api/v1/auth/login", json={"email": "pat@example.com", "password": "x" * 10}
    )
    assert staff_login.status_code == 401  # not yet a member
    await world.staff(tenant, "pat@example.com")
    login = await world.client.post(
        "/api/v1/auth/login", json={"email": "pat@example.com", "password": OWNER_PASSWORD}
    )
    refresh_token = login.json()["refresh_token"]
    member = await _member(world, tenant, "pat@example.com")
    await world.client.post(
        f"{OWNER}/team/{member['member_id']}/deactivate", headers=tenant.owner_headers
    )
    refreshed = await world.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refresh_token}
    )
    assert refreshed.status_code == 401 and error_code(refreshed) == "invalid_refresh_token"


async def test_a_new_invite_or_the_owners_reactivation_brings_a_member_back_audited(world, tenant):
    await world.staff(tenant, "back@example.com")
    member = await _member(world, tenant, "back@example.com")
    path = f"{OWNER}/team/{member['member_id']}"
    await world.client.post(f"{path}/deactivate", headers=tenant.owner_headers)
    again = await world.client.post(
        f"{OWNER}/team/invites",
        json={"email": "back@example.com", "role": "staff"},
        headers=tenant.owner_headers,
    )
    assert again.status_code == 201 and again.json()["status"] == "deactivated"
    await world.worker.tick()
    accepted = await world.client.post(
        ACCEPT,
        json={"token": invite_token(world.smtp, "back@example.com"), "password": OWNER_PASSWORD},
    )
    assert accepted.status_code == 200, accepted.text
    assert (await _member(world, tenant, "back@example.com"))["status"] == "active"

    await world.client.post(f"{path}/deactivate", headers=tenant.owner_headers)
    staff = await world.client.post(
        "/api/v1/auth/login", json={"email": "back@example.com", "password": OWNER_PASSWORD}
    )
    cannot = await world.client.post(
        f"{path}/reactivate",
        headers={"Authorization": f"Bearer {staff.json()['access_token']}"},
    )
    assert cannot.status_code == 404  # no active membership left to act from
    back = await world.client.post(f"{path}/reactivate", headers=tenant.owner_headers)
    assert back.status_code == 200 and back.json()["status"] == "active"
    actions = await _audit_actions(world, tenant.id)
    assert actions.count("team.deactivated") == 2
    assert "team.reactivated" in actions and "team.invited" in actions


async def test_an_owner_deactivated_by_the_admin_cannot_come_back_through_an_invite(world):
    created = await world.client.post(
        f"{ADMIN}/businesses",
        json={
            "name": "Dormant Shop",
            "contact_email": "dormant-desk@example.com",
            "owner": {"email": "dormant@example.com", "full_name": "Dora Mant"},
        },
        headers=world.admin,
    )
    assert created.status_code == 201
    await world.worker.tick()
    token = invite_token(world.smtp, "dormant@example.com")
    owners = await world.client.get(
        f"{ADMIN}/owners", params={"q": "dormant@"}, headers=world.admin
    )
    user_id = owners.json()["items"][0]["user_id"]
    off = await world.client.post(f"{ADMIN}/owners/{user_id}/deactivate", headers=world.admin)
    assert off.status_code == 204

    accepted = await world.client.post(ACCEPT, json={"token": token, "password": OWNER_PASSWORD})
    assert accepted.status_code == 400 and error_code(accepted) == "invalid_token"
    listed = await world.client.get(
        f"{ADMIN}/owners", params={"q": "dormant@"}, headers=world.admin
    )
    assert listed.json()["items"][0]["status"] == "deactivated"
    login = await world.client.post(
        "/api/v1/auth/login", json={"email": "dormant@example.com", "password": OWNER_PASSWORD}
    )
    assert login.status_code == 401


async def test_an_owner_cannot_invite_back_an_account_the_admin_deactivated(world, tenant):
    await world.staff(tenant, "banned@example.com")
    owners = await world.client.get(f"{ADMIN}/owners", params={"q": "banned@"}, headers=world.admin)
    user_id = owners.json()["items"][0]["user_id"]
    await world.client.post(f"{ADMIN}/owners/{user_id}/deactivate", headers=world.admin)
    member = await _member(world, tenant, "banned@example.com")
    await world.client.post(
        f"{OWNER}/team/{member['member_id']}/deactivate", headers=tenant.owner_headers
    )
    again = await world.client.post(
        f"{OWNER}/team/invites",
        json={"email": "banned@example.com", "role": "staff"},
        headers=tenant.owner_headers,
    )
    assert again.status_code == 409 and error_code(again) == "account_deactivated"

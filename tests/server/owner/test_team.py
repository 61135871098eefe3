"""The owner's team: listing, inviting staff from the mail, and deactivating a member."""

from __future__ import annotations

from tests.server.owner.people import OWNER, error_code


async def _team(world, headers) -> list[dict]:
    response = await world.client.get(f"{OWNER}/team", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_owner_invites_staff_who_accepts_from_the_mail_and_appears_active(world, tenant):
    [owner] = await _team(world, tenant.owner_headers)
    assert (owner["email"], owner["role"], owner["status"]) == (
        tenant.owner_email,
        "owner",
        "active",
    )
    staff = await world.staff(tenant, "sam@example.com")
    team = {m["email"]: m for m in await _team(world, tenant.owner_headers)}
    assert (team["sam@example.com"]["role"], team["sam@example.com"]["status"]) == (
        "staff",
        "active",
    )
    assert len(await _team(world, staff)) == 2  # staff see their team
    leads = await world.client.get(f"{OWNER}/leads", headers=staff)
    assert leads.status_code == 200  # and work the leads


async def test_an_invited_member_is_listed_as_invited_until_they_accept(world, tenant):
    invited = await world.client.post(
        f"{OWNER}/team/invites",
        json={"email": "New.Person@Example.com", "full_name": "New Person"},
        headers=tenant.owner_headers,
    )
    assert invited.status_code == 201, invited.text
    assert (invited.json()["email"], invited.json()["status"]) == (
        "new.person@example.com",
        "invited",
    )
    await world.worker.tick()
    assert world.smtp.wait_for("new.person@example.com")


async def test_staff_cannot_invite_or_deactivate(world, tenant):
    staff = await world.staff(tenant)
    invite = await world.client.post(
        f"{OWNER}/team/invites", json={"email": "x@example.com"}, headers=staff
    )
    assert invite.status_code == 403 and error_code(invite) == "forbidden"
    owner_member = next(m for m in await _team(world, staff) if m["role"] == "owner")
    deactivate = await world.client.post(
        f"{OWNER}/team/{owner_member['member_id']}/deactivate", headers=staff
    )
    assert deactivate.status_code == 403
    assert len(await _team(world, tenant.owner_headers)) == 2


async def test_a_deactivated_member_loses_access_to_the_business(world, tenant):
    staff = await world.staff(tenant, "gone@example.com")
    member = next(
        m for m in await _team(world, tenant.owner_headers) if m["email"] == "gone@example.com"
    )
    response = await world.client.post(
        f"{OWNER}/team/{member['member_id']}/deactivate", headers=tenant.owner_headers
    )
    assert response.status_code == 200 and response.json()["status"] == "deactivated"
    locked_out = await world.client.get(f"{OWNER}/leads", headers=staff)
    assert locked_out.status_code == 404  # no membership left
    assert (
        await world.client.get(f"{OWNER}/leads", headers=tenant.owner_headers)
    ).status_code == 200


async def test_team_errors_self_deactivation_unknown_member_duplicate_and_bad_email(world, tenant):
    [owner] = await _team(world, tenant.owner_headers)
    me = await world.client.post(
        f"{OWNER}/team/{owner['member_id']}/deactivate", headers=tenant.owner_headers
    )
    assert me.status_code == 409 and error_code(me) == "cannot_deactivate_self"
    unknown = await world.client.post(
        f"{OWNER}/team/00000000-0000-4000-8000-000000000000/deactivate",
        headers=tenant.owner_headers,
    )
    assert unknown.status_code == 404
    await world.staff(tenant, "twice@example.com")
    again = await world.client.post(
        f"{OWNER}/team/invites", json={"email": "twice@example.com"}, headers=tenant.owner_headers
    )
    assert again.status_code == 409 and error_code(again) == "already_member"
    bad = await world.client.post(
        f"{OWNER}/team/invites", json={"email": "nope"}, headers=tenant.owner_headers
    )
    assert bad.status_code == 422 and error_code(bad) == "validation_error"
    role = await world.client.post(
        f"{OWNER}/team/invites",
        json={"email": "r@example.com", "role": "king"},
        headers=tenant.owner_headers,
    )
    assert role.status_code == 422

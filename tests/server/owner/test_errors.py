"""The errors of CONTRACT §3 on the owner routes: 400, 401, 403, 404, 413, 422, business scope."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.server.factories import bearer
from tests.server.owner.people import OWNER, error_code
from tests.server.owner.routes import ALL_ROUTES, Route

PLACEHOLDER_IDS = {
    "lead_id": "00000000-0000-4000-8000-000000000001",
    "follow_up_id": "00000000-0000-4000-8000-000000000002",
    "member_id": "00000000-0000-4000-8000-000000000003",
    "message_id": "00000000-0000-4000-8000-000000000004",
}


def test_every_owner_route_is_in_the_table(ctx):
    paths = create_app(ctx=ctx).openapi()["paths"]
    served = {
        (method.upper(), path.removeprefix(OWNER))
        for path, operations in paths.items()
        if path.startswith(OWNER)
        for method in operations
    }
    assert served == {(r.method, r.path) for r in ALL_ROUTES}


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.label)
async def test_every_owner_route_needs_a_valid_token(client, route: Route):
    url = route.url(**PLACEHOLDER_IDS)
    for headers, code in [
        ({}, "not_authenticated"),
        ({"Authorization": "Basic b3duZXI6cGFzcw=="}, "not_authenticated"),
        (bearer("not-a-token"), "invalid_token"),
    ]:
        response = await client.request(route.method, url, json=route.body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert error_code(response) == code


async def test_malformed_json_is_400_on_owner_writes(world, tenant):
    lead = await world.lead(tenant, process=False)
    headers = tenant.owner_headers | {"Content-Type": "application/json"}
    for method, path in [
        ("PATCH", f"/leads/{lead['id']}"),
        ("POST", f"/leads/{lead['id']}/messages"),
        ("PATCH", "/business"),
        ("POST", "/sync/push"),
    ]:
        response = await world.client.request(
            method, OWNER + path, content=b'{"status": "lost",', headers=headers
        )
        assert response.status_code == 400, (path, response.text)
        assert "error" in response.json()


async def test_oversized_body_is_413_whether_declared_or_streamed(world, tenant):
    lead = await world.lead(tenant, process=False)
    url = f"{OWNER}/leads/{lead['id']}/messages"
    big = b'{"content": "' + b"x" * 400_000 + b'"}'
    declared = await world.client.post(
        url, content=big, headers=tenant.owner_headers | {"Content-Type": "application/json"}
    )
    assert declared.status_code == 413 and error_code(declared) == "payload_too_large"

    async def chunks():
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    streamed = await world.client.post(
        url, content=chunks(), headers=tenant.owner_headers | {"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413 and error_code(streamed) == "payload_too_large"
    thread = await world.client.get(url, headers=tenant.owner_headers)
    assert "owner_reply" not in [m["type"] for m in thread.json()]


async def test_paging_parameters_out_of_range_are_422(world, tenant):
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "ten"}):
        for path in ("/leads", "/follow-ups"):
            response = await world.client.get(
                OWNER + path, params=params, headers=tenant.owner_headers
            )
            assert response.status_code == 422, (path, params)
            assert error_code(response) == "validation_error"
    big = await world.client.get(
        f"{OWNER}/leads", params={"limit": 500}, headers=tenant.owner_headers
    )
    assert big.status_code == 200 and big.json()["limit"] == 500


async def test_a_malformed_lead_id_is_422_not_500(world, tenant):
    response = await world.client.get(f"{OWNER}/leads/not-a-uuid", headers=tenant.owner_headers)
    assert response.status_code == 422


async def test_owner_of_two_businesses_must_choose_one_with_the_header(world, tenant):
    second_id = await world.second_business_of(tenant)
    token = {"Authorization": tenant.owner_headers["Authorization"]}
    await world.lead(tenant, process=False, customer_name="Only In First")

    unscoped = await world.client.get(f"{OWNER}/leads", headers=token)
    assert unscoped.status_code == 400 and error_code(unscoped) == "business_required"
    first = await world.client.get(
        f"{OWNER}/leads", headers=bearer(token["Authorization"][7:], tenant.id)
    )
    assert first.status_code == 200 and first.json()["total"] == 1
    second = await world.client.get(
        f"{OWNER}/business", headers=token | {"X-Business-Id": second_id}
    )
    assert second.status_code == 200 and second.json()["id"] == second_id
    second_leads = await world.client.get(
        f"{OWNER}/leads", headers=token | {"X-Business-Id": second_id}
    )
    assert second_leads.json()["total"] == 0

    other = await world.tenant(name="Not Mine")
    for wanted in (other.id, "00000000-0000-4000-8000-000000000009", "garbage"):
        response = await world.client.get(
            f"{OWNER}/business", headers=token | {"X-Business-Id": wanted}
        )
        assert response.status_code == 404, wanted


async def test_a_single_business_member_with_a_foreign_business_header_gets_404(world, tenant):
    other = await world.tenant(name="Someone Else")
    headers = {"Authorization": tenant.owner_headers["Authorization"], "X-Business-Id": other.id}
    response = await world.client.get(f"{OWNER}/leads", headers=headers)
    assert response.status_code == 404


async def test_a_super_admin_without_membership_gets_404_on_owner_routes(world):
    response = await world.client.get(f"{OWNER}/leads", headers=world.admin)
    assert response.status_code == 404 and error_code(response) == "no_business"

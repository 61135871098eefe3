"""Every admin route is for super-admins only; unknown ids are 404 and bad filters 422."""

from __future__ import annotations

import uuid

from tests.server.admin.helpers import ADMIN
from tests.server.factories import admin_headers, onboard

SOME_ID = "00000000-0000-4000-8000-000000000001"
ROUTES = [
    ("GET", "/metrics"),
    ("GET", "/settings"),
    ("GET", "/businesses"),
    ("POST", "/businesses"),
    ("GET", f"/businesses/{SOME_ID}"),
    ("PATCH", f"/businesses/{SOME_ID}"),
    ("PATCH", f"/businesses/{SOME_ID}/status"),
    ("POST", f"/businesses/{SOME_ID}/logo"),
    ("DELETE", f"/businesses/{SOME_ID}/logo"),
    ("POST", f"/businesses/{SOME_ID}/resend-invite"),
    ("GET", f"/businesses/{SOME_ID}/form"),
    ("PATCH", f"/businesses/{SOME_ID}/form"),
    ("GET", "/owners"),
    ("POST", f"/owners/{SOME_ID}/deactivate"),
    ("POST", f"/owners/{SOME_ID}/reactivate"),
    ("POST", f"/owners/{SOME_ID}/resend-invite"),
    ("GET", "/leads"),
    ("GET", "/leads/export"),
    ("GET", "/emails"),
    ("GET", "/emails/export"),
    ("GET", "/audit-logs"),
    ("GET", "/audit-logs/export"),
    ("GET", "/automations"),
    ("GET", f"/automations/{SOME_ID}"),
    ("PATCH", f"/automations/{SOME_ID}"),
]


async def test_every_admin_route_refuses_owners_and_anonymous_callers(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    for method, path in ROUTES:
        anonymous = await client.request(method, ADMIN + path)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.json()["error"]["code"] == "not_authenticated"
        owner = await client.request(method, ADMIN + path, headers=tenant.owner_headers)
        assert owner.status_code == 403, (method, path, owner.text)
        assert owner.json()["error"]["code"] == "forbidden"


async def test_unknown_ids_are_404(ctx, client):
    admin = await admin_headers(ctx, client)
    unknown = str(uuid.uuid4())
    for method, path, body in [
        ("GET", f"/businesses/{unknown}", None),
        ("GET", f"/automations/{unknown}", None),
        ("PATCH", f"/automations/{unknown}", {"smart_auto_reply": True}),
        ("DELETE", f"/businesses/{unknown}/logo", None),
        ("POST", f"/owners/{unknown}/deactivate", None),
        ("POST", f"/owners/{unknown}/reactivate", None),
        ("POST", f"/owners/{unknown}/resend-invite", None),
    ]:
        response = await client.request(method, ADMIN + path, json=body, headers=admin)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    upload = await client.post(
        f"{ADMIN}/businesses/{unknown}/logo",
        headers=admin,
        files={"file": ("logo.png", b"\x89PNG", "image/png")},
    )
    assert upload.status_code == 404


async def test_a_super_admin_is_not_an_owner_account(ctx, client):
    admin = await admin_headers(ctx, client)
    me = (await client.get("/api/v1/auth/me", headers=admin)).json()["user"]["id"]
    response = await client.post(f"{ADMIN}/owners/{me}/deactivate", headers=admin)
    assert response.status_code == 404


BAD_FILTERS = [
    "/leads?status=bogus",
    "/leads?business_id=not-a-uuid",
    "/leads?limit=0",
    "/leads?limit=501",
    "/leads?offset=-1",
    "/leads/export?status=bogus",
    "/emails?status=delivered",
    "/emails?kind=fax",
    "/emails/export?business_id=x",
    "/audit-logs?since=yesterday",
    "/audit-logs?until=2024-13-01",
    "/audit-logs?since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z",
    "/audit-logs/export?since=nope",
    "/owners?status=sleeping",
    "/owners?role=king",
    "/automations?status=gone",
    f"/leads?q={'x' * 201}",
]


async def test_bad_filters_are_422(ctx, client):
    admin = await admin_headers(ctx, client)
    for path in BAD_FILTERS:
        response = await client.get(ADMIN + path, headers=admin)
        assert response.status_code == 422, (path, response.text)
        body = response.json()["error"]
        assert body["code"] == "validation_error" and body["details"], path

"""No input produces a 500: junk bodies, junk ids and junk queries get clear 4xx answers."""

from __future__ import annotations

import asyncio
import uuid

from tests.server.factories import admin_headers, onboard

JUNK_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"123",
    b'{"a": {"b": [1, 2, {"c": null}]}}',
    b'{"email": 5, "password": []}',
    b'{"name": "\\u0000\\ud800"}',
    b"\xff\xfe\x00",
    b'{"status": "weird"}',
    b'{"limit": 1e999}',
]
ROUTES = [
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/invites/accept"),
    ("POST", "/api/v1/auth/password/forgot"),
    ("POST", "/api/v1/auth/password/reset"),
    ("POST", "/api/v1/admin/businesses"),
    ("PATCH", "/api/v1/admin/businesses/{business}"),
    ("PATCH", "/api/v1/admin/businesses/{business}/status"),
    ("PATCH", "/api/v1/admin/businesses/{business}/form"),
    ("POST", "/api/v1/public/forms/{slug}/submit"),
    ("PATCH", "/api/v1/owner/business"),
    ("PATCH", "/api/v1/owner/form"),
    ("POST", "/api/v1/owner/sync/push"),
]


async def test_junk_bodies_never_answer_500(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    headers = {**admin, **tenant.owner_headers, "content-type": "application/json"}
    for method, path in ROUTES:
        url = path.format(business=tenant.id, slug=tenant.slug)
        for body in JUNK_BODIES:
            response = await client.request(method, url, content=body, headers=headers)
            assert response.status_code < 500, (method, url, body, response.text)
            assert "error" in response.json() or response.status_code < 300


async def test_junk_ids_and_queries_never_answer_500(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    for url in [
        "/api/v1/owner/leads/not-a-uuid",
        f"/api/v1/owner/leads/{uuid.uuid4()}",
        "/api/v1/owner/leads?limit=0",
        "/api/v1/owner/leads?limit=501",
        "/api/v1/owner/leads?offset=-1",
        "/api/v1/owner/leads?status=nope",
        "/api/v1/owner/leads?q=" + "a" * 300,
        "/api/v1/owner/sync?cursor=-5",
        "/api/v1/owner/sync?cursor=99999999",
        "/api/v1/owner/follow-ups?state=later",
        "/forms/" + "x" * 200,
        "/forms/%00",
        "/invite/%ff",
        "/reset/..%2f..",
        "/api/v1/nothing-here",
    ]:
        response = await client.get(url, headers=tenant.owner_headers)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
    nul = await client.post(
        f"/api/v1/public/forms/{tenant.slug}/submit",
        json={"customer_name": "Nul\u0000Name", "message": "x"},
    )
    assert nul.status_code == 400 and nul.json()["error"]["message"].startswith("The request")
    literal = await client.post(
        f"/api/v1/public/forms/{tenant.slug}/submit",
        json={
            "customer_name": "Backslash Person",
            "customer_phone": "+1 202 555 0111",
            "message": "I typed \\u0000 on purpose",
        },
    )
    assert literal.status_code == 202
    # Search syntax characters are searched for, not interpreted.
    for q in ['"', "'", "*", ":*", "&|!()", "a:* & b", "NEAR(", "\\", "AND OR NOT"]:
        response = await client.get(
            "/api/v1/owner/leads", params={"q": q}, headers=tenant.owner_headers
        )
        assert response.status_code == 200, (q, response.text)


async def test_same_new_owner_in_two_concurrent_creations_is_a_conflict_not_a_crash(ctx, client):
    admin = await admin_headers(ctx, client)

    async def create(name: str):  # type: ignore[no-untyped-def]
        return await client.post(
            "/api/v1/admin/businesses",
            headers=admin,
            json={
                "name": name,
                "contact_email": "desk@example.com",
                "owner": {"email": "same@example.com", "full_name": "Same Owner"},
            },
        )

    answers = await asyncio.gather(create("Alpha"), create("Beta"))
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409])


async def test_a_dropped_database_connection_answers_503_with_retry_after(app):
    """The driver errors a PostgreSQL restart raises on the raw submit path, unwrapped: each
    answers 503 ``service_unavailable`` with Retry-After, never 500 (the fault suite's restart
    met the last one on a pooled connection the server had terminated while it sat idle)."""
    import asyncpg
    import httpx

    errors = [
        ConnectionRefusedError(111, "Connection refused"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.InternalClientError("cannot switch to state 12; another operation is in progress"),
    ]

    async def fail(n: int) -> None:
        raise errors[n]

    app.add_api_route("/test-only/driver-error/{n}", fail)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for n in range(len(errors)):
            response = await http.get(f"/test-only/driver-error/{n}")
            assert response.status_code == 503, (errors[n], response.text)
            assert response.headers["retry-after"]
            assert response.json()["error"]["code"] == "service_unavailable"

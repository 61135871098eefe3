"""Sign-in, token rotation, limits, invites, resets and the business scope (CONTRACT §3–§4)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from server.app import create_app
from server.context import build_context
from server.models.base import utcnow
from server.models.user import RefreshToken
from tests.server.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OWNER_PASSWORD,
    admin_headers,
    bearer,
    onboard,
)
from tests.server.support import body_text

LOGIN = "/api/v1/auth/login"


async def test_wrong_email_and_wrong_password_get_the_same_401(ctx, client):
    await admin_headers(ctx, client)
    wrong_password = await client.post(
        LOGIN, json={"email": ADMIN_EMAIL, "password": "nope-nope-1"}
    )
    wrong_email = await client.post(LOGIN, json={"email": "who@example.com", "password": "x" * 12})
    assert wrong_password.status_code == wrong_email.status_code == 401
    assert wrong_password.json() == wrong_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


async def test_login_shape_and_me(ctx, client):
    await admin_headers(ctx, client)
    body = (
        await client.post(LOGIN, json={"email": ADMIN_EMAIL.upper(), "password": ADMIN_PASSWORD})
    ).json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert body["user"]["role"] == "super_admin" and body["memberships"] == []
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.json()["user"]["email"] == ADMIN_EMAIL


async def test_refresh_rotates_and_a_reused_token_ends_the_login_everywhere(ctx, client):
    await admin_headers(ctx, client)
    first = (
        await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    ).json()
    second = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    newer = second.json()["refresh_token"]
    assert newer != first["refresh_token"]
    third = await client.post("/api/v1/auth/refresh", json={"refresh_token": newer})
    assert third.status_code == 200
    newest = third.json()["refresh_token"]
    # The first token again, after its successor was used: it leaked.
    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401
    # The whole family is revoked: the newest token of that login no longer works either.
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": newest})
    assert after.status_code == 401


async def test_a_retried_refresh_within_30_s_gets_the_same_pair_and_later_ends_the_login(
    ctx, client
):
    await admin_headers(ctx, client)
    login = (
        await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    ).json()
    trade = {"refresh_token": login["refresh_token"]}
    lost = await client.post("/api/v1/auth/refresh", json=trade)  # its answer never arrives
    retried = await client.post("/api/v1/auth/refresh", json=trade)
    assert lost.status_code == retried.status_code == 200
    assert retried.json()["refresh_token"] == lost.json()["refresh_token"]
    assert retried.json()["access_token"] == lost.json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(retried.json()["access_token"]))
    assert me.status_code == 200

    async with ctx.db.session() as session:  # the 30 seconds pass
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.used_at.is_not(None))
            .values(used_at=utcnow() - timedelta(seconds=31))
        )
    late = await client.post("/api/v1/auth/refresh", json=trade)
    assert late.status_code == 401 and late.json()["error"]["code"] == "invalid_refresh_token"
    revoked = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": retried.json()["refresh_token"]}
    )
    assert revoked.status_code == 401


async def test_logout_revokes_the_refresh_token(ctx, client):
    await admin_headers(ctx, client)
    login = (
        await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    ).json()
    assert (
        await client.post("/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]})
    ).status_code == 204
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}
    )
    assert again.status_code == 401


async def test_failed_logins_are_limited_across_server_processes(ctx, client, settings):
    """Two app instances (as two API processes would) share the limit through the database."""
    await admin_headers(ctx, client)
    import httpx

    other_ctx = build_context(settings)
    other = create_app(ctx=other_ctx)
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
        for attempt in range(settings.login_max_failures):
            target = client if attempt % 2 else second
            response = await target.post(
                LOGIN, json={"email": ADMIN_EMAIL, "password": "wrong-pass-1"}
            )
            assert response.status_code == 401
        blocked = await second.post(LOGIN, json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    await other_ctx.db.dispose()
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json()["error"]["code"] == "rate_limited"


async def test_malformed_json_oversized_body_and_invalid_fields(ctx, client):
    malformed = await client.post(
        LOGIN, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_body"
    huge = await client.post(
        LOGIN, content=b"x" * 400_000, headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"
    invalid = await client.post(LOGIN, json={"email": "not-an-email", "password": "x"})
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_error"
    assert invalid.json()["error"]["details"][0]["field"] == "email"


async def test_missing_or_bad_token_is_401_and_owner_on_admin_route_is_403(
    ctx, client, smtp, worker
):
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=bearer("junk"))).status_code == 401
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    forbidden = await client.get("/api/v1/admin/businesses", headers=tenant.owner_headers)
    assert forbidden.status_code == 403


async def test_business_scope_with_several_memberships(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    first = await onboard(
        ctx, client, smtp, worker, admin, name="First Co", owner_email="multi@example.com"
    )
    second = await client.post(
        "/api/v1/admin/businesses",
        headers=admin,
        json={
            "name": "Second Co",
            "contact_email": "desk@second.example",
            "owner": {"email": "multi@example.com", "full_name": "Multi Owner"},
        },
    )
    assert second.status_code == 201
    token = first.login["access_token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert len(me.json()["memberships"]) == 2
    unscoped = await client.get("/api/v1/owner/form", headers=bearer(token))
    assert unscoped.status_code == 400 and unscoped.json()["error"]["code"] == "business_required"
    scoped = await client.get("/api/v1/owner/form", headers=bearer(token, second.json()["id"]))
    assert scoped.status_code == 200 and scoped.json()["slug"] == "second-co"
    stranger = await client.get(
        "/api/v1/owner/form", headers=bearer(token, "00000000-0000-0000-0000-000000000001")
    )
    assert stranger.status_code == 404
    garbage = await client.get("/api/v1/owner/form", headers=bearer(token, "not-a-uuid"))
    assert garbage.status_code == 404


async def test_password_reset_by_mail_ends_other_logins(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    assert (
        await client.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.com"})
    ).status_code == 202
    assert (
        await client.post("/api/v1/auth/password/forgot", json={"email": tenant.owner_email})
    ).status_code == 202
    await worker.tick()
    reset_mail = [m for m in smtp.to(tenant.owner_email) if "Reset" in m["Subject"]]
    assert len(reset_mail) == 1
    token = re.search(r"/reset/([A-Za-z0-9_\-]+)", body_text(reset_mail[0])).group(1)
    assert (await client.get(f"/reset/{token}")).status_code == 200
    short = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "short"}
    )
    assert short.status_code == 422
    done = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "brand-new-password"}
    )
    assert done.status_code == 204
    old_refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tenant.login["refresh_token"]}
    )
    assert old_refresh.status_code == 401
    assert (
        await client.post(LOGIN, json={"email": tenant.owner_email, "password": OWNER_PASSWORD})
    ).status_code == 401
    assert (
        await client.post(
            LOGIN, json={"email": tenant.owner_email, "password": "brand-new-password"}
        )
    ).status_code == 200
    reused = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "another-password-2"}
    )
    assert reused.status_code == 400


async def test_expired_invite_is_refused_and_resend_makes_a_new_one(ctx, client, smtp, worker):
    from sqlalchemy import update

    from server.models import Invite
    from server.models.base import utcnow

    admin = await admin_headers(ctx, client)
    created = await client.post(
        "/api/v1/admin/businesses",
        headers=admin,
        json={
            "name": "Late Co",
            "contact_email": "desk@late.example",
            "owner": {"email": "late@example.com", "full_name": "Late Owner"},
        },
    )
    await worker.tick()
    token = re.search(
        r"/invite/([A-Za-z0-9_\-]+)", body_text(smtp.wait_for("late@example.com")[0])
    ).group(1)
    async with ctx.db.session() as session:
        await session.execute(update(Invite).values(expires_at=utcnow()))
    expired = await client.post(
        "/api/v1/auth/invites/accept", json={"token": token, "password": OWNER_PASSWORD}
    )
    assert expired.status_code == 400
    assert (await client.get(f"/invite/{token}")).status_code == 404
    resent = await client.post(
        f"/api/v1/admin/businesses/{created.json()['id']}/resend-invite", headers=admin
    )
    assert resent.status_code == 202
    await worker.tick()
    mails = smtp.wait_for("late@example.com", count=2)
    fresh = re.search(r"/invite/([A-Za-z0-9_\-]+)", body_text(mails[-1])).group(1)
    accepted = await client.post(
        "/api/v1/auth/invites/accept", json={"token": fresh, "password": OWNER_PASSWORD}
    )
    assert accepted.status_code == 200
    assert accepted.json()["memberships"][0]["business_name"] == "Late Co"


async def test_health_reports_the_database(client):
    response = await client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}

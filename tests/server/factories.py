"""Building blocks for server tests: an admin, an onboarded business with its owner, a lead."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from server.admin.accounts import create_or_update_admin
from server.context import ServerContext
from server.jobs.worker import Worker
from tests.server.support import SmtpSink, body_text

ADMIN_EMAIL = "admin@leadflow.test"
ADMIN_PASSWORD = "admin-password-123"
OWNER_PASSWORD = "owner-password-123"


def bearer(token: str, business_id: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if business_id:
        headers["X-Business-Id"] = business_id
    return headers


async def admin_headers(ctx: ServerContext, client: httpx.AsyncClient) -> dict[str, str]:
    async with ctx.db.session() as session:
        await create_or_update_admin(session, ADMIN_EMAIL, ADMIN_PASSWORD, "Ada Admin")
    response = await client.post(
        "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def invite_token(smtp: SmtpSink, address: str) -> str:
    mails = smtp.wait_for(address)
    match = re.search(r"/invite/([A-Za-z0-9_\-]+)", body_text(mails[-1]))
    assert match, "the invite mail has no link"
    return match.group(1)


@dataclass
class Tenant:
    business: dict[str, Any]
    owner_email: str
    owner_headers: dict[str, str]
    login: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.business["id"])

    @property
    def slug(self) -> str:
        return str(self.business["form_slug"])


async def onboard(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    admin: dict[str, str],
    *,
    name: str = "Sparkle Cleaning",
    activate: bool = True,
    **fields: Any,
) -> Tenant:
    """Create a business as the admin, accept the owner's invite from the mail, activate it."""
    owner_email = fields.pop("owner_email", f"owner-{uuid.uuid4().hex[:8]}@example.com")
    body = {
        "name": name,
        "contact_email": fields.pop("contact_email", f"desk-{uuid.uuid4().hex[:6]}@example.com"),
        "owner": {"email": owner_email, "full_name": "Olive Owner"},
        **fields,
    }
    created = await client.post("/api/v1/admin/businesses", json=body, headers=admin)
    assert created.status_code == 201, created.text
    await worker.tick()
    token = invite_token(smtp, owner_email)
    accepted = await client.post(
        "/api/v1/auth/invites/accept",
        json={"token": token, "password": OWNER_PASSWORD, "full_name": "Olive Owner"},
    )
    assert accepted.status_code == 200, accepted.text
    business = created.json()
    if activate:
        response = await client.patch(
            f"/api/v1/admin/businesses/{business['id']}/status",
            json={"status": "active"},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        business = response.json()
    login = accepted.json()
    return Tenant(business, owner_email, bearer(login["access_token"], business["id"]), login)


async def submit(client: httpx.AsyncClient, slug: str, **fields: Any) -> httpx.Response:
    body = {
        "customer_name": "Casey Customer",
        "customer_email": f"casey-{uuid.uuid4().hex[:6]}@example.net",
        "message": "Hello, could you help with a deep clean of our flat?",
        "submission_id": str(uuid.uuid4()),
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return await client.post(f"/api/v1/public/forms/{slug}/submit", json=body)

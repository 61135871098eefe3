"""Who acts in the owner and sync tests: tenants with leads, staff, a two-business owner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from server.context import ServerContext
from server.jobs.worker import Worker
from tests.server.factories import OWNER_PASSWORD, Tenant, bearer, invite_token, onboard, submit
from tests.server.support import SmtpSink

OWNER = "/api/v1/owner"


@dataclass
class World:
    """The running app's parts a test drives, bundled so helpers take one argument."""

    ctx: ServerContext
    client: httpx.AsyncClient
    smtp: SmtpSink
    worker: Worker
    admin: dict[str, str]

    async def tenant(self, **fields: Any) -> Tenant:
        return await onboard(self.ctx, self.client, self.smtp, self.worker, self.admin, **fields)

    async def lead(self, tenant: Tenant, *, process: bool = True, **fields: Any) -> dict[str, Any]:
        """Submit a lead through the public form, run the workflow, return the lead's detail."""
        email = fields.pop("customer_email", f"casey-{uuid.uuid4().hex[:8]}@example.net")
        response = await submit(self.client, tenant.slug, customer_email=email, **fields)
        assert response.status_code == 202, response.text
        if process:
            await self.worker.tick()
        return await self.find_lead(tenant, email)

    async def find_lead(self, tenant: Tenant, email: str) -> dict[str, Any]:
        listed = await self.client.get(
            f"{OWNER}/leads", params={"limit": 500}, headers=tenant.owner_headers
        )
        assert listed.status_code == 200, listed.text
        found = [lead for lead in listed.json()["items"] if lead["customer_email"] == email]
        assert len(found) == 1, f"expected one lead for {email}"
        detail = await self.client.get(
            f"{OWNER}/leads/{found[0]['id']}", headers=tenant.owner_headers
        )
        assert detail.status_code == 200, detail.text
        return detail.json()

    async def staff(self, tenant: Tenant, email: str | None = None) -> dict[str, str]:
        """Invite a staff member as the owner and accept the invite from the mail."""
        email = email or f"staff-{uuid.uuid4().hex[:8]}@example.com"
        invited = await self.client.post(
            f"{OWNER}/team/invites",
            json={"email": email, "full_name": "Sam Staff", "role": "staff"},
            headers=tenant.owner_headers,
        )
        assert invited.status_code == 201, invited.text
        await self.worker.tick()
        accepted = await self.client.post(
            "/api/v1/auth/invites/accept",
            json={"token": invite_token(self.smtp, email), "password": OWNER_PASSWORD},
        )
        assert accepted.status_code == 200, accepted.text
        return bearer(accepted.json()["access_token"])

    async def second_business_of(self, tenant: Tenant, name: str = "Second Shop") -> str:
        """A second active business owned by the same person; returns its id."""
        created = await self.client.post(
            "/api/v1/admin/businesses",
            json={
                "name": name,
                "contact_email": f"desk-{uuid.uuid4().hex[:6]}@example.com",
                "owner": {"email": tenant.owner_email, "full_name": "Olive Owner"},
            },
            headers=self.admin,
        )
        assert created.status_code == 201, created.text
        business_id = str(created.json()["id"])
        activated = await self.client.patch(
            f"/api/v1/admin/businesses/{business_id}/status",
            json={"status": "active"},
            headers=self.admin,
        )
        assert activated.status_code == 200, activated.text
        return business_id


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])

"""The real LeadFlow server for desktop integration tests: uvicorn on a loopback port in a thread,
over a SQLite file, mailing through an aiosmtpd sink; stoppable and restartable on the same port."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.admin.accounts import create_or_update_admin
from server.app import create_app
from server.config import Settings, load_settings
from server.context import build_context
from server.migrate import upgrade
from tests.server.support import SmtpSink, body_text, free_port

ADMIN_EMAIL = "admin@leadflow.test"
ADMIN_PASSWORD = "admin-password-123"
OWNER_PASSWORD = "owner-password-123"


class LiveServer:
    def __init__(self, tmp_path: Path, smtp: SmtpSink, **overrides: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        db = tmp_path / "server.db"
        upgrade(f"sqlite+aiosqlite:///{db}")
        self.settings: Settings = load_settings(
            env="test",
            data_dir=tmp_path / "server-data",
            database_url=f"sqlite+aiosqlite:///{db}",
            public_url=self.url,
            email_from="LeadFlow <noreply@leadflow.test>",
            secret_key="test-secret-key-that-is-long-enough-0123456789",
            form_min_fill_s=0.0,
            email_provider="smtp",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            intake_ip_limit=1000,
            **overrides,
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        app = create_app(self.settings, run_worker=True)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn")
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # open event streams must not hold the shutdown
            self._thread.join(20)
            self._server = None

    def create_admin(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        """Make ``email`` a super-admin (an existing owner keeps their memberships)."""

        async def make() -> None:
            ctx = build_context(self.settings)
            async with ctx.db.session() as session:
                await create_or_update_admin(session, email, password, "Ada Admin")
            await ctx.db.dispose()

        asyncio.run(make())


@dataclass
class Tenant:
    business: dict[str, Any]
    owner_email: str
    owner_token: str

    @property
    def slug(self) -> str:
        return str(self.business["form_slug"])

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.owner_token}",
            "X-Business-Id": str(self.business["id"]),
        }


def onboard(
    live: LiveServer,
    smtp: SmtpSink,
    name: str = "Sparkle Cleaning",
    owner_email: str | None = None,
    **fields: Any,
) -> Tenant:
    """Like tests/server/factories.py: admin creates the business, the owner accepts the invite
    from the mail, the admin activates it. An existing ``owner_email`` gets a second business."""
    with httpx.Client(base_url=live.url, timeout=20) as http:
        login = http.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        owner_email = owner_email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
        mails_before = len(smtp.to(owner_email))
        created = http.post(
            "/api/v1/admin/businesses",
            headers=admin,
            json={
                "name": name,
                "contact_email": f"desk-{uuid.uuid4().hex[:6]}@example.com",
                "owner": {"email": owner_email, "full_name": "Olive Owner"},
                **fields,
            },
        )
        assert created.status_code == 201, created.text
        mail = smtp.wait_for(owner_email, count=mails_before + 1, timeout=20)[-1]
        token = re.search(r"/invite/([A-Za-z0-9_\-]+)", body_text(mail))
        assert token, "no invite link"
        accepted = http.post(
            "/api/v1/auth/invites/accept",
            json={"token": token.group(1), "password": OWNER_PASSWORD, "full_name": "Olive Owner"},
        )
        assert accepted.status_code == 200, accepted.text
        business = created.json()
        active = http.patch(
            f"/api/v1/admin/businesses/{business['id']}/status",
            json={"status": "active"},
            headers=admin,
        )
        assert active.status_code == 200, active.text
        return Tenant(active.json(), owner_email, accepted.json()["access_token"])


def submit(live: LiveServer, slug: str, **fields: Any) -> str:
    email = fields.pop("customer_email", f"casey-{uuid.uuid4().hex[:6]}@example.net")
    body = {
        "customer_name": "Casey Customer",
        "customer_email": email,
        "message": "Hello, could you help with a deep clean of our flat?",
        "submission_id": str(uuid.uuid4()),
        **fields,
    }
    response = httpx.post(f"{live.url}/api/v1/public/forms/{slug}/submit", json=body, timeout=20)
    assert response.status_code == 202, response.text
    return email

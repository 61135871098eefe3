"""The real server for the admin console's tests and screenshots: uvicorn on a loopback port
(SQLite, the background worker on), an aiosmtpd sink as its SMTP server, one super-admin."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.admin.accounts import create_or_update_admin
from server.app import create_app
from server.config import Settings, load_settings
from server.db import Database
from server.migrate import upgrade
from tests.server.support import SmtpSink, free_port

ADMIN_EMAIL = "ada@leadflow.test"
ADMIN_PASSWORD = "admin-password-123"


@dataclass
class LiveServer:
    url: str
    settings: Settings
    smtp: SmtpSink
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.smtp.stop()
        assert not self.thread.is_alive(), "the server thread is still running"

    @contextlib.contextmanager
    def admin_http(self) -> Iterator[httpx.Client]:
        """A plain HTTP client signed in as the super-admin (for arranging and checking)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            login = client.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            yield client


def start_live_server(tmp: Path, **overrides: Any) -> LiveServer:
    smtp = SmtpSink()
    smtp.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db_url = f"sqlite+aiosqlite:///{tmp / 'leadflow.db'}"
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp / "server-data",
        "database_url": db_url,
        "email_provider": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "email_from": "LeadFlow <noreply@leadflow.test>",
        "public_url": base,
        "secret_key": "x" * 40,
        "form_min_fill_s": 0.0,
    }
    values.update(overrides)
    settings = load_settings(**values)
    upgrade(db_url)
    asyncio.run(_create_admin(db_url))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, run_worker=True),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-admin-tests", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            smtp.stop()
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)  # the server is not a Qt object: nothing to wait on but the flag
    return LiveServer(base, settings, smtp, server, thread)


async def _create_admin(db_url: str) -> None:
    database = Database(db_url)
    try:
        async with database.session() as session:
            await create_or_update_admin(session, ADMIN_EMAIL, ADMIN_PASSWORD, "Ada Admin")
    finally:
        await database.dispose()


def create_business(
    http: httpx.Client, name: str, owner_email: str, *, activate: bool = True, **fields: Any
) -> dict[str, Any]:
    """A business made through the admin API (and activated, unless told otherwise)."""
    slug_part = name.lower().split()[0]
    body = {
        "name": name,
        "contact_email": f"desk@{slug_part}.example",
        "owner": {"email": owner_email, "full_name": fields.pop("owner_name", "Olive Owner")},
        **fields,
    }
    created = http.post("/api/v1/admin/businesses", json=body)
    assert created.status_code == 201, created.text
    business = created.json()
    if activate:
        response = http.patch(
            f"/api/v1/admin/businesses/{business['id']}/status", json={"status": "active"}
        )
        assert response.status_code == 200, response.text
        business = response.json()
    return dict(business)


def submit_lead(http: httpx.Client, slug: str, **fields: Any) -> None:
    # A submission needs a way to reach the customer (CONTRACT §5); each its own, so no two
    # submissions are taken for one returning customer.
    phone = f"+44 7700 9{uuid.uuid4().int % 100000:05d}"
    body = {"submission_id": str(uuid.uuid4()), "customer_phone": phone, **fields}
    response = http.post(f"/api/v1/public/forms/{slug}/submit", json=body)
    assert response.status_code == 202, response.text

"""The real LeadFlow server on a loopback port, for every test (and screenshot script) that talks
to it over HTTP: uvicorn in a thread (``LiveServer``), or ``leadflow-server serve`` in a child
process (``ProcessServer``); and the helpers that arrange a business and its leads through the
API as a person would."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from server.admin.accounts import create_or_update_admin
from server.app import create_app
from server.config import Settings
from server.db import Database
from server.migrate import upgrade
from tests.server.conftest import make_settings
from tests.server.factories import ADMIN_EMAIL, ADMIN_PASSWORD, OWNER_PASSWORD
from tests.server.support import SmtpSink, body_text, free_port, server_env

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "OWNER_PASSWORD",
    "LiveServer",
    "ProcessServer",
    "Tenant",
    "create_business",
    "live_server",
    "onboard",
    "submit",
    "submit_lead",
]

SERVER_SCRIPT = Path(sys.executable).with_name("leadflow-server")
# A loaded two-core CI machine starts uvicorn (and migrates, in a child process) slowly.
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0


class LiveServer:
    """``create_app(settings)`` served by uvicorn in a thread on a loopback port. ``stop`` and
    ``start`` again serve a new app on the same port (a server that went away and came back)."""

    def __init__(
        self,
        settings: Settings,
        *,
        port: int | None = None,
        run_worker: bool = False,
        smtp: SmtpSink | None = None,
    ) -> None:
        self.settings = settings
        self.port = port or free_port()
        self.run_worker = run_worker
        self.smtp = smtp
        self.app: FastAPI | None = None  # the app being served, once started
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @classmethod
    def over_sqlite(cls, tmp: Path, smtp: SmtpSink, **overrides: Any) -> LiveServer:
        """A server with its worker over a new, migrated SQLite file in ``tmp``, mailing through
        ``smtp``, with one super-admin (``ADMIN_EMAIL``); not started yet."""
        port = free_port()
        db_url = f"sqlite+aiosqlite:///{tmp / 'server.db'}"
        upgrade(db_url)
        values: dict[str, Any] = {"public_url": f"http://127.0.0.1:{port}", "intake_ip_limit": 1000}
        settings = make_settings(db_url, tmp / "server-data", smtp, **(values | overrides))
        server = cls(settings, port=port, run_worker=True, smtp=smtp)
        server.create_admin()
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.app = create_app(self.settings, run_worker=self.run_worker)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        server = self.server = uvicorn.Server(config)
        thread = self.thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)  # uvicorn is no Qt object or task: nothing to wait on but the flag
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Stop serving (open event streams do not hold it up); True if the thread ended."""
        if self.server is None or self.thread is None:
            return True
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(timeout)
        self.server = None
        return not self.thread.is_alive()

    def create_admin(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        """Make ``email`` a super-admin (an existing owner keeps their memberships)."""

        async def make() -> None:
            database = Database(self.settings.database_url)
            try:
                async with database.session() as session:
                    await create_or_update_admin(session, email, password, "Ada Admin")
            finally:
                await database.dispose()

        asyncio.run(make())

    @contextlib.contextmanager
    def admin_http(self) -> Iterator[httpx.Client]:
        """A plain HTTP client signed in as the super-admin (for arranging and checking)."""
        with httpx.Client(base_url=self.url, timeout=20) as client:
            login = client.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert login.status_code == 200, login.text
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            yield client


@contextlib.contextmanager
def live_server(tmp: Path, smtp: SmtpSink | None = None, **overrides: Any) -> Iterator[LiveServer]:
    """``LiveServer.over_sqlite`` started, and stopped after (with its own SMTP sink unless
    given one)."""
    own_smtp = smtp is None
    sink = SmtpSink() if smtp is None else smtp
    if own_smtp:
        sink.start()
    try:
        server = LiveServer.over_sqlite(tmp, sink, **overrides).start()
        try:
            yield server
        finally:
            assert server.stop(), "the server thread is still running"
    finally:
        if own_smtp:
            sink.stop()


class ProcessServer:
    """``leadflow-server serve --no-worker`` as a child process, configured by environment."""

    def __init__(self, settings: Settings) -> None:
        self.port = port = free_port()
        self.process = subprocess.Popen(
            [SERVER_SCRIPT, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, timeout: float = 30.0) -> ProcessServer:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.process.stderr.read().decode()[-2000:]
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return self
                await asyncio.sleep(0.1)
        raise AssertionError("leadflow-server did not become ready")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.process.stderr:
            self.process.stderr.close()


# -- arranging through the API ---------------------------------------------------------------


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


def create_business(
    http: httpx.Client, name: str, owner_email: str, *, activate: bool = True, **fields: Any
) -> dict[str, Any]:
    """A business made through the admin API (and activated, unless told otherwise); ``http``
    is signed in as the super-admin (``LiveServer.admin_http``)."""
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
        business = activate_business(http, business["id"])
    return dict(business)


def activate_business(http: httpx.Client, business_id: str) -> dict[str, Any]:
    response = http.patch(
        f"/api/v1/admin/businesses/{business_id}/status", json={"status": "active"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def onboard(
    live: LiveServer,
    smtp: SmtpSink,
    name: str = "Sparkle Cleaning",
    owner_email: str | None = None,
    **fields: Any,
) -> Tenant:
    """As in tests/server/factories.py: the admin creates the business, the owner accepts the
    invite from the mail, the admin activates it. An existing ``owner_email`` gets a second
    business."""
    owner_email = owner_email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    mails_before = len(smtp.to(owner_email))
    fields.setdefault("contact_email", f"desk-{uuid.uuid4().hex[:6]}@example.com")
    with live.admin_http() as admin:
        business = create_business(admin, name, owner_email, activate=False, **fields)
        mail = smtp.wait_for(owner_email, count=mails_before + 1, timeout=20)[-1]
        token = re.search(r"/invite/([A-Za-z0-9_\-]+)", body_text(mail))
        assert token, "no invite link"
        accepted = httpx.post(
            f"{live.url}/api/v1/auth/invites/accept",
            json={"token": token.group(1), "password": OWNER_PASSWORD, "full_name": "Olive Owner"},
            timeout=20,
        )
        assert accepted.status_code == 200, accepted.text
        active = activate_business(admin, business["id"])
    return Tenant(active, owner_email, accepted.json()["access_token"])


def submit(live: LiveServer, slug: str, **fields: Any) -> str:
    """A customer with an email address submits the form; returns that address."""
    email = fields.pop("customer_email", f"casey-{uuid.uuid4().hex[:6]}@example.net")
    body = {
        "customer_name": "Casey Customer",
        "customer_email": email,
        "message": "Hello, could you help with a deep clean of our flat?",
        **fields,
    }
    with httpx.Client(base_url=live.url, timeout=20) as http:
        _submit(http, slug, body)
    return email


def submit_lead(http: httpx.Client, slug: str, **fields: Any) -> None:
    """A customer reachable by phone submits the form (CONTRACT §5 wants a way to reach them);
    each its own number, so no two submissions are taken for one returning customer."""
    phone = f"+44 7700 9{uuid.uuid4().int % 100000:05d}"
    _submit(http, slug, {"customer_phone": phone, **fields})


def _submit(http: httpx.Client, slug: str, body: dict[str, Any]) -> None:
    body = {"submission_id": str(uuid.uuid4()), **body}
    response = http.post(f"/api/v1/public/forms/{slug}/submit", json=body)
    assert response.status_code == 202, response.text

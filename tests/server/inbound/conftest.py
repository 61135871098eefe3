"""Inbound-mail fixtures: the server with an inbound domain and webhook secret, a lead whose
acknowledgement went out through the SMTP sink, and a signed webhook call."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from server.config import Settings
from server.context import ServerContext
from server.jobs.worker import Worker
from tests.server.conftest import make_settings
from tests.server.factories import Tenant, admin_headers, onboard, submit
from tests.server.inbound.dovecot import PASSWORD, USER, Dovecot
from tests.server.support import SmtpSink

DOMAIN = "in.leadflow.test"
SECRET = "inbound-secret-for-the-tests"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtp: SmtpSink) -> Settings:
    return make_settings(
        db_url, tmp_path / "data", smtp, inbound_domain=DOMAIN, inbound_secret=SECRET
    )


def imap_settings(settings: Settings, dovecot: Dovecot) -> Settings:
    """The same settings with the IMAP channel pointed at the test's Dovecot."""
    return settings.model_copy(
        update={
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_username": USER,
            "imap_password": SecretStr(PASSWORD),
            "imap_ssl": False,
            "imap_poll_s": 2.0,
        }
    )


@dataclass
class Replying:
    """A lead whose first mail (the acknowledgement) reached the customer."""

    tenant: Tenant
    lead_id: str
    customer: str
    first_mail: EmailMessage

    @property
    def reply_to(self) -> str:
        return str(self.first_mail["Reply-To"])

    @property
    def message_id(self) -> str:
        return str(self.first_mail["Message-ID"])


async def replying_lead(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    *,
    tenant: Tenant | None = None,
    customer: str = "jane.doe@example.net",
    name: str = "Jane Doe",
) -> Replying:
    if tenant is None:
        admin = await admin_headers(ctx, client)
        tenant = await onboard(ctx, client, smtp, worker, admin, name="Acme Plumbing")
    response = await submit(
        client,
        tenant.slug,
        customer_name=name,
        customer_email=customer,
        message="Do you also fix leaking taps in the kitchen?",
    )
    assert response.status_code == 202, response.text
    await worker.tick()
    first = smtp.wait_for(customer)[-1]
    leads = await client.get("/api/v1/owner/leads", headers=tenant.owner_headers)
    lead = next(item for item in leads.json()["items"] if item["customer_email"] == customer)
    return Replying(tenant, lead["id"], customer, first)


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-LeadFlow-Signature": f"sha256={digest}", "Content-Type": "message/rfc822"}


async def post_mail(client: httpx.AsyncClient, raw: bytes, **kwargs: Any) -> httpx.Response:
    return await client.post("/api/v1/inbound/email", content=raw, headers=sign(raw), **kwargs)

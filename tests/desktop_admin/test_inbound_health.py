"""The console's health page with inbound mail on: the domain, the unmatched count, each
channel's numbers, and an IMAP error as the running server's worker met it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.ui.admin import AdminConsole
from tests.server.inbound.mails import reply
from tests.server.support import free_port
from tests.support.live_server import LiveServer, live_server

WAIT_MS = 15_000
SECRET = "inbound-secret"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    # Nothing listens on the IMAP port: the worker's channel records the refusal.
    with live_server(
        tmp_path,
        inbound_domain="in.leadflow.test",
        inbound_secret=SECRET,
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_ssl=False,
        imap_username="inbox",
        imap_password="secret",
        imap_poll_s=1.0,
    ) as server:
        yield server


def _texts(console: AdminConsole) -> dict[str, str]:
    box = console.settings.boxes["Inbound mail"]
    texts = [box.itemAt(i).widget().text() for i in range(box.count())]
    return dict(zip(texts[::2], texts[1::2], strict=False))


def test_the_health_page_shows_the_inbound_channels(qtbot, console: AdminConsole, live) -> None:
    raw = reply(sender="stranger@example.org", to="nobody@elsewhere.example", text="Hello?")
    digest = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    with live.admin_http() as http:
        answer = http.post(
            "/api/v1/inbound/email",
            content=raw,
            headers={"X-LeadFlow-Signature": f"sha256={digest}"},
        )
        assert answer.json()["status"] == "unmatched"

        def imap_error() -> bool:
            health = http.get("/api/v1/admin/settings").json()
            imap = next(c for c in health["inbound"]["channels"] if c["name"] == "imap")
            return bool(imap["last_error"])

        qtbot.waitUntil(imap_error, timeout=WAIT_MS)
    console.show_page("Health")
    page = console.settings
    page.refresh()
    qtbot.waitUntil(lambda: "last error" in _texts(console).get("IMAP", ""), timeout=WAIT_MS)
    rows = _texts(console)
    assert rows["Domain"] == "in.leadflow.test"
    assert rows["Unmatched mail"] == "1"
    assert rows["Webhook"].startswith("1 processed, last mail ")
    assert "refused" in rows["IMAP"].lower() or "errno" in rows["IMAP"].lower()

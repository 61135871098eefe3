"""The console's service objects over ``httpx.MockTransport``: offline copies, errors in words,
per-row automation failures, and a CSV export that is canceled half way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from desktop.admin.cache import PageCache
from desktop.admin.export import RecordCounter
from desktop.admin.service import AdminService
from desktop.ui.admin import AdminConsole
from desktop.ui.admin.common import Dialogs

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC).isoformat()
BUSINESS_ID = str(uuid.uuid4())


def business(name: str = "Harbour Plumbing", status: str = "active") -> dict[str, Any]:
    return {
        "id": BUSINESS_ID,
        "name": name,
        "slug": "harbour-plumbing",
        "industry": "plumbing",
        "phone": None,
        "contact_email": "desk@harbour.example",
        "address": None,
        "logo_url": None,
        "brand_color": "#0f766e",
        "status": status,
        "smart_auto_reply": False,
        "owner_approval_required": True,
        "auto_reply_threshold": 0.8,
        "facts": None,
        "timezone": "UTC",
        "created_at": NOW,
        "updated_at": NOW,
        "form_slug": "harbour-plumbing",
        "form_url": "http://x/forms/harbour-plumbing",
    }


def automation(smart: bool = False) -> dict[str, Any]:
    return {
        "business_id": BUSINESS_ID,
        "business_name": "Harbour Plumbing",
        "business_status": "active",
        "smart_auto_reply": smart,
        "owner_approval_required": True,
        "auto_reply_threshold": 0.8,
        "form_active": True,
        "lead_count": 12,
    }


def page(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 50, "offset": 0}


class FakeAdminServer:
    """Answers the admin routes the tests need; ``online`` False makes every call fail to
    connect, ``export_gate`` holds the CSV stream open until set."""

    def __init__(self) -> None:
        self.online = True
        self.requests: list[httpx.Request] = []
        self.export_gate: asyncio.Event | None = None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.online:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path.removeprefix("/api/v1/admin")
        if path == "/businesses":
            return httpx.Response(200, json=page([business()]))
        if path == "/automations":
            return httpx.Response(200, json=page([automation()]))
        if path == f"/automations/{BUSINESS_ID}":
            return httpx.Response(
                409,
                json={
                    "error": {
                        "code": "business_archived",
                        "message": "Archived businesses keep their switches.",
                        "details": None,
                    }
                },
            )
        if path == "/leads/export":
            return httpx.Response(
                200, headers={"content-type": "text/csv"}, content=self.slow_csv()
            )
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "No route."}})

    async def slow_csv(self) -> AsyncIterator[bytes]:
        yield b"id,customer_name,message\n"
        for n in range(100):
            yield f'{n},"Name {n}","line one\nline ""two"""\n'.encode()
        self.export_gate = asyncio.Event()
        await self.export_gate.wait()  # never set: the export only ends by being canceled
        yield b"never\n"


@pytest.fixture
def fake() -> FakeAdminServer:
    return FakeAdminServer()


@pytest.fixture
def service(fake: FakeAdminServer, tmp_path: Path) -> Iterator[AdminService]:
    admin = AdminService.standalone(
        "http://admin.test",
        transport=httpx.MockTransport(fake.handle),
        cache=PageCache(tmp_path / "cache.sqlite3"),
    )
    admin.client.api.access_token = "token"
    yield admin
    admin.stop()


@pytest.fixture
def console(qtbot, service: AdminService, tmp_path: Path) -> AdminConsole:
    dialogs = Dialogs(
        confirm=lambda *_: True,
        save_path=lambda *_: str(tmp_path / "out.csv"),
        open_path=lambda *_: "",
    )
    widget = AdminConsole(service, dialogs)
    qtbot.addWidget(widget)
    return widget


def test_the_last_loaded_page_stays_readable_offline(qtbot, console, fake) -> None:
    page = console.businesses
    console.show_page("Businesses")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert not page.status.isVisibleTo(page)

    fake.online = False
    page.model.set_rows([])
    with qtbot.waitSignal(console.service.loaded) as loaded:
        page.refresh()
    assert loaded.args[2] is not None  # the cached copy, with when it was saved
    assert page.model.rowCount() == 1
    assert page.model.rows[0].name == "Harbour Plumbing"
    assert page.status.text().startswith("Offline: showing the copy from")


def test_a_page_never_loaded_says_the_server_cannot_be_reached(qtbot, console, fake) -> None:
    fake.online = False
    with qtbot.waitSignal(
        console.service.load_failed, check_params_cb=lambda tag, _error: tag == console.owners.tag
    ):
        console.show_page("Owners")
    assert "cannot be reached" in console.owners.status.text()


def test_a_refused_toggle_shows_the_servers_message_in_its_row(qtbot, console) -> None:
    console.show_page("Automations")
    page = console.automations
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    index = page.proxy.index(0, page.model.AUTO_REPLY)
    with qtbot.waitSignal(console.service.automation_failed):
        page.proxy.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    state = page.proxy.index(0, page.model.STATE).data()
    assert state == "Archived businesses keep their switches."
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_canceling_an_export_stops_the_download_and_leaves_no_file(
    qtbot, console, fake, tmp_path: Path
) -> None:
    console.show_page("Leads")
    bar = console.leads.export_bar
    bar.start()
    job = bar.job
    qtbot.waitUntil(lambda: fake.export_gate is not None)
    qtbot.waitUntil(lambda: bar.label.text() == "Exporting… 100 rows")
    assert not bar.progress.isHidden() and not bar.cancel_button.isHidden()
    assert (tmp_path / "out.csv.part").exists()
    with qtbot.waitSignal(job.canceled):
        qtbot.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "out.csv.part").exists()
    assert "canceled" in bar.label.text()
    assert bar.button.isEnabled()


def test_records_are_counted_across_chunks_with_newlines_inside_quoted_cells() -> None:
    counter = RecordCounter()
    data = b'id,note\n1,"a\nb ""quoted\n"""\n2,plain\n3,"x'
    for n in range(len(data)):  # one byte at a time: every split point
        counter.feed(data[n : n + 1])
    assert counter.feed(b'y"\n') == 4

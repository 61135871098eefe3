"""Admin console fixtures: the real server, a signed-in ``AdminService``, answered dialogs, and
no thread left running."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.admin.cache import PageCache
from desktop.admin.service import AdminService
from desktop.ui.admin import AdminConsole
from desktop.ui.admin.common import Dialogs
from tests.desktop_admin.live_server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LiveServer,
    start_live_server,
)


@pytest.fixture(autouse=True)
def no_thread_left_running() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leftover = [
        t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon
    ]
    for thread in leftover:
        thread.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"threads left running: {still}"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_DESKTOP_DATA_DIR", str(tmp_path / "desktop-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_live_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class AnsweredDialogs:
    """What the console asked, and the answers the test chose."""

    confirm_answer: bool = True
    save_to: str = ""
    open_file: str = ""
    questions: list[str] = field(default_factory=list)

    def dialogs(self) -> Dialogs:
        def confirm(_parent: object, title: str, text: str) -> bool:
            self.questions.append(f"{title}: {text}")
            return self.confirm_answer

        return Dialogs(
            confirm=confirm,
            save_path=lambda *_: self.save_to,
            open_path=lambda *_: self.open_file,
        )


@pytest.fixture
def answers() -> AnsweredDialogs:
    return AnsweredDialogs()


@pytest.fixture
def service(live: LiveServer, tmp_path: Path) -> Iterator[AdminService]:
    admin = AdminService.standalone(live.url, cache=PageCache(tmp_path / "admin-cache.sqlite3"))
    try:
        admin.service.submit(admin.client.login(ADMIN_EMAIL, ADMIN_PASSWORD)).result(timeout=10)
        yield admin
    finally:
        admin.stop()


@pytest.fixture
def console(qtbot, service: AdminService, answers: AnsweredDialogs) -> AdminConsole:
    widget = AdminConsole(service, answers.dialogs())
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    return widget

"""Admin console fixtures: the real server, a signed-in ``AdminService``, answered dialogs, and
no thread left running."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop.admin.cache import PageCache
from desktop.admin.service import AdminService
from desktop.ui.admin import AdminConsole
from desktop.ui.admin.common import Dialogs
from tests.support.collector import cycles_collected_on_the_gui_thread  # noqa: F401
from tests.support.dirs import isolated_dirs  # noqa: F401 - autouse
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer, live_server
from tests.support.threads import no_thread_left_running  # noqa: F401 - autouse


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path) as server:
        yield server


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

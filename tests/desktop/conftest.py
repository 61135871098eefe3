"""Desktop test fixtures: a fake owner API and the app over it; from ``tests.support``, an
in-memory keyring, isolated data dirs and no thread left behind."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from tests.support.collector import cycles_collected_on_the_gui_thread  # noqa: F401
from tests.support.dirs import isolated_dirs  # noqa: F401 - autouse
from tests.support.keyring import memory_keyring, no_keyring  # noqa: F401
from tests.support.threads import no_thread_left_running  # noqa: F401 - autouse


@pytest.fixture
def server():
    from tests.desktop.fake_server import FakeOwnerServer

    return FakeOwnerServer()


@pytest.fixture
def controller(server, qtbot, tmp_path):
    """The app over the fake owner API (the integration tests override it with a live server)."""
    from desktop.ui.controller import AppController

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    app = AppController(
        transport=server.transport(), settings=settings, poll_s=0.3, modal_login=False
    )
    yield app
    app.shutdown()

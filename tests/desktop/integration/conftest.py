"""Fixtures that run the real server (uvicorn + SQLite + SMTP sink) for the desktop app."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from desktop.ui.controller import AppController
from tests.server.support import SmtpSink
from tests.support.live_server import live_server, onboard


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def live(tmp_path, smtp):
    with live_server(tmp_path, smtp) as server:
        yield server


@pytest.fixture
def tenant(live, smtp):
    return onboard(live, smtp)


@pytest.fixture
def controller(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    app = AppController(settings=settings, poll_s=1.0, modal_login=False)
    yield app
    app.shutdown()
    release_qt_objects()


def release_qt_objects() -> None:
    """Delete what ``deleteLater`` scheduled and collect Python's cycles now, on the GUI thread
    with the windows gone, not whenever the next test happens to allocate."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    gc.collect()

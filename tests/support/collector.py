"""As the app does at its start (``desktop.app.qt_application``): cyclic garbage is collected
on the GUI thread only, never by a server or service thread that the tests run beside Qt."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from desktop.ui.collector import collect_on_gui_thread


@pytest.fixture(scope="session", autouse=True)
def cycles_collected_on_the_gui_thread(qapp: QApplication) -> None:
    collect_on_gui_thread(qapp)

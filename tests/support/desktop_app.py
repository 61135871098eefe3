"""Driving the desktop app as a person would: the sign-in dialog, the inbox's names."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

# The inbox proxy's column of customer names.
NAME_COLUMN = 3


def sign_in_as(
    controller: Any, qtbot: Any, server_url: str, email: str, password: str, timeout: int = 10000
) -> Any:
    """Start the app, fill in the sign-in dialog and submit it; the window that opens."""
    with qtbot.waitSignal(controller.login_shown, timeout=5000) as shown:
        controller.start()
    login = shown.args[0]
    login.server.setText(server_url)
    login.email.setText(email)
    login.password.setText(password)
    with qtbot.waitSignal(controller.window_opened, timeout=timeout) as opened:
        qtbot.mouseClick(login.submit, Qt.MouseButton.LeftButton)
    return opened.args[0]


def sign_in_online(
    controller: Any, qtbot: Any, server_url: str, email: str, password: str, timeout: int = 10000
) -> Any:
    """``sign_in_as``, then wait until the main window says it is online."""
    window = sign_in_as(controller, qtbot, server_url, email, password, timeout)
    qtbot.waitUntil(lambda: window.status_label.text().endswith("Online"), timeout=timeout)
    return window


def inbox_names(window: Any) -> list[str]:
    proxy = window.inbox.proxy
    return [proxy.index(r, NAME_COLUMN).data() for r in range(proxy.rowCount())]

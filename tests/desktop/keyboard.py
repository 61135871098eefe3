"""Driving a window with the keyboard only, as a person without a mouse would: Tab walks with
the focus checked to be visible at each stop, keys pressed on the next modal dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def activate(qtbot, window: QWidget) -> None:
    """Key presses reach the active window only."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def focus_on(qtbot, widget: QWidget) -> None:
    """The keyboard focus on ``widget``, its window active again (as after a dialog closed)."""
    activate(qtbot, widget.window())
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: focused() is widget, timeout=3000)


def press(qtbot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """``key`` on whatever has the focus."""
    qtbot.waitUntil(lambda: focused() is not None, timeout=3000)
    qtbot.keyClick(focused(), key, modifier)


def _image(widget: QWidget) -> QImage:
    return widget.grab().toImage()


def tab_walk(qtbot, first: QWidget, stops: int) -> list[QWidget]:
    """Put the focus on ``first`` and press Tab ``stops`` times: the widgets that had the focus,
    in order. Each stop must look different focused than once Tab has left it (a visible focus
    mark); then Shift+Tab must walk the same stops back."""
    focus_on(qtbot, first)
    seen: list[QWidget] = [first]
    unmarked: list[str] = []
    for _ in range(stops):
        here = focused()
        assert here is not None
        with_focus = _image(here)
        qtbot.keyClick(here, Qt.Key.Key_Tab)
        qtbot.waitUntil(lambda here=here: focused() is not here, timeout=3000)
        if _image(here) == with_focus:
            unmarked.append(describe(here))
        seen.append(focused())
    assert not unmarked, f"no visible focus on: {unmarked}"
    back: list[QWidget] = [seen[-1]]
    for _ in range(stops):
        qtbot.keyClick(focused(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        back.append(focused())
    assert back == list(reversed(seen)), "Shift+Tab does not walk the same stops back"
    return seen


def describe(widget: QWidget | None) -> str:
    if widget is None:
        return "nothing"
    text = widget.text() if hasattr(widget, "text") and callable(widget.text) else ""
    return f"{type(widget).__name__}({widget.accessibleName() or text or widget.objectName()})"


def names(widgets: list[QWidget]) -> list[str]:
    return [describe(w) for w in widgets]


def press_on_next_dialog(key: Qt.Key, seen: list[str] | None = None) -> None:
    """Press ``key`` on the next modal dialog once it is up (``exec`` blocks the test)."""

    def press() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(10, press)
            return
        if seen is not None:
            seen.append(dialog.windowTitle())
        target = dialog.focusWidget() or dialog
        from PySide6.QtTest import QTest

        QTest.keyClick(target, key)

    QTimer.singleShot(0, press)

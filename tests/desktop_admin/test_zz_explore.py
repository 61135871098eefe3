from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from tests.desktop_admin.live_server import create_business
from tests.desktop.test_zz_explore import describe


def test_explore(qtbot, console, live):
    console.activateWindow()
    qtbot.waitUntil(console.isActiveWindow, timeout=3000)
    for row in range(console.nav.count()):
        console.nav.setCurrentRow(row)
        qtbot.wait(700)
        console.nav.setFocus(Qt.FocusReason.TabFocusReason)
        print("\n=== page", row, console.nav.item(row).text())
        seen = []
        for _ in range(40):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            w = QApplication.focusWidget()
            seen.append(describe(w))
            if w is console.nav:
                break
        print("\n".join(seen))

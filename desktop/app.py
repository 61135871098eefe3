"""``leadflow``: the desktop app's entry point."""

from __future__ import annotations

import logging
import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.ui.controller import AppController

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("LeadFlow")
    app.setOrganizationName("LeadFlow")
    app.setDesktopFileName("leadflow")
    app.setStyle("Fusion")  # follows the system's light or dark colour scheme (Qt ≥ 6.5)
    app.setQuitOnLastWindowClosed(False)
    controller = AppController()

    def last_window_closed() -> None:
        window = controller.window
        if window is None or not window.isVisible():
            if controller.login is None or not controller.login.isVisible():
                app.quit()

    app.lastWindowClosed.connect(last_window_closed)
    app.aboutToQuit.connect(controller.shutdown)
    controller.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

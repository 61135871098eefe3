"""``leadflow``: the desktop app's entry point.

``leadflow --smoke`` builds the main window offline, starts the event loop and exits 0 once the
window is up (``desktop.ui.smoke``): the packaging test runs the built binary that way.
"""

from __future__ import annotations

import logging
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    smoke = "--smoke" in args
    args = [a for a in args if a != "--smoke"]
    from PySide6.QtWidgets import QApplication

    import desktop.ui  # noqa: F401 - Qt WebEngine's settings must precede the QApplication

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = QApplication(args)
    app.setApplicationName("LeadFlow")
    app.setOrganizationName("LeadFlow")
    app.setDesktopFileName("leadflow")
    app.setStyle("Fusion")  # follows the system's light or dark colour scheme (Qt ≥ 6.5)
    if smoke:
        from desktop.ui.smoke import run

        return run(app)
    from desktop.ui.controller import AppController

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

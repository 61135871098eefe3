"""``leadflow --smoke``: prove a build can show its windows, without an account or a server.

It builds the real main window (with the admin console, as a member who is also a super-admin
sees it) over an empty local copy in a temporary folder, pointed at a server address that
refuses connections, starts the event loop, renders a page in the form preview (Qt WebEngine's
helper process and resources must be there), and exits 0. Nothing is read from or written to
the user's data dir, settings or keyring.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

NO_SERVER = "http://127.0.0.1:9"  # the discard port: connections are refused at once
PAGE = "data:text/html,<h1>LeadFlow smoke test</h1>"
TIMEOUT_MS = 30_000


def run(app: QApplication) -> int:
    with tempfile.TemporaryDirectory(prefix="leadflow-smoke-") as folder:
        os.environ["LEADFLOW_DESKTOP_DATA_DIR"] = folder
        return _run(app, Path(folder))


def _run(app: QApplication, folder: Path) -> int:
    from desktop.accounts import Account, BusinessRef
    from desktop.admin.cache import PageCache
    from desktop.admin.mode import AdminMode
    from desktop.secrets import SecretStore
    from desktop.service_thread import ServiceThread
    from desktop.session import Session
    from desktop.signin import SignIn
    from desktop.ui.admin import AdminConsole
    from desktop.ui.login import LoginDialog
    from desktop.ui.main_window import MainWindow

    account = Account(
        NO_SERVER,
        "smoke@leadflow.invalid",
        "Smoke Test",
        "super_admin",
        [BusinessRef("00000000-0000-0000-0000-000000000001", "Smoke Test Business")],
        "00000000-0000-0000-0000-000000000001",
    )
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    service = ServiceThread()
    service.start()
    secrets = SecretStore(service="LeadFlow smoke test")  # never written: no token to save
    session = Session(account, None, service=service, secrets=secrets)
    modes: list[AdminMode] = []

    def console() -> AdminConsole:
        mode = AdminMode(
            account,
            service=service,
            secrets=secrets,
            api=session.api,
            cache=PageCache(folder / "admin-cache.sqlite3"),
        )
        modes.append(mode)
        return AdminConsole(mode.admin)

    window = MainWindow(session, settings, console)
    login = LoginDialog(SignIn(service, secrets), NO_SERVER, account.email)  # built, not shown
    session.start()
    window.load()
    window.show()
    result = {"code": 1}

    def check() -> None:
        shown = window.isVisible() and window.show_admin_console() is not None
        print(f"smoke: {window.windowTitle()!r} shown={shown}", flush=True)
        if not shown:
            app.quit()
            return
        window.show_page(window.form_page)
        preview = window.form_page.preview
        preview.loaded.connect(previewed)
        preview.show_url(PAGE)
        if preview.view is None:  # Qt WebEngine missing from the build
            previewed(False)

    def previewed(ok: bool) -> None:
        print(f"smoke: form preview rendered={ok}", flush=True)
        result["code"] = 0 if ok else 1
        app.quit()

    QTimer.singleShot(0, check)  # runs once the event loop is going
    QTimer.singleShot(TIMEOUT_MS, app.quit)
    app.exec()
    window.quitting = True
    window.close()
    login.deleteLater()
    for mode in modes:
        mode.stop()
    session.stop()
    service.stop()
    return result["code"]


if __name__ == "__main__":
    from desktop.app import qt_application

    sys.exit(run(qt_application(sys.argv)))

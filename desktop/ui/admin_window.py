"""The window of a super-admin with no business: the admin console alone (no owner pages, no
sync); sign out and remembered geometry like the owner's main window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from desktop.ui.admin import AdminConsole
from desktop.ui.tray import app_icon

DEFAULT_SIZE = (1280, 820)  # the first start's window; later starts restore the last one


class AdminWindow(QMainWindow):
    sign_out_requested = Signal(bool)  # the owner window's signal; there is no local copy here
    closed_by_user = Signal()  # the person closed the window: the app ends

    def __init__(self, mode: Any, settings: QSettings | None = None) -> None:
        super().__init__()
        self.mode = mode
        self.settings = settings or QSettings("LeadFlow", "LeadFlow")
        self.quitting = False
        self.setWindowTitle("LeadFlow — admin console")
        self.setWindowIcon(app_icon())
        self.console = AdminConsole(mode.admin)
        self.setCentralWidget(self.console)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("admin-toolbar")
        self.sign_out_action = QAction("Sign out", self)
        self.sign_out_action.triggered.connect(self.ask_sign_out)
        toolbar.addAction(self.sign_out_action)
        account = mode.account
        self.who = QLabel(f"Signed in as {account.full_name or account.email} (super-admin)")
        self.statusBar().addWidget(self.who)
        geometry = self.settings.value("admin_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(*DEFAULT_SIZE)

    def ask_sign_out(self) -> None:
        answer = QMessageBox.question(
            self,
            "Sign out",
            "Sign out of LeadFlow on this computer? The saved admin pages are removed.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.sign_out_requested.emit(True)

    def save_state(self) -> None:
        self.settings.setValue("admin_window/geometry", self.saveGeometry())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        event.accept()
        if not self.quitting:
            self.closed_by_user.emit()

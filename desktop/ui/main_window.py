"""The main window: pages, sync status, outbox, notifications, shortcuts, remembered state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.follow_ups import FollowUpsPage
from desktop.ui.form_page import FormPage
from desktop.ui.inbox import InboxPage
from desktop.ui.messages_page import MessagesPage
from desktop.ui.outbox_panel import OutboxPanel
from desktop.ui.overview import OverviewPage
from desktop.ui.settings_page import SettingsPage, setting_on
from desktop.ui.tray import InAppBanner, TrayNotifier, app_icon

STATUS_TEXT = {"online": "● Online", "offline": "○ Offline", "syncing": "↻ Syncing"}


class MainWindow(QMainWindow):
    sign_out_requested = Signal(bool)  # remove the local copy
    switch_business = Signal(str)
    closed_by_user = Signal()  # the person closed the window: the app ends

    def __init__(
        self,
        session: Any,
        settings: QSettings | None = None,
        admin_console: Callable[[], QWidget] | None = None,
    ) -> None:
        """``admin_console`` makes the super-admin console when its entry is first chosen
        (only for an account that is both a business member and a super-admin)."""
        super().__init__()
        self.session = session
        # Show the local copy first: the sync (and its imports) starts after the first inbox
        # read has answered, or after a second.
        session.read_before_sync_s = 1.0
        self.settings = settings or QSettings("LeadFlow", "LeadFlow")
        self.quitting = False
        account = session.account
        self.setWindowTitle(f"LeadFlow — {account.business.name if account.business else ''}")
        self.setWindowIcon(app_icon())
        self.banner = InAppBanner()
        self.notifier = TrayNotifier(self.banner, self)
        self.inbox = InboxPage(session, self.settings)
        self.overview = OverviewPage(session, self.open_lead)
        self.messages = MessagesPage(session)
        self.follow_ups = FollowUpsPage(session, self.open_lead)
        self.form_page = FormPage(session)
        self.settings_page = SettingsPage(session, self.settings)
        self.pages = [
            ("Overview", self.overview),
            ("Leads", self.inbox),
            ("Messages", self.messages),
            ("Follow-ups", self.follow_ups),
            ("My form", self.form_page),
            ("Settings", self.settings_page),
        ]
        self.nav = QListWidget()
        self.nav.setMaximumWidth(170)
        self.stack = QStackedWidget()
        for label, page in self.pages:
            self.nav.addItem(label)
            self.stack.addWidget(page)
        self.admin_console: QWidget | None = None
        self._make_admin_console = admin_console
        self.admin_row = -1
        if admin_console is not None:
            self.admin_row = self.nav.count()
            self.nav.addItem("Admin console")
            self.stack.addWidget(QWidget())  # replaced by the console when first shown
        self.outbox = OutboxPanel(session)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(4, 4, 4, 4)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.stack, 1)
        centre_layout.addWidget(self.outbox)
        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(centre)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([self.nav.maximumWidth(), 1100])  # no gap right of the navigation
        self.setCentralWidget(splitter)
        self._build_toolbar()
        self.status_label = QLabel(STATUS_TEXT["offline"])
        self.last_sync = QLabel("")
        self.unread_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        bar = self.statusBar()
        bar.addWidget(self.status_label)
        bar.addWidget(self.last_sync)
        bar.addWidget(self.progress)
        bar.addPermanentWidget(self.unread_label)
        self.nav.currentRowChanged.connect(self._show_page)
        session.status_changed.connect(self._on_status)
        session.progress.connect(self._on_progress)
        session.unread_changed.connect(self._on_unread)
        session.notify.connect(self.notifier.show)
        self.notifier.open_lead.connect(self.open_lead)
        self.notifier.show_window.connect(self.bring_to_front)
        for keys, slot in (
            ("Ctrl+F", self.find),
            ("Ctrl+N", self.inbox.next_unread),
            ("Ctrl+R", self.reply),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 780)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        row = int(str(self.settings.value("window/page", 1)))
        self.nav.setCurrentRow(row if 0 <= row < self.nav.count() else 1)

    def load(self) -> None:
        """Fill the pages from the local copy (call once the session has started: the
        session drops requests made before)."""
        if self.nav.currentRow() != self.admin_row:
            self._show_page(self.nav.currentRow())
        if self.stack.currentWidget() is not self.inbox:
            self.inbox.refresh()  # the inbox is the page notifications and shortcuts open

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        self.business_box = QComboBox()
        for ref in self.session.account.businesses:
            self.business_box.addItem(ref.name, ref.id)
        current = self.session.account.business
        if current is not None:
            self.business_box.setCurrentIndex(self.business_box.findData(current.id))
        self.business_box.setVisible(len(self.session.account.businesses) > 1)
        self.business_box.activated.connect(
            lambda i: self.switch_business.emit(self.business_box.itemData(i))
        )
        toolbar.addWidget(self.business_box)
        self.sync_action = QAction("Sync now", self)
        self.sync_action.triggered.connect(self.session.sync_now)
        toolbar.addAction(self.sync_action)
        self.sign_out_action = QAction("Sign out", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.sign_out_action.setToolTip("Sign out (Ctrl+Shift+L)")
        self.sign_out_action.triggered.connect(self.ask_sign_out)
        toolbar.addAction(self.sign_out_action)

    # -- navigation -----------------------------------------------------------------------------

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        if row == self.admin_row:
            self.show_admin_console()
            return
        self.stack.setCurrentIndex(row)
        page = self.pages[row][1]
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            refresh()

    def show_page(self, widget: QWidget) -> None:
        self.nav.setCurrentRow([p for _, p in self.pages].index(widget))

    def show_admin_console(self) -> QWidget | None:
        if self._make_admin_console is None:
            return None
        if self.admin_console is None:
            placeholder = self.stack.widget(self.admin_row)
            self.admin_console = self._make_admin_console()
            self.stack.insertWidget(self.admin_row, self.admin_console)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
        self.stack.setCurrentWidget(self.admin_console)
        if self.nav.currentRow() != self.admin_row:
            self.nav.setCurrentRow(self.admin_row)
        return self.admin_console

    def open_lead(self, lead_id: str) -> None:
        self.bring_to_front()
        self.show_page(self.inbox)
        self.inbox.open_lead(lead_id)

    def find(self) -> None:
        self.show_page(self.inbox)
        self.inbox.focus_search()

    def reply(self) -> None:
        self.show_page(self.inbox)
        self.inbox.detail.reply_focus()

    def bring_to_front(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    # -- status ---------------------------------------------------------------------------------

    def _on_status(self, status: str, last: datetime | None) -> None:
        self.status_label.setText(STATUS_TEXT.get(status, status))
        if last is not None:
            self.last_sync.setText(f"Last sync {last.astimezone().strftime('%H:%M:%S')}")
        if status != "syncing":
            self.progress.hide()

    def _on_progress(self, done: int, target: int) -> None:
        if target > done:
            self.progress.setRange(0, target)
            self.progress.setValue(done)
            self.progress.show()
        else:
            self.progress.hide()

    def _on_unread(self, count: int) -> None:
        self.unread_label.setText(f"{count} unread" if count else "")
        self.notifier.set_unread(count)

    # -- leaving --------------------------------------------------------------------------------

    def ask_sign_out(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Sign out",
            "Sign out of LeadFlow on this computer?",
            parent=self,
        )
        keep = box.addButton("Sign out, keep the local copy", QMessageBox.ButtonRole.AcceptRole)
        remove = box.addButton(
            "Sign out and remove the local copy", QMessageBox.ButtonRole.DestructiveRole
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() in (keep, remove):
            self.sign_out_requested.emit(box.clickedButton() is remove)

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/page", self.nav.currentRow())

    def confirm_quit(self) -> bool:
        queued = self.session.queued_count
        if not queued:
            return True
        answer = QMessageBox.question(
            self,
            "Changes not sent yet",
            f"{queued} change(s) have not reached the server yet. They are kept and will be "
            "sent the next time LeadFlow starts. Quit now?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        if (
            not self.quitting
            and self.notifier.has_tray
            and setting_on(self.settings, "close_to_tray")
        ):
            event.ignore()
            self.hide()
            return
        if not self.quitting and not self.confirm_quit():
            event.ignore()
            return
        self.notifier.hide()
        event.accept()
        if not self.quitting:
            self.closed_by_user.emit()

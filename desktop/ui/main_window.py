"""The main window: pages, sync status, outbox, notifications, shortcuts, remembered state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.follow_ups import FollowUpsPage
from desktop.ui.form_page import FormPage
from desktop.ui.icons import icon
from desktop.ui.inbox import InboxPage
from desktop.ui.messages_page import MessagesPage
from desktop.ui.outbox_panel import OutboxPanel
from desktop.ui.overview import OverviewPage
from desktop.ui.settings_page import SettingsPage, setting_on
from desktop.ui.shortcuts import ShortcutsSheet
from desktop.ui.theme import GRID
from desktop.ui.tray import InAppBanner, TrayNotifier, app_icon

NAV_WIDTH = 184
ICONS_AT_THE_LATEST_MS = 1500  # if the inbox has not answered by then
DEFAULT_SIZE = (1200, 780)  # the first start's window; later starts restore the last one

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
            ("Overview", "overview", self.overview),
            ("Leads", "leads", self.inbox),
            ("Messages", "messages", self.messages),
            ("Follow-ups", "follow_ups", self.follow_ups),
            ("My form", "form", self.form_page),
            ("Settings", "settings", self.settings_page),
        ]
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Pages")
        self.nav.setFixedWidth(NAV_WIDTH)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.stack = QStackedWidget()
        for number, (label, _icon, page) in enumerate(self.pages):
            item = QListWidgetItem(label)
            item.setToolTip(f"{label} (Ctrl+{number + 1})")
            self.nav.addItem(item)
            self.stack.addWidget(page)
        self.admin_console: QWidget | None = None
        self._make_admin_console = admin_console
        self.admin_row = -1
        if admin_console is not None:
            self.admin_row = self.nav.count()
            self.nav.addItem(QListWidgetItem("Admin console"))
            self.stack.addWidget(QWidget())  # replaced by the console when first shown
        self.outbox = OutboxPanel(session)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(4 * GRID, 4 * GRID, 4 * GRID, 2 * GRID)
        centre_layout.setSpacing(2 * GRID)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.stack, 1)
        centre_layout.addWidget(self.outbox)
        product = QLabel("LeadFlow")
        product.setProperty("role", "title")
        business = QLabel(account.business.name if account.business else "")
        business.setTextFormat(Qt.TextFormat.PlainText)
        business.setProperty("role", "caption")
        business.setWordWrap(True)
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        sidebar_layout = QVBoxLayout(sidebar)
        sidebar_layout.setContentsMargins(3 * GRID, 4 * GRID, 2 * GRID, 2 * GRID)
        sidebar_layout.setSpacing(GRID)
        sidebar_layout.addWidget(product)
        sidebar_layout.addWidget(business)
        sidebar_layout.addSpacing(2 * GRID)
        sidebar_layout.addWidget(self.nav, 1)
        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        body_layout.addWidget(sidebar)
        body_layout.addWidget(centre, 1)
        self.setCentralWidget(body)
        self._build_toolbar()
        self._build_menus()
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
        self.icons_shown = False
        session.inbox_ready.connect(lambda _window: QTimer.singleShot(0, self._show_icons))
        QTimer.singleShot(ICONS_AT_THE_LATEST_MS, self._show_icons)
        session.status_changed.connect(self._on_status)
        session.progress.connect(self._on_progress)
        session.unread_changed.connect(self._on_unread)
        session.notify.connect(self.notifier.show)
        self.notifier.open_lead.connect(self.open_lead)
        self.notifier.show_window.connect(self.bring_to_front)
        for keys, _text, slot in self.shortcut_slots():
            QShortcut(QKeySequence(keys), self, activated=slot)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(*DEFAULT_SIZE)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        row = int(str(self.settings.value("window/page", 1)))
        self.nav.setCurrentRow(row if 0 <= row < self.nav.count() else 1)

    def shortcut_slots(self) -> list[tuple[str, str, Callable[[], None]]]:
        """Every keyboard shortcut of the window: keys, what it does, and its slot (the
        Help → Keyboard shortcuts sheet lists the same)."""
        pages: list[tuple[str, str, Callable[[], None]]] = [
            (f"Ctrl+{n + 1}", f"Go to {label}", lambda n=n: self.nav.setCurrentRow(n))
            for n, (label, _icon, _page) in enumerate(self.pages)
        ]
        return [
            ("Ctrl+F", "Search leads", self.find),
            ("F5", "Sync now", self.session.sync_now),
            ("Ctrl+N", "Open the next unread lead", self.inbox.next_unread),
            ("Ctrl+R", "Reply to the open lead", self.reply),
            ("Ctrl+Shift+F", "Schedule a follow-up for the open lead", self.schedule_follow_up),
            *pages,
        ]

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "icons_shown", False):
            self._tint_icons()
        super().changeEvent(event)

    def _show_icons(self) -> None:
        """The icons, once the inbox has painted: loading the icon font costs a few hundred
        milliseconds that the first paint does not wait for (``docs/BENCHMARKS.md``)."""
        if not self.icons_shown:
            self.icons_shown = True
            self._tint_icons()

    def _tint_icons(self) -> None:
        """Icons are drawn in the palette's colours: a theme switch redraws them."""
        for number, (_label, name, _page) in enumerate(self.pages):
            item = self.nav.item(number)
            if item is not None:
                item.setIcon(icon(name))
        if self.admin_row >= 0 and (item := self.nav.item(self.admin_row)) is not None:
            item.setIcon(icon("admin"))
        for action, name in (
            (self.sync_action, "sync"),
            (self.sign_out_action, "sign_out"),
            (self.shortcuts_action, "keyboard"),
        ):
            action.setIcon(icon(name))

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
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.sync_action = QAction("Sync now", self)
        self.sync_action.setToolTip("Fetch what changed on the server now (F5)")
        self.sync_action.triggered.connect(self.session.sync_now)
        toolbar.addAction(self.sync_action)
        self.sign_out_action = QAction("Sign out", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.sign_out_action.setToolTip("Sign out (Ctrl+Shift+L)")
        self.sign_out_action.triggered.connect(self.ask_sign_out)
        toolbar.addAction(self.sign_out_action)

    def _build_menus(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("Keyboard shortcuts", self)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)

    def show_shortcuts(self) -> QDialog:
        """The sheet of every shortcut (Help → Keyboard shortcuts, or F1); not modal."""
        sheet = ShortcutsSheet(
            [(keys, text) for keys, text, _slot in self.shortcut_slots()]
            + [
                ("Ctrl+Enter", "Send the reply being written"),
                ("Ctrl+Shift+L", "Sign out"),
                ("F1", "This sheet"),
            ],
            self,
        )
        sheet.show()
        return sheet

    # -- navigation -----------------------------------------------------------------------------

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        if row == self.admin_row:
            self.show_admin_console()
            return
        self.stack.setCurrentIndex(row)
        page = self.pages[row][2]
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            refresh()

    def show_page(self, widget: QWidget) -> None:
        self.nav.setCurrentRow([p for _, _, p in self.pages].index(widget))

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

    def schedule_follow_up(self) -> None:
        self.show_page(self.inbox)
        if self.inbox.detail.follow_button.isEnabled():  # a lead is open and can be followed up
            self.inbox.detail.schedule_follow_up()

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

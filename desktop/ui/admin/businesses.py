"""Businesses: the paged table with search and status filter, and the row actions (edit, copy
the form link, resend the invite, pause or activate, archive)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QPushButton, QWidget

from desktop.ui.admin.common import Dialogs, words
from desktop.ui.admin.table import ListPage, RecordTableModel, iso, when
from shared.models.enums import BusinessStatus
from shared.models.enums import label as label_of

STATUSES = ["pending", "active", "paused", "archived"]


class BusinessModel(RecordTableModel):
    NAME, STATUS, INDUSTRY, CONTACT, FORM, AUTO_REPLY, CREATED = range(7)
    HEADERS = ("Business", "Status", "Industry", "Contact", "Form", "Smart auto-reply", "Created")
    STATUS_COLUMN = STATUS

    def display(self, row: Any, column: int) -> str:
        values = (
            row.name,
            label_of(BusinessStatus, row.status, words(row.status)),
            row.industry or "",
            row.contact_email,
            f"/forms/{row.form_slug}" if row.form_slug else "no form",
            "On" if row.smart_auto_reply else "Off",
            when(row.created_at),
        )
        return values[column]

    def sort_value(self, row: Any, column: int) -> Any:
        return iso(row.created_at) if column == self.CREATED else super().sort_value(row, column)

    def tooltip(self, row: Any, column: int) -> str | None:
        return row.form_url if column == self.FORM else None


class BusinessesPage(ListPage):
    KIND = "businesses"
    MODEL = BusinessModel
    SEARCH_HINT = "Search name, slug or contact email…"
    edit_requested = Signal(str)
    create_requested = Signal()

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self.dialogs = dialogs
        self.status_box = QComboBox()
        self.status_box.setAccessibleName("Status")
        self.status_box.addItem("Any status", "")
        for status in STATUSES:
            self.status_box.addItem(words(status), status)
        self.status_box.currentIndexChanged.connect(lambda _: self.reload())
        self.filters.addWidget(self.status_box)
        new = QPushButton("New business…")
        new.clicked.connect(self.create_requested.emit)
        self.filters.addWidget(new)
        self.actions: dict[str, QAction] = {}
        for key, label, slot in (
            ("edit", "Edit…", self.edit),
            ("copy_link", "Copy form link", self.copy_link),
            ("resend", "Resend invite", self.resend_invite),
            ("pause", "Pause", self.toggle_pause),
            ("archive", "Archive…", self.archive),
        ):
            action = QAction(label, self)
            action.triggered.connect(slot)
            self.actions[key] = action
        self.row_buttons: list[QPushButton] = []
        for key in ("edit", "copy_link", "resend", "pause", "archive"):
            button = QPushButton(self.actions[key].text())
            button.clicked.connect(self.actions[key].trigger)
            self.row_buttons.append(button)
        row_bar = QWidget()
        row_layout = QHBoxLayout(row_bar)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addStretch(1)
        for button in self.row_buttons:
            row_layout.addWidget(button)
        self.layout_.insertWidget(1, row_bar)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.activated.connect(lambda _: self.edit())  # Enter or a double click
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        service.business_saved.connect(self._on_saved)
        service.done.connect(self._on_done)
        service.failed.connect(self._on_action_failed)
        self._update_actions()

    def row_actions(self) -> list[QWidget]:
        return list(self.row_buttons)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "status": self.status_box.currentData()}

    def after_load(self, page: Any) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.selected_row()
        for action in self.actions.values():
            action.setEnabled(row is not None)
        if row is not None:
            self.actions["copy_link"].setEnabled(bool(row.form_url))
            self.actions["pause"].setText("Activate" if row.status != "active" else "Pause")
            self.actions["archive"].setEnabled(row.status != "archived")
        for button, key in zip(
            self.row_buttons, ("edit", "copy_link", "resend", "pause", "archive"), strict=True
        ):
            button.setText(self.actions[key].text())
            button.setEnabled(self.actions[key].isEnabled())

    def _menu(self, position: Any) -> None:
        if self.selected_row() is None:
            return
        menu = QMenu(self)
        for action in self.actions.values():
            menu.addAction(action)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def select_business(self, business_id: str) -> bool:
        for number, row in enumerate(self.model.rows):
            if str(row.id) == business_id:
                self.view.selectRow(self.proxy.mapFromSource(self.model.index(number, 0)).row())
                return True
        return False

    # -- row actions ------------------------------------------------------------------------------

    def edit(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.edit_requested.emit(str(row.id))

    def copy_link(self) -> None:
        row = self.selected_row()
        if row is not None and row.form_url:
            QGuiApplication.clipboard().setText(row.form_url)
            self.status.info(f"Copied {row.form_url}")

    def resend_invite(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.service.resend_invite(str(row.id))

    def toggle_pause(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.status == "active":
            question = (
                f"Pause {row.name}? Its public form stops taking requests at once; "
                "its data and its owner's sign-in stay."
            )
            if self.dialogs.confirm(self, "Pause business", question):
                self.service.set_status(str(row.id), "paused")
        else:
            self.service.set_status(str(row.id), "active")

    def archive(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        question = (
            f"Archive {row.name}? Its form goes offline and its owner can no longer "
            "sign in to it. The data is kept; you can activate it again later."
        )
        if self.dialogs.confirm(self, "Archive business", question):
            self.service.set_status(str(row.id), "archived")

    def _on_saved(self, action: str, business: Any) -> None:
        self.model.replace_row(str(business.id), business)
        self._update_actions()
        if action == "status":
            self.status.info(f"{business.name} is now {words(business.status).lower()}.")

    def _on_done(self, action: str, message: str) -> None:
        if action == "resend_invite" and self.isVisible():
            self.status.info(message)

    def _on_action_failed(self, action: str, error: Any) -> None:
        if action in ("set_status", "resend_invite") and self.isVisible():
            self.status.error(error)

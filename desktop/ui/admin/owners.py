"""Owners: every owner and staff account by business membership; resend invite, deactivate and
reactivate."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QPushButton, QWidget

from desktop.ui.admin.common import Dialogs, words
from desktop.ui.admin.records import BusinessCombo
from desktop.ui.admin.table import ListPage, RecordTableModel, iso, when
from shared.models.enums import BusinessStatus, MemberRole
from shared.models.enums import label as label_of


class OwnerModel(RecordTableModel):
    NAME, EMAIL, ROLE, STATUS, BUSINESS, LAST_LOGIN, CREATED = range(7)
    HEADERS = ("Name", "Email", "Role", "Account", "Business", "Last sign-in", "Created")
    STATUS_COLUMN = STATUS

    def display(self, row: Any, column: int) -> str:
        values = (
            row.full_name,
            row.email,
            label_of(MemberRole, row.role, words(row.role)),
            words(row.status),
            f"{row.business_name} ({label_of(BusinessStatus, row.business_status, 'unknown')})",
            when(row.last_login_at) or "never",
            when(row.created_at),
        )
        return values[column]

    def sort_value(self, row: Any, column: int) -> Any:
        if column == self.LAST_LOGIN:
            return iso(row.last_login_at)
        if column == self.CREATED:
            return iso(row.created_at)
        return super().sort_value(row, column)


class OwnersPage(ListPage):
    KIND = "owners"
    MODEL = OwnerModel
    SEARCH_HINT = "Search name or email…"

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self.dialogs = dialogs
        self.business = BusinessCombo(service)
        self.business.setAccessibleName("Business")
        self.business.currentIndexChanged.connect(lambda _: self.reload())
        self.status_box = QComboBox()
        self.status_box.setAccessibleName("Account status")
        for label, value in (
            ("Any account", ""),
            ("Invited", "invited"),
            ("Active", "active"),
            ("Deactivated", "deactivated"),
        ):
            self.status_box.addItem(label, value)
        self.status_box.currentIndexChanged.connect(lambda _: self.reload())
        self.filters.addWidget(self.business)
        self.filters.addWidget(self.status_box)
        self.resend = QPushButton("Resend invite")
        self.resend.clicked.connect(self.resend_invite)
        self.toggle = QPushButton("Deactivate…")
        self.toggle.clicked.connect(self.toggle_active)
        self.filters.addWidget(self.resend)
        self.filters.addWidget(self.toggle)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        service.done.connect(self._on_done)
        service.failed.connect(self._on_action_failed)
        self._update()

    def row_actions(self) -> list[QWidget]:
        return [self.resend, self.toggle]

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "business_id": self.business.currentData(),
            "status": self.status_box.currentData(),
        }

    def refresh(self) -> None:
        self.business.refresh()
        super().refresh()

    def after_load(self, page: Any) -> None:
        self._update()

    def _update(self) -> None:
        row = self.selected_row()
        self.resend.setEnabled(row is not None and row.status == "invited")
        self.toggle.setEnabled(row is not None)
        active = row is None or row.status != "deactivated"
        self.toggle.setText("Deactivate…" if active else "Reactivate")

    def resend_invite(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.service.owner_action(str(row.user_id), "resend-invite")

    def toggle_active(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.status == "deactivated":
            self.service.owner_action(str(row.user_id), "reactivate")
            return
        question = (
            f"Deactivate {row.full_name or row.email}? The account is signed out "
            "everywhere at once and cannot sign in until it is reactivated."
        )
        if self.dialogs.confirm(self, "Deactivate account", question):
            self.service.owner_action(str(row.user_id), "deactivate")

    def _on_done(self, action: str, message: str) -> None:
        if action.startswith("owner_"):
            self.status.info(message)
            self.refresh()

    def _on_action_failed(self, action: str, error: Any) -> None:
        if action.startswith("owner_"):
            self.status.error(error)

"""Automations: every business's switches as checkboxes; a toggle shows its progress in its row
and the server's error there if it fails (the box then goes back to what the server has)."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop.ui.admin.common import error_text, words
from desktop.ui.admin.table import Index, ListPage, RecordTableModel
from shared.models.enums import BusinessStatus
from shared.models.enums import label as label_of

SWITCHES = {
    "smart_auto_reply": "Smart auto-reply",
    "owner_approval_required": "Owner approval",
    "form_active": "Form active",
}


class AutomationModel(RecordTableModel):
    BUSINESS, STATUS, AUTO_REPLY, APPROVAL, FORM, THRESHOLD, LEADS, STATE = range(8)
    HEADERS = (
        "Business",
        "Status",
        "Smart auto-reply",
        "Owner approval",
        "Form active",
        "Threshold",
        "Leads",
        "",
    )
    STATUS_COLUMN = STATUS
    FIELDS: ClassVar[dict[int, str]] = {
        AUTO_REPLY: "smart_auto_reply",
        APPROVAL: "owner_approval_required",
        FORM: "form_active",
    }

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.pending: dict[str, str] = {}  # business id → field being saved
        self.errors: dict[str, str] = {}  # business id → the last failure, in words
        self.on_toggle: Any = None

    def set_rows(self, rows: list[Any]) -> None:
        super().set_rows(rows)
        self.errors.clear()

    def display(self, row: Any, column: int) -> str:
        key = str(row.business_id)
        if column == self.STATE:
            if key in self.pending:
                return f"Saving {SWITCHES[self.pending[key]].lower()}…"
            return self.errors.get(key, "")
        if column in self.FIELDS:
            return ""
        values = {
            self.BUSINESS: row.business_name,
            self.STATUS: label_of(BusinessStatus, row.business_status, words(row.business_status)),
            self.THRESHOLD: f"{row.auto_reply_threshold:.2f}",
            self.LEADS: str(row.lead_count),
        }
        return values[column]

    def sort_value(self, row: Any, column: int) -> Any:
        if column == self.LEADS:
            return row.lead_count
        if column in self.FIELDS:
            return int(bool(getattr(row, self.FIELDS[column])))
        return super().sort_value(row, column)

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if not index.isValid() or index.column() not in self.FIELDS:
            return flags
        row = self.rows[index.row()]
        if str(row.business_id) in self.pending or (
            index.column() == self.FORM and row.form_active is None
        ):
            return flags & ~Qt.ItemFlag.ItemIsEnabled
        return flags | Qt.ItemFlag.ItemIsUserCheckable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid():
            row, column = self.rows[index.row()], index.column()
            if role == Qt.ItemDataRole.CheckStateRole and column in self.FIELDS:
                value = getattr(row, self.FIELDS[column])
                if value is None:
                    return None
                return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.ForegroundRole and column == self.STATE:
                return QBrush(
                    QColor("#b91c1c" if str(row.business_id) in self.errors else "#6b7280")
                )
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() not in self.FIELDS:
            return False
        row = self.rows[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        key, field = str(row.business_id), self.FIELDS[index.column()]
        self.pending[key] = field
        self.errors.pop(key, None)
        self._changed(index.row())
        if self.on_toggle is not None:
            self.on_toggle(key, {field: checked})
        return True

    def _changed(self, number: int) -> None:
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(self.HEADERS) - 1))

    def saved(self, business_id: str, row: Any) -> None:
        self.pending.pop(business_id, None)
        self.replace_row(business_id, row, attr="business_id")

    def failed(self, business_id: str, error: Any) -> None:
        self.pending.pop(business_id, None)
        self.errors[business_id] = error_text(error)
        for number, row in enumerate(self.rows):
            if str(row.business_id) == business_id:
                self._changed(number)

    def row_number(self, business_id: str) -> int:
        for number, row in enumerate(self.rows):
            if str(row.business_id) == business_id:
                return number
        return -1

    def check_index(self, business_id: str, field: str) -> QModelIndex:
        column = {v: k for k, v in self.FIELDS.items()}[field]
        return self.index(self.row_number(business_id), column)


class AutomationsPage(ListPage):
    KIND = "automations"
    MODEL = AutomationModel
    SEARCH_HINT = "Search business name…"

    def __init__(self, service: Any, parent: Any = None) -> None:
        super().__init__(service, parent)
        self.model.on_toggle = service.update_automation
        service.automation_saved.connect(self.model.saved)
        service.automation_failed.connect(self.model.failed)

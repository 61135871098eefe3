"""Qt table models over query rows, with named columns and a sort proxy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.queries import LeadRow
from desktop.ui.table_base import RowsTableModel

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

COMM_LABELS = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "ai_replied": "AI replied",
    "owner_replied": "Replied",
}
COMM_COLOURS = {
    "new": "#d9534f",
    "acknowledged": "#f0ad4e",
    "ai_replied": "#5bc0de",
    "owner_replied": "#5cb85c",
}
URGENCY_ORDER = {"high": 0, "normal": 1, "low": 2}


def short_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%d %b %Y")


class LeadTableModel(RowsTableModel):
    STATUS, COMM, URGENCY, NAME, SERVICE, TIME = range(6)
    HEADERS = ("Status", "Reply", "Urgency", "Name", "Service", "Received")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[LeadRow] = []
        self.sort_column = self.TIME
        self.sort_order = Qt.SortOrder.DescendingOrder

    def set_rows(self, rows: list[LeadRow]) -> None:
        self.beginResetModel()
        self.rows = self._sorted(rows)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort here, with one key per row (``sorted`` in C): a sort proxy would call ``data``
        from C++ for every comparison, seconds for 20,000 rows."""
        self.sort_column, self.sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        self.rows = self._sorted(self.rows)
        self.layoutChanged.emit()

    def _sorted(self, rows: list[LeadRow]) -> list[LeadRow]:
        column = self.sort_column
        if column == self.TIME:
            key: Any = _created
        elif column == self.URGENCY:
            key = _urgency
        else:
            key = lambda row: (self._display(row, column) or "").lower()  # noqa: E731
        return sorted(rows, key=key, reverse=self.sort_order == Qt.SortOrder.DescendingOrder)

    def row_of(self, lead_id: str) -> int:
        for number, row in enumerate(self.rows):
            if row.id == lead_id:
                return number
        return -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            if column == self.TIME:
                return row.created_at
            if column == self.URGENCY:
                return URGENCY_ORDER.get(row.urgency or "normal", 1)
            return (self._display(row, column) or "").lower()
        if role == Qt.ItemDataRole.FontRole and row.unread:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COMM:
            return QBrush(QColor(COMM_COLOURS.get(row.comm_status, "#888888")))
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == self.URGENCY
            and row.urgency == "high"
        ):
            return QBrush(QColor("#d9534f"))
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME:
            return row.customer_email or ""
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and row.unread:
            return "unread"
        return None

    def _display(self, row: LeadRow, column: int) -> str:
        if column == self.STATUS:
            return ("● " if row.unread else "") + row.status.replace("_", " ").capitalize()
        if column == self.COMM:
            return COMM_LABELS.get(row.comm_status, row.comm_status)
        if column == self.URGENCY:
            return (row.urgency or "").capitalize()
        if column == self.NAME:
            return row.customer_name
        if column == self.SERVICE:
            return row.service_needed or ""
        return short_time(row.created_at)


def _created(row: LeadRow) -> str:
    return row.created_at


def _urgency(row: LeadRow) -> int:
    return URGENCY_ORDER.get(row.urgency or "normal", 1)


class LeadSortProxy(QSortFilterProxyModel):
    """The view's model: sorting is passed to ``LeadTableModel.sort`` (fast for 100,000 rows);
    status and text filtering happen in the store (FTS5) before this, so rows map one to one."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

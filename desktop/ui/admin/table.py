"""Table models over admin rows (named column constants, a sort proxy) and the paged list page
every listing of the console is built on: filters → server-side page → model → view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.admin.common import STATUS_COLOURS, StatusLine, when
from desktop.ui.keyboard import tab_order
from desktop.ui.table_base import RowsTableModel

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
PAGE_SIZE = 50
MAX_COLUMN_PX = 320


class RecordTableModel(RowsTableModel):
    """Rows are ``shared.models`` objects; subclasses name their columns and say what each shows."""

    HEADERS: tuple[str, ...] = ()
    STATUS_COLUMN = -1  # coloured by ``STATUS_COLOURS``

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def replace_row(self, key: str, row: Any, attr: str = "id") -> None:
        for number, old in enumerate(self.rows):
            if str(getattr(old, attr)) == key:
                self.rows[number] = row
                self.dataChanged.emit(
                    self.index(number, 0), self.index(number, len(self.HEADERS) - 1)
                )
                return

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == SORT_ROLE:
            value = self.sort_value(row, column)
            return value if value is not None else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATUS_COLUMN:
            colour = STATUS_COLOURS.get(self.display(row, column).lower())
            return QBrush(QColor(colour)) if colour else None
        return None

    def display(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def sort_value(self, row: Any, column: int) -> Any:
        return self.display(row, column).lower()

    def tooltip(self, row: Any, column: int) -> str | None:
        return None


class RecordProxy(QSortFilterProxyModel):
    """Sorts the loaded page by any column; filtering happens on the server."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)


def widgets_of(layout: QLayout) -> list[QWidget]:
    """The widgets of ``layout`` and its nested layouts, in layout order."""
    found: list[QWidget] = []
    for number in range(layout.count()):
        item = layout.itemAt(number)
        if (widget := item.widget()) is not None:
            found.append(widget)
        elif (inner := item.layout()) is not None:
            found.extend(widgets_of(inner))
    return found


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


class Pager(QWidget):
    def __init__(self, on_move: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offset, self.total, self.limit = 0, 0, PAGE_SIZE
        self.label = QLabel("")
        self.previous = QPushButton("‹ Previous")
        self.next = QPushButton("Next ›")
        self.previous.clicked.connect(lambda: on_move(max(self.offset - self.limit, 0)))
        self.next.clicked.connect(lambda: on_move(self.offset + self.limit))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addStretch(1)
        layout.addWidget(self.previous)
        layout.addWidget(self.next)
        self.set_page(0, 0, PAGE_SIZE, 0)

    def set_page(self, offset: int, total: int, limit: int, shown: int) -> None:
        self.offset, self.total, self.limit = offset, total, limit
        first = offset + 1 if shown else 0
        self.label.setText(f"{first}–{offset + shown} of {total}" if total else "Nothing found")
        self.previous.setEnabled(offset > 0)
        self.next.setEnabled(offset + shown < total)


class ListPage(QWidget):
    """A toolbar of filters, the table, a pager and a status line over one admin listing.

    Subclasses set ``KIND`` and ``MODEL``, add widgets to ``self.filters`` and return their
    values from ``params``; changing a filter calls ``reload``.
    """

    KIND = ""
    MODEL: type[RecordTableModel] = RecordTableModel
    SEARCH_HINT = "Search…"

    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.tag = f"page.{self.KIND}"
        self.cached_at: datetime | None = None
        self.loaded_once = False
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.SEARCH_HINT)
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.filters = QHBoxLayout()
        self.filters.addWidget(self.search, 1)
        self.model = self.MODEL(self)
        self.proxy = RecordProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the server's order until a click
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.view.setAccessibleName(self.KIND.replace("_", " ").capitalize() or "Records")
        self.search.setAccessibleName(self.SEARCH_HINT.rstrip("…. "))
        self._tab_ordered = False
        self.view.selectionModel().currentRowChanged.connect(self._choose_current)
        self.pager = Pager(self.load_at)
        self.status = StatusLine()
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(self.filters)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(self.pager)
        service.loaded.connect(self._on_loaded)
        service.load_failed.connect(self._on_failed)

    def showEvent(self, event: QShowEvent) -> None:
        if not self._tab_ordered:
            # Subclasses add their filters after the table exists; Tab still reads the page
            # as it is laid out: the filters row, then the table, then the pager.
            self._tab_ordered = True
            after = self.row_actions()
            tab_order(
                *[w for w in widgets_of(self.filters) if w not in after],
                self.view,
                *after,
                self.pager.previous,
                self.pager.next,
            )
        super().showEvent(event)

    def row_actions(self) -> list[QWidget]:
        """Buttons that act on the chosen row: Tab reaches them after the table (choose, then
        act), wherever they are laid out."""
        return []

    def _choose_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # Tab into the table makes a row current without choosing it; choose it, so a keyboard
        # user sees the row the actions will act on and the actions come alive.
        if current.isValid() and not self.view.selectionModel().hasSelection():
            self.view.selectRow(current.row())

    def params(self) -> dict[str, Any]:
        return {"q": self.search.text().strip()}

    def refresh(self) -> None:
        self.load_at(self.pager.offset)

    def reload(self) -> None:
        self.load_at(0)

    def load_at(self, offset: int) -> None:
        self.service.load(
            self.tag, self.KIND, {**self.params(), "limit": PAGE_SIZE, "offset": offset}
        )

    def selected_row(self) -> Any:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _on_loaded(self, tag: str, page: Any, cached_at: datetime | None) -> None:
        if tag != self.tag:
            return
        self.cached_at = cached_at
        self.loaded_once = True
        self.model.set_rows(page.items)
        self.view.resizeColumnsToContents()
        for column in range(self.model.columnCount()):  # long cells show in full as tooltips
            if self.view.columnWidth(column) > MAX_COLUMN_PX:
                self.view.setColumnWidth(column, MAX_COLUMN_PX)
        self.pager.set_page(page.offset, page.total, page.limit, len(page.items))
        self.status.cached(cached_at)
        self.after_load(page)

    def after_load(self, page: Any) -> None:
        """Hook for pages that show more than the table."""

    def _on_failed(self, tag: str, error: Any) -> None:
        if tag == self.tag:
            self.status.error(error)


__all__ = [
    "PAGE_SIZE",
    "ROW_ROLE",
    "ListPage",
    "Pager",
    "RecordProxy",
    "RecordTableModel",
    "iso",
    "when",
]

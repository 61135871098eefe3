"""Qt table models over query rows, with named columns and a sort proxy."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.queries import LeadRow

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

COMM_LABELS = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "ai_replied": "AI replied",
    "owner_replied": "Replied",
    "customer_replied": "Customer replied",
}
COMM_COLOURS = {
    "new": "#d9534f",
    "acknowledged": "#f0ad4e",
    "ai_replied": "#5bc0de",
    "owner_replied": "#5cb85c",
    "customer_replied": "#9b59b6",
}


@cache
def bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def short_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%d %b %Y")


class LeadTableModel(QAbstractTableModel):
    """The inbox, in windows: ``total`` rows, of which blocks of ``BLOCK`` are loaded when the
    view first needs them (``window_wanted`` asks for one; the page fetches it off the GUI
    thread and hands it to ``add_window``). The next block is asked for before it is reached,
    so scrolling finds its rows loaded. After a refresh the old blocks stay on screen until
    their replacements arrive, so nothing blinks. Sorting happens in the store's query."""

    STATUS, COMM, URGENCY, NAME, SERVICE, TIME = range(6)
    HEADERS = ("Status", "Reply", "Urgency", "Name", "Service", "Received")
    SORT_KEYS = ("status", "comm", "urgency", "name", "service", "time")
    BLOCK = 200

    window_wanted = Signal(int)  # offset of a block that is not loaded
    sort_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.total = 0
        self.blocks: dict[int, list[LeadRow]] = {}
        self.stale: dict[int, list[LeadRow]] = {}
        self.wanted: set[int] = set()
        self.sort_column = self.TIME
        self.sort_order = Qt.SortOrder.DescendingOrder
        self.day = date.today()  # the day the cached cell texts were made

    # -- filling ----------------------------------------------------------------------------

    def set_rows(self, rows: list[LeadRow]) -> None:
        """All rows at once (a short list)."""
        self.reset(len(rows), rows)

    def reset(self, total: int, first: list[LeadRow]) -> None:
        """A new result: ``total`` rows, the first of them in ``first``."""
        old = {**self.stale, **self.blocks}
        if (today := date.today()) != self.day:  # "14:05" today is a date tomorrow
            cell_texts.cache_clear()
            self.day = today
        self.beginResetModel()
        self.total = total
        self.blocks = {}
        self.wanted = set()
        for start in range(0, len(first), self.BLOCK):
            self.blocks[start // self.BLOCK] = first[start : start + self.BLOCK]
        self.stale = {b: rows for b, rows in old.items() if b not in self.blocks}
        self.endResetModel()

    def add_window(self, offset: int, rows: list[LeadRow]) -> None:
        block = offset // self.BLOCK
        self.wanted.discard(block)
        self.stale.pop(block, None)
        self.blocks[block] = rows
        last = min(self.total, offset + self.BLOCK) - 1
        if last >= offset:
            self.dataChanged.emit(self.index(offset, 0), self.index(last, len(self.HEADERS) - 1))

    @property
    def rows(self) -> list[LeadRow]:
        """The loaded rows, in order (all of them for a result of one block)."""
        return [row for block in sorted(self.blocks) for row in self.blocks[block]]

    def loaded(self, first: int, last: int) -> bool:
        """Whether rows ``first``..``last`` are loaded (fresh, not stale)."""
        return all(
            (block := n // self.BLOCK) in self.blocks
            and n - block * self.BLOCK < len(self.blocks[block])
            for n in range(max(0, first), min(self.total, last + 1))
        )

    def row_at(self, number: int) -> LeadRow | None:
        block, at = divmod(number, self.BLOCK)
        rows = self.blocks.get(block)
        # One block ahead in the direction the reader is going, asked for early (a quarter
        # into a block going down) so a fast scroll finds it loaded; the first screen of a
        # result asks for nothing more.
        self._want(block + 1 if at >= self.BLOCK // 4 else block - 1)
        if rows is None:
            self._want(block)
            rows = self.stale.get(block)
        return rows[at] if rows is not None and at < len(rows) else None

    def _want(self, block: int) -> None:
        if (
            0 <= block * self.BLOCK < self.total
            and block not in self.blocks
            and block not in self.wanted
        ):
            self.wanted.add(block)
            self.window_wanted.emit(block * self.BLOCK)

    def row_of(self, lead_id: str) -> int:
        for block, rows in self.blocks.items():
            for at, row in enumerate(rows):
                if row.id == lead_id:
                    return block * self.BLOCK + at
        return -1

    # -- Qt ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if (column, order) != (self.sort_column, self.sort_order):
            self.sort_column, self.sort_order = column, order
            self.sort_changed.emit()

    def sort_key(self) -> str:
        """The store's name of the current order (``desktop.queries.sort_order``)."""
        descending = self.sort_order == Qt.SortOrder.DescendingOrder
        return f"{self.SORT_KEYS[self.sort_column]}:{'desc' if descending else 'asc'}"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every cell on each paint: unknown roles leave at once, and
        # a row's texts are made once (``cell_texts``), not at each paint.
        if role not in ROLES or not index.isValid():
            return None
        row = self.row_at(index.row()) if role == DISPLAY else self._peek(index.row())
        if row is None:
            return None
        column = index.column()
        if role == DISPLAY:
            return cell_texts(row)[column]
        if role == ROW_ROLE:
            return row
        if role == FONT:
            return bold() if row.unread else None
        if role == FOREGROUND:
            colour = cell_colour(row, column)
            return brush(colour) if colour else None
        if role == TOOLTIP:
            return (row.customer_email or "") if column == self.NAME else None
        return "unread" if row.unread else None  # the accessible description

    def _peek(self, number: int) -> LeadRow | None:
        """The row if loaded (or stale), without asking for anything."""
        block, at = divmod(number, self.BLOCK)
        rows = self.blocks.get(block) or self.stale.get(block)
        return rows[at] if rows is not None and at < len(rows) else None


DISPLAY = Qt.ItemDataRole.DisplayRole
FONT = Qt.ItemDataRole.FontRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ROLES = frozenset(
    {DISPLAY, ROW_ROLE, FONT, FOREGROUND, TOOLTIP, Qt.ItemDataRole.AccessibleDescriptionRole}
)


@cache
def brush(colour: str) -> QBrush:
    return QBrush(QColor(colour))


def cell_colour(row: LeadRow, column: int) -> str | None:
    """The text colour of a cell, if it has its own."""
    if column == LeadTableModel.COMM:
        return COMM_COLOURS.get(row.comm_status, "#888888")
    if column == LeadTableModel.URGENCY and row.urgency == "high":
        return "#d9534f"
    return None


@lru_cache(maxsize=4096)
def cell_texts(row: LeadRow) -> tuple[str, ...]:
    """The six cells of an inbox row (``LeadTableModel`` column order)."""
    return (
        ("● " if row.unread else "") + row.status.replace("_", " ").capitalize(),
        COMM_LABELS.get(row.comm_status, row.comm_status),
        (row.urgency or "").capitalize(),
        row.customer_name,
        row.service_needed or "",
        short_time(row.created_at),
    )


class LeadSortProxy(QSortFilterProxyModel):
    """The view's model: sorting is passed to ``LeadTableModel.sort`` (the store sorts);
    status and text filtering happen in the store (FTS5) before this, so rows map one to one."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

"""The leads inbox: status filter, instant search (FTS5 in the store), sortable table, detail."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.queries import InboxWindow, LeadRow
from desktop.ui.lead_delegate import LeadCellDelegate
from desktop.ui.lead_detail import LeadDetailPanel
from desktop.ui.models import ROW_ROLE, LeadSortProxy, LeadTableModel

FILTERS = (
    ("Open", "open"),
    ("All", None),
    ("New", "new"),
    ("Contacted", "contacted"),
    ("Booked", "booked"),
    ("Follow-up", "follow_up"),
    ("Lost", "lost"),
    ("Archived", "archived"),
    ("Spam", "spam"),
    ("Customer replied", "customer_replied"),
)


class InboxPage(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.token = 0
        self.selected_id: str | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, email, phone, service, messages (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.filter = QComboBox()
        for label, value in FILTERS:
            self.filter.addItem(label, value)
        self.count = QLabel("")
        # Wide enough for any count, so a new count never re-lays out the search bar.
        self.count.setMinimumWidth(self.count.fontMetrics().horizontalAdvance("000,000 leads"))
        self.model = LeadTableModel(self)
        self.proxy = LeadSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.delegate = LeadCellDelegate(self.model, self.table)
        self.table.setItemDelegate(self.delegate)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(LeadTableModel.TIME, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setSectionResizeMode(
            LeadTableModel.NAME, QHeaderView.ResizeMode.Stretch
        )
        self.table.setAlternatingRowColors(True)
        self.detail = LeadDetailPanel(session)
        bar = QHBoxLayout()
        bar.addWidget(self.filter)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([540, 660])  # the table's columns readable, the detail roomy
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.filter.currentIndexChanged.connect(lambda _: self.refresh())
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.model.window_wanted.connect(self._want_window)
        self.model.sort_changed.connect(self.refresh)
        session.inbox_ready.connect(self._on_window)
        session.leads_ready.connect(self._on_unread_found)
        # Synced pages come several a second during a bootstrap: one refresh per burst.
        self._changed = QTimer(self)
        self._changed.setSingleShot(True)
        self._changed.setInterval(150)
        self._changed.timeout.connect(self.refresh)
        session.data_changed.connect(lambda _: self._changed.isActive() or self._changed.start())

    def refresh(self) -> None:
        """Ask for the first window of the current filter, search and order."""
        self.token += 1
        self._query(0)

    def _query(self, offset: int) -> None:
        self.session.query_inbox(
            self.token,
            self.filter.currentData(),
            self.search.text(),
            self.model.sort_key(),
            offset,
            self.model.BLOCK,
        )

    def _want_window(self, offset: int) -> None:
        self._query(offset)

    def _on_window(self, window: InboxWindow) -> None:
        if window.token != self.token:
            return  # an older query answered late
        if window.total < 0:
            self.model.add_window(window.offset, window.rows)
            return
        self.model.reset(window.total, window.rows)
        # Lay the view out now, not on a timer after the next paint: that way the new rows
        # cost one paint, not a second one when the scroll range catches up.
        self.table.doItemsLayout()
        self.count.setText(f"{window.total:,} lead{'s' if window.total != 1 else ''}")
        if self.selected_id:
            self._select(self.selected_id, open_it=False)

    def _select(self, lead_id: str, open_it: bool = True) -> None:
        number = self.model.row_of(lead_id)
        if number < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(number, 0))
        selection = self.table.selectionModel()
        selection.blockSignals(not open_it)
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        selection.blockSignals(False)
        self.table.scrollTo(index)

    def _on_current(self, current: Any, _previous: Any) -> None:
        row: LeadRow | None = current.data(ROW_ROLE) if current.isValid() else None
        if row is not None and row.id != self.selected_id:
            self.open_lead(row.id)

    def open_lead(self, lead_id: str) -> None:
        self.selected_id = lead_id
        self._select(lead_id, open_it=False)
        self.detail.show_lead(lead_id)

    NEXT_UNREAD_TOKEN = -2

    def next_unread(self) -> None:
        """The next unread lead after the open one among the loaded rows, else the first
        unread lead of the whole list (asked of the store)."""
        rows = self.model.rows
        start = next((i for i, r in enumerate(rows) if r.id == self.selected_id), -1)
        for row in rows[start + 1 :] + rows[: start + 1]:
            if row.unread and row.id != self.selected_id:
                self.open_lead(row.id)
                return
        self.session.query_leads(
            self.NEXT_UNREAD_TOKEN,
            self.filter.currentData(),
            self.search.text(),
            self.model.sort_key(),
            limit=2,
            unread=True,
        )

    def _on_unread_found(self, token: int, rows: list[LeadRow]) -> None:
        if token != self.NEXT_UNREAD_TOKEN:
            return
        for row in rows:
            if row.id != self.selected_id:
                self.open_lead(row.id)
                return

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

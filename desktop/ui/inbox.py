"""The leads inbox: a mail client's list (two lines per lead, chips, unread in bold) with a
status filter, an order, instant search (FTS5 in the store), and the lead's detail beside it
in resizable panes that remember their sizes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.queries import InboxWindow, LeadRow
from desktop.ui.lead_delegate import LeadCardDelegate
from desktop.ui.lead_detail import LeadDetailPanel
from desktop.ui.models import ROW_ROLE, LeadSortProxy, LeadTableModel
from desktop.ui.theme import GRID, set_role
from desktop.ui.widgets.empty import EmptyState
from shared.models.enums import CommStatus, LeadStatus

FILTERS = (
    ("Open leads", "open"),
    ("All leads", None),
    *((status.label, status.value) for status in LeadStatus),
    (CommStatus.CUSTOMER_REPLIED.label, CommStatus.CUSTOMER_REPLIED.value),
)
# (label, model column, order): the store sorts by the column's key.
ORDERS = (
    ("Newest first", LeadTableModel.TIME, Qt.SortOrder.DescendingOrder),
    ("Oldest first", LeadTableModel.TIME, Qt.SortOrder.AscendingOrder),
    ("Most urgent first", LeadTableModel.URGENCY, Qt.SortOrder.AscendingOrder),
    ("Name A–Z", LeadTableModel.NAME, Qt.SortOrder.AscendingOrder),
)
LIST_MIN_WIDTH = 300  # a name, a time and two chips fit without cutting the name to nothing
EMPTY_INBOX = "No leads yet. They appear here as soon as a customer sends your form."
EMPTY_SEARCH = "No lead matches this search or filter."


class InboxPage(QWidget):
    def __init__(
        self, session: Any, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.token = 0
        self.selected_id: str | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search leads")
        self.search.setToolTip("Search names, e-mails, phones, services and messages (Ctrl+F)")
        self.search.setAccessibleName("Search leads")
        self.search.setClearButtonEnabled(True)
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show")
        for text, value in FILTERS:
            self.filter.addItem(text, value)
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.order = QComboBox()
        self.order.setAccessibleName("Order")
        for text, _column, _order in ORDERS:
            self.order.addItem(text)
        self.order.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.count = set_role(QLabel(""), "caption")
        self.model = LeadTableModel(self)
        self.proxy = LeadSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.list = QListView()
        self.list.setAccessibleName("Leads")
        self.list.setModel(self.proxy)
        self.list.setModelColumn(LeadTableModel.NAME)
        self.delegate = LeadCardDelegate(self.model, self.list)
        self.list.setItemDelegate(self.delegate)
        # Every card has the same height: the view lays out 100,000 rows without asking each.
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setMinimumWidth(LIST_MIN_WIDTH)
        self.empty = EmptyState(self.list, EMPTY_INBOX)
        self.detail = LeadDetailPanel(session)
        bar = QHBoxLayout()
        bar.setSpacing(2 * GRID)
        bar.addWidget(self.filter)
        bar.addWidget(self.order)
        bar.addStretch(1)
        bar.addWidget(self.count)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2 * GRID)
        left_layout.addWidget(self.search)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.empty, 1)
        self.splitter = QSplitter()
        self.splitter.setObjectName("inbox-splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([380, 620])
        saved = settings.value("inbox/splitter") if settings is not None else None
        if saved is not None:
            self.splitter.restoreState(saved)
        self.splitter.splitterMoved.connect(lambda *_: self.save_sizes())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        # Keyboard order: search, what to show, the order, the list, then the open lead.
        for first, then in (
            (self.search, self.filter),
            (self.filter, self.order),
            (self.order, self.list),
            (self.list, self.detail.reply_button),
        ):
            QWidget.setTabOrder(first, then)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.filter.currentIndexChanged.connect(lambda _: self.refresh())
        self.order.currentIndexChanged.connect(self._order_chosen)
        self.list.selectionModel().currentRowChanged.connect(self._on_current)
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

    def save_sizes(self) -> None:
        if self.settings is not None:
            self.settings.setValue("inbox/splitter", self.splitter.saveState())

    def _order_chosen(self, number: int) -> None:
        _text, column, order = ORDERS[number]
        self.model.sort(column, order)

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
        self.list.doItemsLayout()
        self.count.setText(f"{window.total:,} lead{'s' if window.total != 1 else ''}")
        filtered = bool(self.search.text().strip()) or self.filter.currentData() != "open"
        self.empty.set_text(EMPTY_SEARCH if filtered else EMPTY_INBOX)
        if self.selected_id:
            self._select(self.selected_id, open_it=False)

    def _select(self, lead_id: str, open_it: bool = True) -> None:
        number = self.model.row_of(lead_id)
        if number < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(number, LeadTableModel.NAME))
        selection = self.list.selectionModel()
        selection.blockSignals(not open_it)
        selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        selection.blockSignals(False)
        self.list.scrollTo(index)

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

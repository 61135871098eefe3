"""Messages: conversations as cards (latest message first, unread first, searchable) and the
chosen one's thread as a conversation; "Pick a conversation" until one is chosen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.queries import Conversation
from desktop.ui.keyboard import tab_order
from desktop.ui.models import short_time
from desktop.ui.theme import GRID
from desktop.ui.thread_view import ThreadPanel
from desktop.ui.widgets.empty import EmptyState
from desktop.ui.widgets.facts import plain_label

PICK = "Pick a conversation on the left to read it and reply."
NONE_YET = "No conversations yet: they start when a customer writes."
NONE_FOUND = "No conversation matches this search."


class MessagesPage(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search conversations")
        self.search.setAccessibleName("Search conversations")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("cards")
        self.list.setAccessibleName("Conversations")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setWordWrap(False)
        self.list.setSpacing(GRID)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.empty = EmptyState(self.list, NONE_YET)
        self.thread = ThreadPanel(session)
        self.customer = plain_label("", "title")
        conversation = QWidget()
        conversation_layout = QVBoxLayout(conversation)
        conversation_layout.setContentsMargins(0, 0, 0, 0)
        conversation_layout.addWidget(self.customer)
        conversation_layout.addWidget(self.thread, 1)
        self.pick = plain_label(PICK)
        self.pick.setObjectName("empty-state")
        self.pick.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.right = QStackedWidget()
        self.right.addWidget(self.pick)
        self.right.addWidget(conversation)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2 * GRID)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.empty, 1)
        left.setMinimumWidth(280)
        splitter = QSplitter()
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([360, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.list.currentItemChanged.connect(self._on_current)
        tab_order(self.search, self.list, self.thread.view, self.thread.composer.editor)
        session.conversations_ready.connect(self._on_conversations)
        session.data_changed.connect(lambda _: self.refresh() if self.isVisible() else None)

    def refresh(self) -> None:
        self.session.load_conversations(self.search.text())

    @property
    def picking(self) -> bool:
        """Whether the right pane asks the owner to pick a conversation."""
        return self.right.currentWidget() is self.pick

    def _on_conversations(self, items: list[Conversation]) -> None:
        current = self.thread.lead_id
        self.list.blockSignals(True)
        self.list.clear()
        for conversation in items:
            who = "" if conversation.inbound else "You: "
            snippet = " ".join(conversation.snippet.split())
            item = QListWidgetItem(
                f"{conversation.customer_name}   ·   {short_time(conversation.last_at)}\n"
                f"{who}{snippet}"
            )
            item.setData(Qt.ItemDataRole.UserRole, conversation.lead_id)
            item.setToolTip(conversation.customer_name)
            if conversation.unread:
                font = QFont()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
            if conversation.lead_id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.empty.set_text(NONE_FOUND if self.search.text().strip() else NONE_YET)
        self.empty.update_state()

    def _on_current(self, item: QListWidgetItem | None, _previous: Any) -> None:
        if item is None:
            self.show_conversation(None)
            return
        lead_id = item.data(Qt.ItemDataRole.UserRole)
        self.customer.setText(item.toolTip())
        self.session.open_lead(lead_id)
        self.show_conversation(lead_id)

    def show_conversation(self, lead_id: str | None) -> None:
        """Show the thread of ``lead_id``; ``None`` asks the owner to pick one."""
        self.thread.show_lead(lead_id)
        self.right.setCurrentWidget(self.pick if lead_id is None else self.right.widget(1))

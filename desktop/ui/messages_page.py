"""Messages: conversations by latest message, unread first, searchable; the lead's widgets."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.queries import Conversation
from desktop.ui.models import short_time
from desktop.ui.thread_view import ThreadPanel


class MessagesPage(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search conversations")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.thread = ThreadPanel(session)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.list)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.thread)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.list.currentItemChanged.connect(self._on_current)
        session.conversations_ready.connect(self._on_conversations)
        session.data_changed.connect(lambda _: self.refresh() if self.isVisible() else None)

    def refresh(self) -> None:
        self.session.load_conversations(self.search.text())

    def _on_conversations(self, items: list[Conversation]) -> None:
        current = self.thread.lead_id
        self.list.blockSignals(True)
        self.list.clear()
        for conversation in items:
            arrow = "←" if conversation.inbound else "→"
            item = QListWidgetItem(
                f"{conversation.customer_name}  ·  "
                f"{short_time(conversation.last_at)}\n{arrow} "
                f"{conversation.snippet[:80]}"
            )
            item.setData(Qt.ItemDataRole.UserRole, conversation.lead_id)
            if conversation.unread:
                font = QFont()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
            if conversation.lead_id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _on_current(self, item: QListWidgetItem | None, _previous: Any) -> None:
        if item is not None:
            lead_id = item.data(Qt.ItemDataRole.UserRole)
            self.session.open_lead(lead_id)
            self.thread.show_lead(lead_id)

"""What is waiting to reach the server, and what it refused: Retry / Discard for each refusal."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.outbox import OutboxItem
from desktop.ui.widgets.facts import plain_label
from shared.models.enums import FollowUpStatus, LeadStatus, MutationType, label


def describe(item: OutboxItem) -> str:
    """A queued change in words: what it is, and the start of its text or its new status."""
    what = label(MutationType, item.type.value, "Change")
    status = item.payload.get("status")
    detail = (
        item.payload.get("content")
        or (label(LeadStatus, status) or label(FollowUpStatus, status) if status else "")
        or ("new time" if item.payload.get("scheduled_at") else "")
    )
    return f"{what}: {str(detail)[:60]}"


class OutboxPanel(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.summary = QLabel("Nothing waiting.")
        self.list = QListWidget()
        self.list.setMaximumHeight(140)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        session.outbox_changed.connect(self.set_items)
        self.items: list[OutboxItem] = []
        self.setVisible(False)

    def set_items(self, items: list[OutboxItem], queued: int) -> None:
        self.items = items
        rejected = [i for i in items if i.state == "rejected"]
        self.summary.setText(
            f"{queued} change(s) queued — they go out when the server is reachable."
            if queued
            else ""
        )
        if rejected:
            self.summary.setText(self.summary.text() + f"  {len(rejected)} refused by the server.")
        self.list.clear()
        for item in items:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(2, 0, 2, 0)
            text = describe(item) + (f" — refused: {item.error}" if item.error else " — queued")
            line.addWidget(plain_label(text), 1)  # a reply's text is shown as typed
            if item.state == "rejected":
                retry = QPushButton("Retry")
                discard = QPushButton("Discard")
                retry.clicked.connect(lambda _=False, i=item.id: self.session.retry(i))
                discard.clicked.connect(lambda _=False, i=item.id: self.session.discard(i))
                line.addWidget(retry)
                line.addWidget(discard)
            entry = QListWidgetItem(self.list)
            entry.setSizeHint(row.sizeHint())
            self.list.setItemWidget(entry, row)
        self.setVisible(bool(items))

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

LABELS = {
    "reply": "Reply",
    "approve_draft": "Approved reply",
    "set_status": "Status change",
    "add_note": "Note",
    "update_follow_up": "Follow-up change",
}


def describe(item: OutboxItem) -> str:
    what = LABELS.get(item.type.value, item.type.value)
    detail = (
        item.payload.get("content")
        or item.payload.get("status")
        or item.payload.get("scheduled_at")
        or ""
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
            line.addWidget(QLabel(text), 1)
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

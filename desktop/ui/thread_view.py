"""A lead's thread and the composer; the same widgets serve the lead tab and the Messages page."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.queries import ThreadItem
from desktop.ui.models import short_time

WHO = {
    "customer_message": "Customer",
    "acknowledgement": "Acknowledgement",
    "auto_reply": "AI reply",
    "ai_draft": "AI draft (not sent)",
    "owner_reply": "You",
    "follow_up": "Follow-up",
    "note": "Note (internal)",
}
DELIVERY = {
    "queued": "queued",
    "rejected": "not sent",
    "sent": "sent",
    "failed": "failed",
    "received": "",
    "internal": "",
    "bounced": "bounced: the address did not take it",
}
ATTACHMENT_LINK = "attachment:"


class ThreadView(QTextBrowser):
    """Renders a thread; queued and rejected items say so, rejected ones offer their reason.
    A customer's reply shows its files as links (``attachment_clicked``), an unread mark, and
    the address it came from when that is not the lead's."""

    attachment_clicked = Signal(str, str)  # attachment id, file name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.items: list[ThreadItem] = []
        self.anchorClicked.connect(self._on_anchor)

    def _on_anchor(self, url: Any) -> None:
        text = url.toString()
        if not text.startswith(ATTACHMENT_LINK):
            return
        wanted = text.removeprefix(ATTACHMENT_LINK)
        for item in self.items:
            for attachment in item.message.attachments:
                if str(attachment.id) == wanted:
                    self.attachment_clicked.emit(wanted, attachment.filename)
                    return

    def set_items(self, items: list[ThreadItem]) -> None:
        self.items = items
        parts = []
        for item in items:
            message = item.message
            who = WHO.get(message.type.value, message.type.value)
            state = DELIVERY.get(item.delivery, item.delivery)
            badge = f" · <b>{html.escape(state)}</b>" if state else ""
            if item.error:
                badge += f" — {html.escape(item.error)}"
            align = "right" if message.direction.value == "outbound" else "left"
            shade = {
                "inbound": "rgba(128,128,128,0.2)",
                "outbound": "rgba(58,123,213,0.2)",
                "internal": "rgba(240,173,78,0.2)",
            }[message.direction.value]
            body = html.escape(message.content).replace("\n", "<br>")
            if item.unread:
                badge += " · <b>unread</b>"
            if item.other_sender:
                badge += f" · from another address: {html.escape(item.other_sender)}"
            files = "".join(
                f'<br>📎 <a href="{ATTACHMENT_LINK}{a.id}">{html.escape(a.filename)}</a>'
                f" ({file_size(a.size)})"
                for a in message.attachments
            )
            parts.append(
                f'<table width="100%"><tr><td align="{align}">'
                f'<div style="background:{shade}; padding:6px; margin:4px">'
                f"<small>{html.escape(who)} · {short_time(message.created_at.isoformat())}"
                f"{badge}</small><br>{body}{files}</div></td></tr></table>"
            )
        self.setHtml("".join(parts) or "<i>No messages yet.</i>")
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def deliveries(self) -> list[tuple[str, str]]:
        return [(i.message.content, i.delivery) for i in self.items]


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


class Composer(QWidget):
    """Reply box: Ctrl+Enter (or Send) emits ``send`` with the text, then clears."""

    send = Signal(str)
    note = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Write a reply to the customer… (Ctrl+Enter sends)")
        self.editor.setMaximumHeight(110)
        self.send_button = QPushButton("Send")
        self.note_button = QPushButton("Add note")
        self.hint = QLabel("")
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.note_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        layout.addLayout(buttons)
        self.send_button.clicked.connect(self._send)
        self.note_button.clicked.connect(self._note)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.editor)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self._send)

    def _take(self) -> str:
        text = self.editor.toPlainText().strip()
        if text:
            self.editor.clear()
        return text

    def _send(self) -> None:
        text = self._take()
        if text:
            self.send.emit(text)

    def _note(self) -> None:
        text = self._take()
        if text:
            self.note.emit(text)

    def focus(self) -> None:
        self.editor.setFocus()


class ThreadPanel(QWidget):
    """Thread above composer, bound to one lead of a ``Session``."""

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.lead_id: str | None = None
        self.view = ThreadView()
        self.composer = Composer()
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.composer)
        self.composer.send.connect(self._reply)
        self.composer.note.connect(self._note)
        self.view.attachment_clicked.connect(self._download)
        session.attachment_saved.connect(self._saved)
        session.thread_ready.connect(self._on_thread)
        session.data_changed.connect(self._on_data)
        self.setEnabled(False)

    def _on_data(self, changes: Any) -> None:
        if self.lead_id and self.lead_id in getattr(changes, "leads", ()):
            self.session.load_thread(self.lead_id)

    def show_lead(self, lead_id: str | None) -> None:
        self.lead_id = lead_id
        self.setEnabled(lead_id is not None)
        if lead_id is None:
            self.view.set_items([])
        else:
            self.session.load_thread(lead_id)

    def _on_thread(self, lead_id: str, items: list[ThreadItem]) -> None:
        if lead_id == self.lead_id:
            self.view.set_items(items)

    def _download(self, attachment_id: str, filename: str) -> None:
        if self.lead_id:
            self.composer.hint.setText(f"Downloading {filename}…")
            self.session.download_attachment(self.lead_id, attachment_id, filename)

    def _saved(self, path: str) -> None:
        self.composer.hint.setText(f"Saved to {path}")

    def _reply(self, text: str) -> None:
        if self.lead_id:
            self.session.reply(self.lead_id, text)

    def _note(self, text: str) -> None:
        if self.lead_id:
            self.session.add_note(self.lead_id, text)

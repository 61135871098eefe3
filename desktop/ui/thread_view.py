"""A lead's thread and the composer; the same widgets serve the lead tab and the Messages page."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
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
from desktop.ui.keyboard import tab_leaves, tab_order
from desktop.ui.models import short_time
from desktop.ui.theme import is_dark, tone_colours
from shared.models.enums import MessageType, label

# Who wrote each kind of message, as the owner reads it; automatic mails say so.
WHO = {
    "customer_message": "Customer",
    "acknowledgement": "Automatic · acknowledgement",
    "auto_reply": "Automatic · AI reply",
    "ai_draft": "Suggested reply · not sent",
    "owner_reply": "You",
    "follow_up": "Automatic · follow-up",
    "note": "Internal note · only your team sees it",
}
DELIVERY = {
    "queued": "waiting to send",
    "rejected": "not sent",
    "sent": "sent",
    "failed": "not delivered",
    "received": "",
    "internal": "",
    "bounced": "bounced: the address did not take it",
}
# The tone of each side's bubble (``theme.tone_colours``): the customer's grey, yours blue,
# internal notes yellow.
TONE = {"inbound": "grey", "outbound": "blue", "internal": "yellow"}


RESEND = "resend:"  # the link scheme of a message's "Resend" action
ATTACHMENT_LINK = "attachment:"  # the link scheme of a file of a customer's reply


class ThreadView(QTextBrowser):
    """A thread as a conversation: the customer on the left, you on the right, automatic mails
    marked, internal notes visibly internal; queued and rejected items say so, with the reason,
    and a mail that failed or bounced offers "Resend" (emits ``resend`` with the message id).
    A customer's reply shows its files as links (``attachment_clicked``), an unread mark, and
    the address it came from when that is not the lead's. Every message is escaped: a
    customer's text is shown as typed, never as markup."""

    resend = Signal(str)
    attachment_clicked = Signal(str, str)  # attachment id, file name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAccessibleName("Conversation")
        self.items: list[ThreadItem] = []
        self.anchorClicked.connect(self._on_link)

    def _on_link(self, url: QUrl) -> None:
        link = url.toString()
        if link.startswith(RESEND):
            self.resend.emit(link.removeprefix(RESEND))
        elif link.startswith(ATTACHMENT_LINK):
            wanted = link.removeprefix(ATTACHMENT_LINK)
            for item in self.items:
                for attachment in item.message.attachments:
                    if str(attachment.id) == wanted:
                        self.attachment_clicked.emit(wanted, attachment.filename)
                        return

    def set_items(self, items: list[ThreadItem]) -> None:
        self.items = items
        dark = is_dark(self.palette())
        parts = []
        for item in items:
            message = item.message
            direction = message.direction.value
            who = WHO.get(message.type.value, label(MessageType, message.type.value, "Message"))
            state = DELIVERY.get(item.delivery, "")
            meta = f"{html.escape(who)} · {html.escape(short_time(message.created_at.isoformat()))}"
            if state:
                meta += f" · <b>{html.escape(state)}</b>"
            if item.error:
                meta += f" — {html.escape(item.error)}"
            if item.delivery in ("failed", "bounced"):
                meta += f' · <a href="{RESEND}{message.id}">Resend</a>'
            background, foreground = tone_colours(TONE.get(direction, "grey"), dark)
            body = html.escape(message.content).replace("\n", "<br>")
            if item.unread:
                meta += " · <b>unread</b>"
            if item.other_sender:
                meta += f" · from another address: {html.escape(item.other_sender)}"
            files = "".join(
                f'<br>📎 <a href="{ATTACHMENT_LINK}{a.id}">{html.escape(a.filename)}</a>'
                f" ({file_size(a.size)})"
                for a in message.attachments
            )
            bubble = (
                f'<td width="78%" bgcolor="{background.name()}" style="padding:8px">'
                f'<span style="color:{foreground.name()}; font-size:small">{meta}</span><br>'
                f"{body}{files}</td>"
            )
            spacer = '<td width="22%"></td>'
            row = spacer + bubble if direction == "outbound" else bubble + spacer
            parts.append(
                f'<table width="100%" cellspacing="0" cellpadding="0" style="margin:6px 0">'
                f"<tr>{row}</tr></table>"
            )
        self.setHtml("".join(parts) or "<p><i>No messages yet.</i></p>")
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
        self.editor.setAccessibleName("Reply")
        tab_leaves(self.editor)
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("E-mail the reply to the customer (Ctrl+Enter)")
        self.note_button = QPushButton("Save as note")
        self.note_button.setToolTip("Keep the text as an internal note: nothing is e-mailed")
        self.hint = QLabel("")
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.note_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        layout.addLayout(buttons)
        tab_order(self.editor, self.note_button, self.send_button)
        self.send_button.clicked.connect(self._send)
        self.note_button.clicked.connect(self._note)
        self.editor.textChanged.connect(self._enable)
        self._enable()
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.editor)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self._send)

    def _enable(self) -> None:
        written = bool(self.editor.toPlainText().strip())
        self.send_button.setEnabled(written)
        self.note_button.setEnabled(written)

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
        self.view.resend.connect(self._resend)
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

    def _resend(self, message_id: str) -> None:
        if self.lead_id:
            self.session.resend_message(self.lead_id, message_id)

"""The lead detail panel: who and what, the actions that apply (Reply first), and tabs
Request / AI suggestion / Conversation / History. Every customer-supplied text is plain text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.keyboard import no_tab_stop, tab_leaves, tab_order
from desktop.ui.models import local_time
from desktop.ui.theme import GRID, STATUS_TONES, URGENCY_TONES
from desktop.ui.thread_view import ThreadPanel
from desktop.ui.widgets.chip import Chip
from desktop.ui.widgets.empty import EmptyState
from desktop.ui.widgets.facts import Facts, plain_label
from shared.models.enums import (
    AnalysisStatus,
    BlockedTopic,
    CommStatus,
    GateReason,
    Intent,
    LeadStatus,
    Urgency,
    label,
)

if TYPE_CHECKING:
    from desktop.queries import ThreadItem
    from shared.models.inbound import ReplyAddressOut
    from shared.models.leads import LeadDetail, TimelineEvent

ADDRESS_NOTE = (
    "The customer's e-mail answers come back into this thread through the lead's own reply "
    "address. If strangers write to it, replace it."
)

# The statuses the owner sets by hand, in the menu's order; spam has its own button.
STATUS_MENU = (
    LeadStatus.NEW,
    LeadStatus.CONTACTED,
    LeadStatus.BOOKED,
    LeadStatus.FOLLOW_UP,
    LeadStatus.LOST,
    LeadStatus.ARCHIVED,
)


def urgency_text(lead: LeadDetail) -> str:
    """The lead's urgency, from the lead alone (the inbox and the banner read the same)."""
    return f"{lead.urgency.label} urgency" if lead.urgency else ""


def tag_text(tags: list[str]) -> str:
    """The AI's tags in words: a vocabulary value reads as its label, and urgency (shown on
    its own row) is not repeated."""
    words = []
    for tag in tags:
        if tag.startswith("urgency_"):
            continue
        text = label(Intent, tag) or label(BlockedTopic, tag) or tag.replace("_", " ")
        words.append(text[:1].upper() + text[1:])
    return ", ".join(words)


def verdict(lead: LeadDetail) -> str:
    """What happened to the automatic reply, in one sentence (the gate is the one source)."""
    if lead.auto_sent:
        return "Sent automatically."
    gate = lead.gate
    if gate is None:
        return "Not decided yet."
    if gate.allowed:
        return "Allowed to go out automatically."
    reasons = "; ".join(GateReason(r).label for r in gate.reasons)
    return f"Held for you: {reasons}." if reasons else "Held for you."


class FollowUpDialog(QDialog):
    """Asks when to send a follow-up; the time reads in the system locale's format."""

    def __init__(self, parent: QWidget | None = None, start: datetime | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Schedule follow-up")
        first = (
            QDateTime.fromSecsSinceEpoch(int(start.timestamp()))
            if start is not None
            else QDateTime.currentDateTime().addDays(1)
        )
        self.picker = QDateTimeEdit(first)
        self.picker.setDisplayFormat(QLocale().dateTimeFormat(QLocale.FormatType.ShortFormat))
        self.picker.setMinimumDateTime(QDateTime.currentDateTime())
        self.picker.setCalendarPopup(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Schedule")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Send the follow-up e-mail on:"))
        layout.addWidget(self.picker)
        layout.addWidget(buttons)

    def when(self) -> datetime:
        return datetime.fromtimestamp(self.picker.dateTime().toSecsSinceEpoch(), UTC)


class LeadDetailPanel(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.lead: LeadDetail | None = None
        self.sent = False  # the AI draft went out, or its approval is on its way
        self.bounced = False  # the newest mail to the customer bounced
        self.title = plain_label("Choose a lead", "title")
        self.status_chip = Chip()
        self.urgency_chip = Chip()
        self.subtitle = plain_label("", "muted")
        self.notice = plain_label("", "muted")
        self.notice.setWordWrap(True)
        self.notice.hide()
        heading = QHBoxLayout()
        heading.setSpacing(2 * GRID)
        heading.addWidget(self.title, 1)
        heading.addWidget(self.status_chip)
        heading.addWidget(self.urgency_chip)
        # -- actions: Reply first, then what applies to this lead --------------------------
        self.reply_button = QPushButton("Reply")
        self.reply_button.setToolTip("Write to the customer (Ctrl+R)")
        self.reply_button.setDefault(True)
        self.status_button = QToolButton()
        self.status_button.setText("Set status")
        self.status_button.setToolTip("Change the lead's status")
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_menu = QMenu(self.status_button)
        self.status_actions: dict[str, QAction] = {}
        for status in STATUS_MENU:
            action = self.status_menu.addAction(status.label)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, s=status.value: self._set_status(s))
            self.status_actions[status.value] = action
        self.status_button.setMenu(self.status_menu)
        self.spam_button = QPushButton("Spam")
        self.spam_button.setToolTip("Move the lead to Spam")
        self.spam_button.clicked.connect(self._toggle_spam)
        self.note_button = QPushButton("Add note…")
        self.note_button.setToolTip("An internal note: the customer never sees it")
        self.follow_button = QPushButton("Schedule follow-up…")
        actions = QHBoxLayout()
        actions.setSpacing(2 * GRID)
        actions.addWidget(self.reply_button)
        actions.addWidget(self.follow_button)
        actions.addWidget(self.note_button)
        actions.addStretch(1)
        actions.addWidget(self.status_button)
        actions.addWidget(self.spam_button)
        # -- tabs ----------------------------------------------------------------------------
        self.tabs = QTabWidget()
        self.request = plain_label("")
        self.request.setWordWrap(True)
        self.details = Facts()
        self.source = Facts()
        request_page = QWidget()
        request_layout = QVBoxLayout(request_page)
        request_layout.setSpacing(3 * GRID)
        request_layout.addWidget(plain_label("Request", "section"))
        request_layout.addWidget(self.request)
        request_layout.addWidget(plain_label("Details", "section"))
        request_layout.addWidget(self.details)
        request_layout.addWidget(plain_label("Where it came from", "section"))
        request_layout.addWidget(self.source)
        self.address_title = plain_label("Reply address", "section")
        request_layout.addWidget(self.address_title)
        self.address_note = plain_label(ADDRESS_NOTE, "muted")
        self.address_note.setWordWrap(True)
        self.address_button = QPushButton("New reply address…")
        self.address_button.setToolTip(
            "Revoke this lead's reply address (for example when strangers write to it)"
        )
        request_layout.addWidget(self.address_note)
        request_layout.addWidget(self.address_button, 0, Qt.AlignmentFlag.AlignLeft)
        request_layout.addStretch(1)
        self.overview = QScrollArea()
        self.overview.setWidgetResizable(True)
        self.overview.setWidget(request_page)
        self.ai_info = Facts()
        self.draft = QPlainTextEdit()
        self.draft.setAccessibleName("Suggested reply")
        self.approve = QPushButton("Approve && Send")
        self.approve.setToolTip("E-mail the suggested reply, as edited here, to the customer")
        self.copy = QPushButton("Copy")
        self.draft_note = plain_label("", "muted")
        self.draft_note.setWordWrap(True)
        ai_tab = QWidget()
        ai_layout = QVBoxLayout(ai_tab)
        ai_layout.setSpacing(2 * GRID)
        ai_layout.addWidget(self.ai_info)
        ai_layout.addWidget(plain_label("Suggested reply (edit it before sending)", "section"))
        ai_layout.addWidget(self.draft, 1)
        ai_buttons = QHBoxLayout()
        ai_buttons.addWidget(self.draft_note, 1)
        ai_buttons.addWidget(self.copy)
        ai_buttons.addWidget(self.approve)
        ai_layout.addLayout(ai_buttons)
        self.thread = ThreadPanel(session)
        self.timeline = QListWidget()
        self.timeline.setAccessibleName("History")
        self.timeline.setWordWrap(True)
        self.tabs.addTab(self.overview, "Request")
        self.tabs.addTab(ai_tab, "AI suggestion")
        self.tabs.addTab(self.thread, "Conversation")
        self.tabs.addTab(EmptyState(self.timeline, "Nothing has happened yet."), "History")
        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(2 * GRID)
        body_layout.addLayout(heading)
        body_layout.addWidget(self.subtitle)
        body_layout.addLayout(actions)
        body_layout.addWidget(self.notice)
        body_layout.addWidget(self.tabs, 1)
        self.placeholder = plain_label("Pick a lead on the left to see it here.")
        self.placeholder.setObjectName("empty-state")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3 * GRID, 0, 0, 0)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.body, 1)
        self.body.hide()
        no_tab_stop(self.overview)  # read-only text: the tab bar is the stop before it
        tab_leaves(self.draft)
        # Actions in the order they read, then the tabs (arrows switch them) and their content.
        tab_order(
            self.reply_button,
            self.follow_button,
            self.note_button,
            self.status_button,
            self.spam_button,
            self.tabs.tabBar(),
            self.draft,
            self.copy,
            self.approve,
            self.thread.view,
            self.thread.composer.editor,
            self.thread.composer.note_button,
            self.thread.composer.send_button,
            self.timeline,
        )
        self.reply_button.clicked.connect(self.reply_focus)
        self.approve.clicked.connect(self._approve)
        self.copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.draft.toPlainText())
        )
        self.note_button.clicked.connect(self._add_note)
        self.follow_button.clicked.connect(self.schedule_follow_up)
        self.address_button.clicked.connect(self.new_reply_address)
        session.business_ready.connect(self._on_business)
        session.reply_address_ready.connect(self._on_reply_address)
        session.reply_address_failed.connect(self._on_reply_address_failed)
        session.thread_ready.connect(self._on_thread)
        session.lead_ready.connect(self._on_lead)
        session.timeline_ready.connect(self._on_timeline)
        session.data_changed.connect(self._on_data)
        session.draft_sent.connect(self._on_draft_sent)
        session.follow_up_failed.connect(self._on_follow_up_failed)
        self._enable()

    def _on_data(self, changes: Any) -> None:
        lead_id = self.thread.lead_id
        if lead_id and lead_id in getattr(changes, "leads", ()):
            self.session.load_lead(lead_id)
            if not getattr(changes, "bootstrap", False) and getattr(changes, "count", 0):
                self.session.load_timeline(lead_id)

    def _on_business(self, business: Any) -> None:
        """Reply addresses exist only where the server takes customers' answers by mail."""
        for widget in (self.address_title, self.address_note, self.address_button):
            widget.setVisible(bool(business.inbound_enabled))

    # -- showing --------------------------------------------------------------------------------

    def show_lead(self, lead_id: str) -> None:
        if self.thread.lead_id != lead_id:
            self.lead = None
            self.sent = False
            self.bounced = False
            self.notice.hide()
            self.address_note.setText(ADDRESS_NOTE)
        self.placeholder.hide()
        self.body.show()
        self.session.open_lead(lead_id)
        self.thread.lead_id = lead_id
        self.thread.setEnabled(True)
        self.session.load_timeline(lead_id)
        self._enable()

    def _on_lead(self, lead: LeadDetail) -> None:
        if self.thread.lead_id not in (None, str(lead.id)):
            return
        same = self.lead is not None and self.lead.id == lead.id
        self.lead = lead
        self.title.setText(lead.customer_name)
        self.status_chip.set_chip(lead.status.label, STATUS_TONES.get(lead.status.value, "grey"))
        self.urgency_chip.set_chip(
            urgency_text(lead) if lead.urgency == Urgency.HIGH else "", URGENCY_TONES["high"]
        )
        self.subtitle.setText(
            " · ".join(
                part
                for part in (
                    lead.service_needed or "",
                    f"received {local_time(lead.created_at)}",
                    lead.comm_status.label,
                )
                if part
            )
        )
        self.request.setText(lead.message)
        self._show_details(lead)
        self.source.set_rows(
            [
                ("Source", lead.source),
                ("Referrer", lead.referrer),
                ("Campaign source", lead.utm_source),
                ("Campaign medium", lead.utm_medium),
                ("Campaign", lead.utm_campaign),
                ("Campaign term", lead.utm_term),
                ("Campaign content", lead.utm_content),
            ]
        )
        for status, action in self.status_actions.items():
            action.setChecked(status == lead.status.value)
        spam = lead.status == LeadStatus.SPAM
        self.spam_button.setText("Not spam" if spam else "Spam")
        self.spam_button.setToolTip(
            "Move the lead back to New" if spam else "Move the lead to Spam"
        )
        self._show_ai(lead, keep_draft=same)
        self._enable()

    def _show_details(self, lead: LeadDetail) -> None:
        email = lead.customer_email
        if email and self.bounced:
            email = f"{email} — the last mail to it bounced: check the address"
        self.details.set_rows(
            [
                ("E-mail", email),
                ("Phone", lead.customer_phone),
                ("Service", lead.service_needed),
                ("Preferred time", lead.preferred_time),
                ("Urgency", lead.urgency.label if lead.urgency else None),
                ("Status", lead.status.label),
                ("Replies", label(CommStatus, lead.comm_status)),
                ("Received", local_time(lead.created_at)),
            ]
        )

    def _on_thread(self, lead_id: str, items: list[ThreadItem]) -> None:
        """Flag the lead's address when the newest mail that reached a verdict bounced."""
        if lead_id != self.thread.lead_id:
            return
        verdicts = [i.delivery for i in items if i.delivery in ("sent", "failed", "bounced")]
        bounced = bool(verdicts) and verdicts[-1] == "bounced"
        if bounced != self.bounced:
            self.bounced = bounced
            if self.lead is not None:
                self._show_details(self.lead)

    def _show_ai(self, lead: LeadDetail, keep_draft: bool) -> None:
        ai = lead.ai
        if ai is None:
            self.ai_info.set_rows([("Analysis", "Not analysed yet.")])
            self.draft.clear()
            return
        self.ai_info.set_rows(
            [
                ("Summary", ai.summary),
                ("Intent", label(Intent, ai.intent, "Other")),
                ("Urgency", urgency_text(lead)),
                ("Tags", tag_text(ai.tags)),
                ("Next step", ai.next_step),
                ("Confidence", f"{ai.confidence_score:.0%}"),
                ("Topics only you answer", ", ".join(t.label for t in ai.blocked_topics)),
                ("Automatic reply", verdict(lead)),
                ("AI", label(AnalysisStatus, ai.status)),
            ]
        )
        if not keep_draft or not self.draft.toPlainText():
            self.draft.setPlainText(ai.suggested_reply)

    def _on_draft_sent(self, lead_id: str, sent: bool) -> None:
        if lead_id == self.thread.lead_id:
            self.sent = sent
            self._enable()

    def _enable(self) -> None:
        """Buttons that cannot act are disabled, and say why."""
        lead = self.lead
        has_lead = lead is not None
        email = bool(lead and lead.customer_email)
        for button in (
            self.reply_button,
            self.note_button,
            self.status_button,
            self.spam_button,
            self.address_button,
        ):
            button.setEnabled(has_lead)
        self.reply_button.setEnabled(email)
        self.follow_button.setEnabled(email)
        self.follow_button.setToolTip(
            "Send the customer a follow-up e-mail later (Ctrl+Shift+F)"
            if email or not has_lead
            else "The customer left no e-mail address"
        )
        can_approve = bool(lead and lead.ai and email and not self.sent)
        self.approve.setEnabled(can_approve)
        self.copy.setEnabled(bool(lead and lead.ai))
        if not has_lead or lead is None or lead.ai is None:
            self.draft_note.setText("")
        elif self.sent:
            self.draft_note.setText("This suggestion has been sent.")
        elif not email:
            self.draft_note.setText("The customer left no e-mail address: call them instead.")
        else:
            self.draft_note.setText("")

    def _on_timeline(self, lead_id: str, events: list[TimelineEvent]) -> None:
        if lead_id != self.thread.lead_id:
            return
        self.timeline.clear()
        for event in events:
            text = event.text
            new = (event.details or {}).get("new")
            if event.kind == "lead.status_changed" and isinstance(new, dict):
                text = f"Status changed to {label(LeadStatus, str(new.get('status')), 'another')}"
            actor = f" — {event.actor}" if event.actor else ""
            self.timeline.addItem(f"{local_time(event.at)}   {text}{actor}")

    def _on_follow_up_failed(self, lead_id: str, error: Exception) -> None:
        if lead_id == self.thread.lead_id:
            self.notice.setText(f"The follow-up was not scheduled: {error}")
            self.notice.show()

    # -- actions --------------------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        if self.lead is not None:
            self.session.set_status(str(self.lead.id), status)

    def _toggle_spam(self) -> None:
        if self.lead is not None:
            spam = self.lead.status == LeadStatus.SPAM
            self._set_status(LeadStatus.NEW.value if spam else LeadStatus.SPAM.value)

    def _approve(self) -> None:
        if self.lead is None or self.sent or not self.approve.isEnabled():
            return
        # Disabled before the mutation is queued: a second click in the same instant finds
        # the button off, so one approval is sent.
        self.sent = True
        self._enable()
        text = self.draft.toPlainText().strip()
        original = self.lead.ai.suggested_reply if self.lead.ai else ""
        self.session.approve_draft(str(self.lead.id), None if text == original else text)
        self.tabs.setCurrentWidget(self.thread)

    def _add_note(self) -> None:
        if self.lead is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, "Add note", "Internal note:")
        if ok and text.strip():
            self.session.add_note(str(self.lead.id), text.strip())

    def schedule_follow_up(self) -> None:
        if self.lead is None:
            return
        dialog = FollowUpDialog(self)
        if dialog.exec():
            self.notice.hide()
            when = max(dialog.when(), datetime.now(UTC) + timedelta(minutes=1))
            self.session.schedule_follow_up(str(self.lead.id), when)

    def new_reply_address(self) -> None:
        """Revoke the lead's reply address, once the owner confirms."""
        if self.lead is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "New reply address",
            f"Give {self.lead.customer_name} a new reply address? Mail sent to the old one will "
            "no longer reach this lead, except from the customer's own e-mail address; the "
            "rest waits in the unmatched mail. Your next e-mails carry the new address.",
            parent=self,
        )
        replace = box.addButton("Replace address", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is replace:
            self.address_button.setEnabled(False)
            self.session.rotate_reply_address(str(self.lead.id))

    def _on_reply_address(self, lead_id: str, out: ReplyAddressOut) -> None:
        if lead_id != self.thread.lead_id:
            return
        self.address_button.setEnabled(self.lead is not None)
        self.address_note.setText(
            f"New reply address: {out.reply_address}. Mail to the old address no longer "
            "reaches this lead."
        )
        self.session.load_timeline(lead_id)

    def _on_reply_address_failed(self, lead_id: str, error: Exception) -> None:
        if lead_id != self.thread.lead_id:
            return
        self.address_button.setEnabled(self.lead is not None)
        self.address_note.setText(f"The reply address was not replaced: {error}")

    def reply_focus(self) -> None:
        self.tabs.setCurrentWidget(self.thread)
        self.thread.composer.focus()

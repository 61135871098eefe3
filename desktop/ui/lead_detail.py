"""The lead detail panel: tabs Overview / AI / Messages / Timeline and the lead's actions."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.thread_view import ThreadPanel

if TYPE_CHECKING:
    from shared.models.leads import LeadDetail, TimelineEvent

ACTIONS = (
    ("Mark contacted", "contacted"),
    ("Booked", "booked"),
    ("Lost", "lost"),
    ("Spam", "spam"),
    ("Not spam", "new"),
    ("Archive", "archived"),
)


def rows(pairs: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>"
        for k, v in pairs
        if v not in (None, "", [])
    )
    return f"<table cellpadding='3'>{cells}</table>"


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
        self.title = QLabel("Choose a lead")
        self.title.setStyleSheet("font-size: 16px; font-weight: 600")
        self.tabs = QTabWidget()
        self.overview = QTextBrowser()
        self.ai_info = QTextBrowser()
        self.draft = QPlainTextEdit()
        self.approve = QPushButton("Approve && Send")
        self.copy = QPushButton("Copy")
        ai_tab = QWidget()
        ai_layout = QVBoxLayout(ai_tab)
        ai_layout.addWidget(self.ai_info, 2)
        ai_layout.addWidget(QLabel("Suggested reply (edit before sending):"))
        ai_layout.addWidget(self.draft, 1)
        ai_buttons = QHBoxLayout()
        ai_buttons.addStretch(1)
        ai_buttons.addWidget(self.copy)
        ai_buttons.addWidget(self.approve)
        ai_layout.addLayout(ai_buttons)
        self.thread = ThreadPanel(session)
        self.timeline = QTextBrowser()
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(ai_tab, "AI")
        self.tabs.addTab(self.thread, "Messages")
        self.tabs.addTab(self.timeline, "Timeline")
        actions = QHBoxLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        for label, status in ACTIONS:
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=status: self._set_status(s))
            actions.addWidget(button)
            self.action_buttons[status] = button
        self.note_button = QPushButton("Add note")
        self.follow_button = QPushButton("Schedule follow-up")
        actions.addWidget(self.note_button)
        actions.addWidget(self.follow_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)
        self.approve.clicked.connect(self._approve)
        self.copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.draft.toPlainText())
        )
        self.note_button.clicked.connect(self._add_note)
        self.follow_button.clicked.connect(self.schedule_follow_up)
        session.lead_ready.connect(self._on_lead)
        session.timeline_ready.connect(self._on_timeline)
        session.data_changed.connect(self._on_data)
        self.setEnabled(False)

    def _on_data(self, changes: Any) -> None:
        lead_id = self.thread.lead_id
        if lead_id and lead_id in getattr(changes, "leads", ()):
            self.session.load_lead(lead_id)
            if not getattr(changes, "bootstrap", False) and getattr(changes, "count", 0):
                self.session.load_timeline(lead_id)

    # -- showing --------------------------------------------------------------------------------

    def show_lead(self, lead_id: str) -> None:
        self.setEnabled(True)
        self.session.open_lead(lead_id)
        self.thread.lead_id = lead_id
        self.thread.setEnabled(True)
        self.session.load_timeline(lead_id)

    def _on_lead(self, lead: LeadDetail) -> None:
        if self.thread.lead_id not in (None, str(lead.id)):
            return
        same = self.lead is not None and self.lead.id == lead.id
        self.lead = lead
        self.title.setText(f"{lead.customer_name} — {lead.status.value.replace('_', ' ')}")
        self.overview.setHtml(
            f"<h3>Request</h3><p>{html.escape(lead.message).replace(chr(10), '<br>')}</p>"
            + (f"<h3>AI summary</h3><p>{html.escape(lead.ai.summary)}</p>" if lead.ai else "")
            + "<h3>Details</h3>"
            + rows(
                [
                    ("Email", lead.customer_email),
                    ("Phone", lead.customer_phone),
                    ("Service", lead.service_needed),
                    ("Preferred time", lead.preferred_time),
                    ("Intent", lead.ai.intent.value if lead.ai else None),
                    ("Urgency", lead.urgency.value if lead.urgency else None),
                    ("Status", lead.status.value),
                    ("Reply status", lead.comm_status.value),
                    ("Received", lead.created_at.astimezone().strftime("%d %b %Y %H:%M")),
                ]
            )
            + "<h3>Source</h3>"
            + rows(
                [
                    ("Source", lead.source),
                    ("Referrer", lead.referrer),
                    ("UTM source", lead.utm_source),
                    ("UTM medium", lead.utm_medium),
                    ("UTM campaign", lead.utm_campaign),
                    ("UTM term", lead.utm_term),
                    ("UTM content", lead.utm_content),
                ]
            )
        )
        self._show_ai(lead, keep_draft=same)

    def _show_ai(self, lead: LeadDetail, keep_draft: bool) -> None:
        ai, gate = lead.ai, lead.gate
        if ai is None:
            self.ai_info.setHtml("<i>No analysis yet.</i>")
            self.approve.setEnabled(False)
            return
        gate_text = "—"
        if gate is not None:
            gate_text = (
                "auto-send allowed"
                if gate.allowed
                else "held for you: " + ", ".join(r.value.replace("_", " ") for r in gate.reasons)
            )
        self.ai_info.setHtml(
            rows(
                [
                    ("Summary", ai.summary),
                    ("Tags", ", ".join(ai.tags)),
                    ("Next step", ai.next_step),
                    ("Risk", ai.risk_level.value),
                    ("Confidence", f"{ai.confidence_score:.0%}"),
                    (
                        "Blocked topics",
                        ", ".join(t.value.replace("_", " ") for t in ai.blocked_topics) or "none",
                    ),
                    ("Gate", gate_text),
                    ("Auto-sent", "yes" if lead.auto_sent else "no"),
                    ("Provider", f"{ai.provider} / {ai.model} ({ai.status.value})"),
                ]
            )
        )
        if not keep_draft or not self.draft.toPlainText():
            self.draft.setPlainText(ai.suggested_reply)
        self.approve.setEnabled(bool(lead.customer_email))

    def _on_timeline(self, lead_id: str, events: list[TimelineEvent]) -> None:
        if lead_id != self.thread.lead_id:
            return
        self.timeline.setHtml(
            "".join(
                f"<p><small>{e.at.astimezone().strftime('%d %b %H:%M')}</small> "
                f"<b>{html.escape(e.kind.replace('_', ' '))}</b> {html.escape(e.text)}"
                + (f" <i>({html.escape(e.actor)})</i>" if e.actor else "")
                + "</p>"
                for e in events
            )
            or "<i>Nothing yet.</i>"
        )

    # -- actions --------------------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        if self.lead is not None:
            self.session.set_status(str(self.lead.id), status)

    def _approve(self) -> None:
        if self.lead is None:
            return
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
            when = max(dialog.when(), datetime.now(UTC) + timedelta(minutes=1))
            self.session.schedule_follow_up(str(self.lead.id), when)

    def reply_focus(self) -> None:
        self.tabs.setCurrentWidget(self.thread)
        self.thread.composer.focus()

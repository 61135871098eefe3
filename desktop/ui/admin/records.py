"""Leads, Emails and Audit log: listings across every business, each with Export CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QWidget,
)

from desktop.ui.admin.common import Dialogs, when, words
from desktop.ui.admin.export_bar import ExportBar
from desktop.ui.admin.table import ListPage, RecordTableModel, iso
from desktop.ui.keyboard import tab_leaves
from shared.models.enums import CommStatus, EmailKind, EmailStatus, LeadStatus
from shared.models.enums import label as label_of

BUSINESS_TAG = "filter.businesses"


class BusinessCombo(QComboBox):
    """ "All businesses" and every business by name; filled from the businesses listing."""

    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.addItem("All businesses", "")
        self.setMinimumContentsLength(18)
        service.loaded.connect(self._on_loaded)

    def refresh(self) -> None:
        self.service.load(BUSINESS_TAG, "businesses", {"limit": 500})

    def _on_loaded(self, tag: str, page: Any, _cached: Any) -> None:
        if tag != BUSINESS_TAG:
            return
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        self.addItem("All businesses", "")
        for business in sorted(page.items, key=lambda b: b.name.lower()):
            self.addItem(business.name, str(business.id))
        index = self.findData(current)
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)

    def select(self, business_id: str) -> None:
        index = self.findData(business_id)
        if index < 0:
            self.addItem(business_id, business_id)
            index = self.count() - 1
        self.setCurrentIndex(index)


def choice_box(values: list[str], everything: str) -> QComboBox:
    box = QComboBox()
    box.addItem(everything, "")
    for value in values:
        box.addItem(words(value), value)
    return box


class ExportingListPage(ListPage):
    """A listing with a business filter, a status filter and Export CSV of the same filters."""

    STATUSES: ClassVar[list[str]] = []

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(service, parent)
        self.business = BusinessCombo(service)
        self.business.setAccessibleName("Business")
        self.business.currentIndexChanged.connect(lambda _: self.reload())
        self.filters.addWidget(self.business)
        self.status_box = choice_box(self.STATUSES, "Any status")
        self.status_box.setAccessibleName("Status")
        self.status_box.currentIndexChanged.connect(lambda _: self.reload())
        if self.STATUSES:
            self.filters.addWidget(self.status_box)
        self.export_bar = ExportBar(
            service, self.KIND, dialogs, self.params, lambda: self.pager.total
        )
        self.layout_.addWidget(self.export_bar)

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "business_id": self.business.currentData(),
            "status": self.status_box.currentData(),
        }

    def refresh(self) -> None:
        self.business.refresh()
        super().refresh()

    def show_business(self, business_id: str) -> None:
        self.business.select(business_id)


class LeadModel(RecordTableModel):
    RECEIVED, BUSINESS, NAME, EMAIL, SERVICE, STATUS, REPLY = range(7)
    HEADERS = ("Received", "Business", "Customer", "Email", "Service", "Status", "Reply")
    STATUS_COLUMN = STATUS

    def display(self, row: Any, column: int) -> str:
        values = (
            when(row.created_at),
            row.business_name,
            row.customer_name,
            row.customer_email or "",
            row.service_needed or "",
            label_of(LeadStatus, row.status, words(row.status)),
            label_of(CommStatus, row.comm_status, words(row.comm_status)),
        )
        return values[column]

    def sort_value(self, row: Any, column: int) -> Any:
        return iso(row.created_at) if column == self.RECEIVED else super().sort_value(row, column)

    def tooltip(self, row: Any, column: int) -> str | None:
        return row.message


class LeadsPage(ExportingListPage):
    KIND = "leads"
    MODEL = LeadModel
    SEARCH_HINT = "Search name, email, phone, service, message…"
    STATUSES: ClassVar[list[str]] = [
        "new",
        "contacted",
        "booked",
        "follow_up",
        "lost",
        "archived",
        "spam",
    ]


class EmailModel(RecordTableModel):
    CREATED, BUSINESS, KIND, TO, SUBJECT, STATUS, ATTEMPTS, ERROR = range(8)
    HEADERS = ("Created", "Business", "Kind", "To", "Subject", "Status", "Attempts", "Error")
    STATUS_COLUMN = STATUS

    def display(self, row: Any, column: int) -> str:
        values = (
            when(row.created_at),
            row.business_name or "Platform",
            label_of(EmailKind, row.kind, words(row.kind)),
            row.to_address,
            row.subject,
            label_of(EmailStatus, row.status, words(row.status)),
            str(row.attempts),
            " ".join((row.error or "").split()),
        )
        return values[column]

    def tooltip(self, row: Any, column: int) -> str | None:
        return row.error if column == self.ERROR else None

    def sort_value(self, row: Any, column: int) -> Any:
        if column == self.CREATED:
            return iso(row.created_at)
        if column == self.ATTEMPTS:
            return row.attempts
        return super().sort_value(row, column)


class EmailsPage(ExportingListPage):
    """The e-mail log; "Resend" sends a failed or bounced mail again (a new, queued row)."""

    KIND = "emails"
    MODEL = EmailModel
    SEARCH_HINT = "Search recipient and subject…"
    STATUSES: ClassVar[list[str]] = ["queued", "sent", "failed"]
    RESENDABLE = ("failed", "bounced")

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(service, dialogs, parent)
        self.resend = QPushButton("Resend")
        self.resend.setEnabled(False)
        self.resend.clicked.connect(self._resend)
        self.filters.addWidget(self.resend)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        service.done.connect(self._on_done)
        service.failed.connect(self._on_action_failed)

    def row_actions(self) -> list[QWidget]:
        return [self.resend]

    def _on_selection(self) -> None:
        row = self.selected_row()
        self.resend.setEnabled(row is not None and str(row.status) in self.RESENDABLE)

    def _resend(self) -> None:
        row = self.selected_row()
        if row is not None and str(row.status) in self.RESENDABLE:
            self.resend.setEnabled(False)  # one click, one resend
            self.service.resend_email(str(row.id))

    def _on_done(self, action: str, message: str) -> None:
        if action == "resend_email":
            self.status.info(message)
            self.reload()

    def _on_action_failed(self, action: str, error: Any) -> None:
        if action == "resend_email":
            self.status.error(error)


# What each audit action means, in words (the code stays in the details and the filter).
ACTIONS = {
    "admin.created": "Super-admin created",
    "admin.updated": "Super-admin updated",
    "automation.updated": "Automation changed",
    "business.created": "Business created",
    "business.updated": "Business details changed",
    "business.status_changed": "Business status changed",
    "business.logo_changed": "Logo changed",
    "business.logo_removed": "Logo removed",
    "form.updated": "Form changed",
    "invite.accepted": "Invite accepted",
    "owner.deactivated": "Owner deactivated",
    "owner.reactivated": "Owner reactivated",
    "owner.invite_resent": "Invite sent again",
    "password.reset": "Password reset",
    "team.invited": "Team member invited",
    "team.deactivated": "Team member deactivated",
    "team.reactivated": "Team member reactivated",
    "lead.received": "Request received",
    "lead.customer_message_added": "Customer wrote again",
    "lead.analysed": "Analysed by AI",
    "lead.reanalysed": "Analysed again",
    "lead.auto_replied": "AI reply sent automatically",
    "lead.acknowledged": "Acknowledgement sent",
    "lead.owner_alerted": "Owner alerted",
    "lead.automation_skipped": "Automatic mail skipped",
    "lead.owner_replied": "Owner replied",
    "lead.draft_approved": "AI draft approved and sent",
    "lead.note_added": "Note added",
    "lead.status_changed": "Lead status changed",
    "follow_up.scheduled": "Follow-up scheduled",
    "follow_up.rescheduled": "Follow-up rescheduled",
    "follow_up.sent": "Follow-up sent",
    "follow_up.canceled": "Follow-up cancelled",
}


def action_text(code: str) -> str:
    """An audit action in words; an unknown one as "Subject: what happened"."""
    if code in ACTIONS:
        return ACTIONS[code]
    subject, _, what = code.partition(".")
    return f"{words(subject)}: {what.replace('_', ' ')}" if what else words(code)


class AuditModel(RecordTableModel):
    TIME, ACTOR, ACTION, BUSINESS, ENTITY, CHANGE = range(6)
    HEADERS = ("Time", "Actor", "Action", "Business", "Entity", "Change")

    def display(self, row: Any, column: int) -> str:
        values = (
            when(row.created_at, seconds=True),
            row.actor,
            action_text(row.action),
            row.business_name or "",
            row.entity or "",
            change_summary(row),
        )
        return values[column]

    def sort_value(self, row: Any, column: int) -> Any:
        return iso(row.created_at) if column == self.TIME else super().sort_value(row, column)


def change_summary(row: Any) -> str:
    old, new = row.old_values or {}, row.new_values or {}
    parts = [f"{key}: {old.get(key, '—')} → {value}" for key, value in new.items()]
    return "; ".join(parts)


def audit_details(row: Any) -> str:
    """Everything of one audit row, readable: the change per field, then the raw details."""
    lines = [
        f"{when(row.created_at, seconds=True)} — {action_text(row.action)} ({row.action})",
        f"Actor: {row.actor}",
        f"Business: {row.business_name or '—'}",
        f"Entity: {row.entity or '—'} {row.entity_id or ''}".rstrip(),
    ]
    old, new = row.old_values or {}, row.new_values or {}
    if new or old:
        lines.append("")
        lines.append("Changes:")
        for key in sorted(set(old) | set(new)):
            lines.append(f"  {key}: {json.dumps(old.get(key))} → {json.dumps(new.get(key))}")
    if row.details:
        lines.append("")
        lines.append("Details:")
        lines.append(json.dumps(row.details, indent=2, ensure_ascii=False, default=str))
    return "\n".join(lines)


RANGES = (("Any time", None), ("Last 24 hours", 1), ("Last 7 days", 7), ("Last 30 days", 30))


class AuditLogPage(ExportingListPage):
    KIND = "audit_logs"
    MODEL = AuditModel
    SEARCH_HINT = "Search the log…"

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(service, dialogs, parent)
        self.action = QLineEdit()
        self.action.setPlaceholderText("Action, e.g. business.status_changed")
        self.action.setAccessibleName("Action")
        self.actor = QLineEdit()
        self.actor.setAccessibleName("Actor")
        self.actor.setPlaceholderText("Actor email")
        self.range = QComboBox()
        self.range.setAccessibleName("Time range")
        for label, days in RANGES:
            self.range.addItem(label, days)
        for edit in (self.action, self.actor):
            edit.editingFinished.connect(self.reload)
            self.filters.addWidget(edit)
        self.range.currentIndexChanged.connect(lambda _: self.reload())
        self.filters.addWidget(self.range)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select an entry to read its details.")
        self.details.setAccessibleName("Entry details")
        tab_leaves(self.details)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.layout_.replaceWidget(self.view, splitter)
        splitter.addWidget(self.view)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.view.selectionModel().selectionChanged.connect(self._show_details)

    def params(self) -> dict[str, Any]:
        values = super().params()
        values.pop("status", None)
        values.update(action=self.action.text().strip(), actor=self.actor.text().strip())
        days = self.range.currentData()
        if days:
            # Whole hours, so the same choice makes the same request (and the same cached page).
            hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            values["since"] = (hour - timedelta(days=days)).isoformat()
        return values

    def _show_details(self) -> None:
        row = self.selected_row()
        self.details.setPlainText(audit_details(row) if row is not None else "")

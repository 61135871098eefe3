"""Follow-ups: tabs Due today / Overdue / Scheduled / Sent / Canceled with counts and actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.lead_detail import FollowUpDialog
from shared.models.enums import FollowUpState

if TYPE_CHECKING:
    from shared.models.leads import FollowUpOut

TABS = (
    (FollowUpState.DUE, "Due today"),
    (FollowUpState.OVERDUE, "Overdue"),
    (FollowUpState.SCHEDULED, "Scheduled"),
    (FollowUpState.SENT, "Sent"),
    (FollowUpState.CANCELED, "Canceled"),
)
ACTIVE = {FollowUpState.DUE, FollowUpState.OVERDUE, FollowUpState.SCHEDULED}


class FollowUpsPage(QWidget):
    def __init__(self, session: Any, open_lead: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.open_lead = open_lead
        self.tabs = QTabWidget()
        self.lists: dict[FollowUpState, QListWidget] = {}
        for state, _label in TABS:
            widget = QListWidget()
            self.lists[state] = widget
            self.tabs.addTab(widget, "")
        self.send_now = QPushButton("Send now")
        self.reschedule = QPushButton("Reschedule…")
        self.cancel = QPushButton("Cancel")
        self.open_button = QPushButton("Open lead")
        buttons = QHBoxLayout()
        for button in (self.send_now, self.reschedule, self.cancel):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self.send_now.clicked.connect(lambda: self._update(status="sent"))
        self.cancel.clicked.connect(lambda: self._update(status="canceled"))
        self.reschedule.clicked.connect(self._reschedule)
        self.open_button.clicked.connect(self._open)
        self.tabs.currentChanged.connect(lambda _: self._enable())
        session.follow_ups_ready.connect(self.show_groups)
        session.data_changed.connect(
            lambda c: self.refresh() if getattr(c, "follow_ups", False) else None
        )
        self._enable()

    def refresh(self) -> None:
        self.session.load_follow_ups()

    def show_groups(self, groups: dict[FollowUpState, list[FollowUpOut]]) -> None:
        for number, (state, label) in enumerate(TABS):
            items = groups.get(state, [])
            self.tabs.setTabText(number, f"{label} ({len(items)})")
            widget = self.lists[state]
            widget.clear()
            for follow_up in items:
                when = follow_up.scheduled_at.astimezone().strftime("%d %b %Y %H:%M")
                entry = QListWidgetItem(
                    f"{when} — {follow_up.customer_name or 'Lead'}"
                    f" · {follow_up.service_needed or ''}"
                )
                entry.setData(Qt.ItemDataRole.UserRole, follow_up)
                widget.addItem(entry)
        self._enable()

    def current(self) -> FollowUpOut | None:
        state = TABS[self.tabs.currentIndex()][0]
        item = self.lists[state].currentItem() or self.lists[state].item(0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _enable(self) -> None:
        state = TABS[self.tabs.currentIndex()][0]
        for button in (self.send_now, self.reschedule, self.cancel):
            button.setEnabled(state in ACTIVE)

    def _update(self, **change: Any) -> None:
        follow_up = self.current()
        if follow_up is not None:
            self.session.update_follow_up(str(follow_up.id), **change)

    def _reschedule(self) -> None:
        follow_up = self.current()
        if follow_up is None:
            return
        dialog = FollowUpDialog(self)
        if dialog.exec():
            self.session.update_follow_up(str(follow_up.id), scheduled_at=dialog.when())

    def _open(self) -> None:
        follow_up = self.current()
        if follow_up is not None:
            self.open_lead(str(follow_up.lead_id))

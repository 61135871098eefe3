"""Follow-ups: tabs Due today / Overdue / Scheduled / Sent / Cancelled with counts and actions.

Actions work on the selected follow-up only (nothing selected, nothing enabled), and the two that
cannot be undone (sending now, cancelling) ask once.
"""

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

from desktop.ui.keyboard import tab_order
from desktop.ui.lead_detail import FollowUpDialog
from desktop.ui.models import local_time
from desktop.ui.widgets.confirm import confirm
from desktop.ui.widgets.empty import EmptyState
from shared.models.enums import FollowUpState

if TYPE_CHECKING:
    from shared.models.leads import FollowUpOut

TABS = tuple(
    (state, state.label)
    for state in (
        FollowUpState.DUE,
        FollowUpState.OVERDUE,
        FollowUpState.SCHEDULED,
        FollowUpState.SENT,
        FollowUpState.CANCELED,
    )
)
ACTIVE = {FollowUpState.DUE, FollowUpState.OVERDUE, FollowUpState.SCHEDULED}
EMPTY = {
    FollowUpState.DUE: "No follow-ups due today.",
    FollowUpState.OVERDUE: "Nothing overdue.",
    FollowUpState.SCHEDULED: "No follow-ups scheduled. Schedule one from a lead.",
    FollowUpState.SENT: "No follow-ups sent yet.",
    FollowUpState.CANCELED: "No cancelled follow-ups.",
}


def who(follow_up: FollowUpOut) -> str:
    return follow_up.customer_name or "this customer"


class FollowUpsPage(QWidget):
    def __init__(self, session: Any, open_lead: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.open_lead = open_lead
        self.tabs = QTabWidget()
        self.lists: dict[FollowUpState, QListWidget] = {}
        self.empty: dict[FollowUpState, EmptyState] = {}
        for state, _label in TABS:
            widget = QListWidget()
            widget.setObjectName("cards")
            widget.setSpacing(4)
            widget.setAccessibleName(f"{state.label} follow-ups")
            widget.itemSelectionChanged.connect(self._enable)
            # Tab into a list makes its first row current without choosing it; a keyboard
            # user then sees a chosen row and actions that act on it, not disabled buttons.
            widget.currentItemChanged.connect(lambda item, _old: item and item.setSelected(True))
            widget.itemActivated.connect(lambda _item: self._open())
            self.lists[state] = widget
            self.empty[state] = EmptyState(widget, EMPTY[state])
            self.tabs.addTab(self.empty[state], "")
        self.send_now = QPushButton("Send now")
        self.reschedule = QPushButton("Reschedule…")
        self.cancel = QPushButton("Cancel follow-up")
        self.open_button = QPushButton("Open lead")
        buttons = QHBoxLayout()
        for button in (self.send_now, self.reschedule, self.cancel):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        # The tab bar (arrows pick a tab), the tab's list (Enter opens the lead), its actions.
        tab_order(
            self.tabs.tabBar(),
            *self.lists.values(),
            self.send_now,
            self.reschedule,
            self.cancel,
            self.open_button,
        )
        self.send_now.clicked.connect(self._send_now)
        self.cancel.clicked.connect(self._cancel)
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
            chosen = self._selected(widget)
            widget.blockSignals(True)
            widget.clear()
            for follow_up in items:
                entry = QListWidgetItem(
                    f"{local_time(follow_up.scheduled_at)} — {follow_up.customer_name or 'Lead'}"
                    + (f" · {follow_up.service_needed}" if follow_up.service_needed else "")
                )
                entry.setData(Qt.ItemDataRole.UserRole, follow_up)
                widget.addItem(entry)
                if chosen is not None and follow_up.id == chosen.id:
                    entry.setSelected(True)
                    widget.setCurrentItem(entry)
            widget.blockSignals(False)
        self._enable()

    @staticmethod
    def _selected(widget: QListWidget) -> FollowUpOut | None:
        chosen = widget.selectedItems()
        return chosen[0].data(Qt.ItemDataRole.UserRole) if chosen else None

    def current(self) -> FollowUpOut | None:
        """The selected follow-up of the open tab; ``None`` when nothing is selected."""
        return self._selected(self.lists[TABS[self.tabs.currentIndex()][0]])

    def _enable(self) -> None:
        state = TABS[self.tabs.currentIndex()][0]
        chosen = self.current() is not None
        for button in (self.send_now, self.reschedule, self.cancel):
            button.setEnabled(chosen and state in ACTIVE)
        self.open_button.setEnabled(chosen)

    def _send_now(self) -> None:
        follow_up = self.current()
        if follow_up is not None and confirm(
            self,
            "Send the follow-up now",
            f"E-mail the follow-up to {who(follow_up)} now?",
            "Send now",
        ):
            self.session.update_follow_up(str(follow_up.id), status="sent")

    def _cancel(self) -> None:
        follow_up = self.current()
        if follow_up is not None and confirm(
            self,
            "Cancel the follow-up",
            f"Cancel the follow-up to {who(follow_up)}? Nothing will be sent.",
            "Cancel follow-up",
        ):
            self.session.update_follow_up(str(follow_up.id), status="canceled")

    def _reschedule(self) -> None:
        follow_up = self.current()
        if follow_up is None:
            return
        dialog = FollowUpDialog(self, follow_up.scheduled_at)
        if dialog.exec():
            self.session.update_follow_up(str(follow_up.id), scheduled_at=dialog.when())

    def _open(self) -> None:
        follow_up = self.current()
        if follow_up is not None:
            self.open_lead(str(follow_up.lead_id))

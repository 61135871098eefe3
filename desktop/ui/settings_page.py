"""Settings: business profile, contact email, brand colour, automation mode, team, app options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from shared.models.business import BusinessOut


def setting_on(settings: Any, key: str) -> bool:
    """A yes/no QSettings value, read as text (``type=bool`` trips a PySide6 refcount bug)."""
    return str(settings.value(key, "false")).lower() in ("true", "1")


# Each mode is exactly one pair of the business's switches (smart_auto_reply,
# owner_approval_required), and its text says what the server's gate then does.
MODES = (
    (
        "Safe",
        False,
        True,
        "The AI drafts a reply for every lead, and nothing it writes is emailed: the customer "
        "gets the automatic “we received your request” email, and the draft waits for you to "
        "approve, edit or ignore.",
    ),
    (
        "Auto with approval",
        True,
        True,
        "Smart auto-reply is on, but every AI reply is held for your approval (gate reason "
        "“owner approval required”); meanwhile the customer gets the automatic acknowledgement.",
    ),
    (
        "Auto",
        True,
        False,
        "The AI reply is emailed at once when the safety gate allows it: low risk, confidence at "
        "or above the threshold, no blocked topic (prices, bookings, availability, refunds, "
        "legal, medical or financial advice), a customer email, not spam or a duplicate, under "
        "the reply limit. Anything else gets the acknowledgement and waits for you.",
    ),
)


def mode_of(business: BusinessOut) -> int:
    for number, (_label, smart, approval, _text) in enumerate(MODES):
        if business.smart_auto_reply == smart and (
            not smart or business.owner_approval_required == approval
        ):
            return number
    return 0


class SettingsPage(QWidget):
    def __init__(self, session: Any, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.app_settings = settings
        self.business: BusinessOut | None = None
        self._mode_chosen = False  # the owner clicked a mode since the last save
        self.name = QLineEdit()
        self.industry = QLineEdit()
        self.phone = QLineEdit()
        self.contact_email = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setMaximumHeight(60)
        self.colour = QPushButton()
        self.colour_value = "#2b6cb0"
        self.mode = QButtonGroup(self)
        mode_row = QHBoxLayout()
        for number, (label, *_rest) in enumerate(MODES):
            button = QRadioButton(label)
            self.mode.addButton(button, number)
            mode_row.addWidget(button)
        mode_row.addStretch(1)
        self.mode.button(0).setChecked(True)
        self.mode_rules = QLabel()
        self.mode_rules.setWordWrap(True)
        self.switches = QLabel()
        self.reply_alerts = QCheckBox("Email me when a customer replies")
        self.inbound = QLabel()
        self.inbound.setWordWrap(True)
        self.save = QPushButton("Save business settings")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        profile = QFormLayout()
        profile.addRow("Business name", self.name)
        profile.addRow("Industry", self.industry)
        profile.addRow("Phone", self.phone)
        profile.addRow("Contact email (Reply-To)", self.contact_email)
        profile.addRow("Address", self.address)
        profile.addRow("Brand colour", self.colour)
        profile.addRow("Automation", mode_row)
        profile.addRow("", self.mode_rules)
        profile.addRow("Switches", self.switches)
        profile.addRow("Customer replies", self.inbound)
        profile.addRow("", self.reply_alerts)
        box = QGroupBox("Business")
        box.setLayout(profile)
        self.team = QListWidget()
        self.invite_email = QLineEdit()
        self.invite_email.setPlaceholderText("staff@example.com")
        self.invite_name = QLineEdit()
        self.invite_name.setPlaceholderText("Full name")
        invite = QPushButton("Invite staff")
        invite_row = QHBoxLayout()
        invite_row.addWidget(self.invite_email, 2)
        invite_row.addWidget(self.invite_name, 1)
        invite_row.addWidget(invite)
        team_box = QGroupBox("Team")
        team_layout = QVBoxLayout(team_box)
        team_layout.addWidget(self.team)
        team_layout.addLayout(invite_row)
        self.close_to_tray = QCheckBox("Closing the window keeps LeadFlow running in the tray")
        self.close_to_tray.setChecked(setting_on(settings, "close_to_tray"))
        self.close_to_tray.toggled.connect(
            lambda on: settings.setValue("close_to_tray", "true" if on else "false")
        )
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(self.save)
        layout.addWidget(self.status)
        layout.addWidget(team_box, 1)
        layout.addWidget(self.close_to_tray)
        self.colour.clicked.connect(self._pick_colour)
        self.mode.idToggled.connect(lambda number, on: self._show_mode(number) if on else None)
        self.mode.idClicked.connect(self._choose_mode)
        self.save.clicked.connect(self._save)
        invite.clicked.connect(self._invite)
        session.business_ready.connect(self.show_business)
        session.business_failed.connect(lambda e: self.status.setText(f"Not saved: {e}"))
        session.team_ready.connect(self._show_team)

    def refresh(self) -> None:
        self.session.load_business()
        self.session.load_team()

    def show_business(self, business: BusinessOut) -> None:
        self.business = business
        self.name.setText(business.name)
        self.industry.setText(business.industry or "")
        self.phone.setText(business.phone or "")
        self.contact_email.setText(business.contact_email)
        self.address.setPlainText(business.address or "")
        self._set_colour(business.brand_color)
        self.mode.button(mode_of(business)).setChecked(True)
        self._show_mode(mode_of(business))
        self.reply_alerts.setChecked(business.reply_alerts)
        self.inbound.setText(
            "Customers' e-mail answers come back into each lead's thread."
            if business.inbound_enabled
            else "Inbound mail is off on this server: customers' answers go to your contact"
            " email and do not appear in LeadFlow."
        )
        self.status.setText("")

    def _set_colour(self, value: str) -> None:
        self.colour_value = value
        self.colour.setText(value)
        self.colour.setStyleSheet(f"background: {value}; color: white")

    def _pick_colour(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour_value), self, "Brand colour")
        if chosen.isValid():
            self._set_colour(chosen.name())

    def _choose_mode(self, _number: int) -> None:
        self._mode_chosen = True

    def _show_mode(self, number: int) -> None:
        _label, smart, approval, text = MODES[number]
        self.mode_rules.setText(text)
        self.switches.setText(
            f"smart_auto_reply = {'on' if smart else 'off'}, "
            f"owner_approval_required = {'on' if approval else 'off'}"
        )

    def changes(self) -> dict[str, Any]:
        if self.business is None:
            return {}
        _label, smart, approval, _text = MODES[max(0, self.mode.checkedId())]
        wanted = {
            "name": self.name.text().strip(),
            "industry": self.industry.text().strip() or None,
            "phone": self.phone.text().strip() or None,
            "contact_email": self.contact_email.text().strip(),
            "address": self.address.toPlainText().strip() or None,
            "brand_color": self.colour_value,
            "smart_auto_reply": smart,
            "owner_approval_required": approval,
            "reply_alerts": self.reply_alerts.isChecked(),
        }
        changed = {k: v for k, v in wanted.items() if getattr(self.business, k) != v}
        if self._mode_chosen or "smart_auto_reply" in changed:
            # The mode is the pair, sent whole once the owner chose one: a save made before the
            # previous save came back (``self.business`` still older) must not be skipped or
            # leave half of the other mode behind.
            changed["smart_auto_reply"], changed["owner_approval_required"] = smart, approval
        return changed

    def _save(self) -> None:
        changes = self.changes()
        self._mode_chosen = False
        if changes:
            self.status.setText("Saving…")
            self.session.save_business(changes)

    def _show_team(self, members: list[dict[str, Any]]) -> None:
        self.team.clear()
        for member in members:
            self.team.addItem(
                f"{member.get('full_name') or member.get('email')} — "
                f"{member.get('email')} · {member.get('role')} · {member.get('status')}"
            )

    def _invite(self) -> None:
        email = self.invite_email.text().strip()
        if email:
            self.session.invite_member(email, self.invite_name.text().strip())
            self.invite_email.clear()
            self.invite_name.clear()

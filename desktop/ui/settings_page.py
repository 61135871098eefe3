"""Settings: business profile, contact email, brand colour, automation mode, team, app options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.keyboard import no_tab_stop, tab_leaves, tab_order
from desktop.ui.theme import GRID, THEMES, apply_theme
from desktop.ui.widgets.confirm import confirm
from shared.models.enums import MemberRole, label

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


OWNER_ONLY = "Only the business owner can change this."
DEFAULT_FOLLOW_UP_H = 24  # the server's delay when the business has none of its own
TEAM_STATUS = {"invited": "Invited", "active": "Active", "deactivated": "Deactivated"}


def time_zones() -> list[str]:
    """The IANA zones, the common ones (with a slash, not "Etc/…") first."""
    from zoneinfo import available_timezones

    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return zones or ["UTC"]


class SettingsPage(QWidget):
    """The business (profile, logo, automatic replies with their threshold and the facts the AI
    may use, time zone), the team, and this computer's options. Staff see everything and may
    change what the server lets them; the rest is disabled and says why."""

    def __init__(self, session: Any, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.app_settings = settings
        self.business: BusinessOut | None = None
        self._mode_chosen = False  # the owner clicked a mode since the last save
        business_ref = session.account.business
        self.is_owner = business_ref is None or business_ref.role == "owner"
        self.name = QLineEdit()
        self.industry = QLineEdit()
        self.phone = QLineEdit()
        self.contact_email = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setMaximumHeight(60)
        self.colour = QPushButton()
        self.colour_value = "#2b6cb0"
        self.logo = QLabel("No logo")
        self.logo.setObjectName("logo")
        self.logo.setFixedSize(96, 96)
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo.setProperty("role", "muted")
        self.mode = QButtonGroup(self)
        mode_row = QHBoxLayout()
        for number, (mode_name, *_rest) in enumerate(MODES):
            button = QRadioButton(mode_name)
            self.mode.addButton(button, number)
            mode_row.addWidget(button)
        mode_row.addStretch(1)
        self.mode.button(0).setChecked(True)
        self.mode_rules = QLabel()
        self.mode_rules.setWordWrap(True)
        self.mode_rules.setProperty("role", "muted")
        self.switches = QLabel()
        self.threshold = QSpinBox()
        self.threshold.setRange(0, 100)
        self.threshold.setSuffix(" %")
        self.threshold.setAccessibleName("Confidence needed to send automatically")
        self.threshold.setToolTip(
            "The AI's reply goes out automatically only when it is at least this sure."
        )
        self.facts = QPlainTextEdit()
        self.facts.setAccessibleName("Facts the AI may use")
        self.facts.setPlaceholderText(
            "Opening hours, areas you cover, what you do and don't do… The AI may use these "
            "facts in its replies; it never promises prices, dates or discounts."
        )
        self.facts.setMaximumHeight(90)
        self.follow_up_on = QCheckBox("Send a follow-up e-mail when a lead is not answered")
        self.follow_up_on.setAccessibleName("Automatic follow-up")
        self.follow_up_delay = QSpinBox()
        self.follow_up_delay.setRange(1, 24 * 60)
        self.follow_up_delay.setSuffix(" hours later")
        self.follow_up_delay.setAccessibleName("Follow-up delay in hours")
        self.follow_up_on.toggled.connect(
            lambda on: self.follow_up_delay.setEnabled(on and self.is_owner)
        )
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(time_zones())
        self.timezone.setAccessibleName("Time zone")
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
        profile.addRow("Contact e-mail (Reply-To)", self.contact_email)
        profile.addRow("Address", self.address)
        profile.addRow("Brand colour", self.colour)
        self.logo_button = QPushButton("Upload logo…")
        self.logo_button.setToolTip("A PNG, JPEG or WebP image of at most 2 MB")
        self.remove_logo = QPushButton("Remove logo")
        self.remove_logo.setToolTip("The form and the e-mails show the business name instead")
        self.remove_logo.setEnabled(False)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo)
        logo_row.addWidget(self.logo_button, 0, Qt.AlignmentFlag.AlignBottom)
        logo_row.addWidget(self.remove_logo, 0, Qt.AlignmentFlag.AlignBottom)
        logo_row.addStretch(1)
        profile.addRow("Logo", logo_row)
        profile.addRow("Time zone", self.timezone)
        profile.addRow("Customer replies", self.inbound)
        profile.addRow("", self.reply_alerts)
        box = QGroupBox("Business")
        box.setLayout(profile)
        replies = QFormLayout()
        replies.addRow("Mode", mode_row)
        replies.addRow("", self.mode_rules)
        replies.addRow("In short", self.switches)
        replies.addRow("Confidence needed", self.threshold)
        replies.addRow("Facts the AI may use", self.facts)
        follow_row = QHBoxLayout()
        follow_row.addWidget(self.follow_up_on)
        follow_row.addWidget(self.follow_up_delay)
        follow_row.addStretch(1)
        replies.addRow("Follow-up", follow_row)
        replies_box = QGroupBox("Automatic replies")
        replies_box.setLayout(replies)
        self.team = QListWidget()
        self.team.setAccessibleName("Team")
        self.team.itemSelectionChanged.connect(self._enable_team)
        self.member_toggle = QPushButton("Deactivate")
        self.member_toggle.clicked.connect(self._toggle_member)
        self.invite_email = QLineEdit()
        self.invite_email.setPlaceholderText("staff@example.com")
        self.invite_name = QLineEdit()
        self.invite_name.setPlaceholderText("Full name")
        self.invite_button = QPushButton("Invite staff")
        invite_row = QHBoxLayout()
        invite_row.addWidget(self.invite_email, 2)
        invite_row.addWidget(self.invite_name, 1)
        invite_row.addWidget(self.invite_button)
        team_box = QGroupBox("Team")
        team_layout = QVBoxLayout(team_box)
        team_row = QHBoxLayout()
        team_row.addWidget(self.team, 1)
        team_buttons = QVBoxLayout()
        team_buttons.addWidget(self.member_toggle)
        team_buttons.addStretch(1)
        team_row.addLayout(team_buttons)
        team_layout.addLayout(team_row)
        team_layout.addLayout(invite_row)
        self.theme = QComboBox()
        self.theme.setAccessibleName("Appearance")
        for value, text in THEMES:
            self.theme.addItem(text, value)
        self.theme.setCurrentIndex(
            max(0, self.theme.findData(str(settings.value("appearance/theme", "system"))))
        )
        self.theme.currentIndexChanged.connect(self._choose_theme)
        self.close_to_tray = QCheckBox("Closing the window keeps LeadFlow running in the tray")
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.close_to_tray.setChecked(setting_on(settings, "close_to_tray"))
        else:  # the option would do nothing here: closing always quits
            self.close_to_tray.setEnabled(False)
            self.close_to_tray.setToolTip(
                "This desktop has no system tray, so closing the window quits LeadFlow."
            )
        self.close_to_tray.toggled.connect(
            lambda on: settings.setValue("close_to_tray", "true" if on else "false")
        )
        computer = QFormLayout()
        computer.addRow("Appearance", self.theme)
        computer.addRow("", self.close_to_tray)
        computer_box = QGroupBox("This computer")
        computer_box.setLayout(computer)
        save_row = QHBoxLayout()
        save_row.addWidget(self.status, 1)
        save_row.addWidget(self.save)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setSpacing(3 * GRID)
        layout.addWidget(box)
        layout.addWidget(replies_box)
        layout.addLayout(save_row)
        layout.addWidget(team_box)
        layout.addWidget(computer_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        no_tab_stop(scroll)  # it scrolls to the field Tab reaches
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.colour.clicked.connect(self._pick_colour)
        self.mode.idToggled.connect(lambda number, on: self._show_mode(number) if on else None)
        self.mode.idClicked.connect(self._choose_mode)
        self.save.clicked.connect(self._save)
        self.invite_button.clicked.connect(self._invite)
        self.logo_button.clicked.connect(self._choose_logo)
        self.remove_logo.clicked.connect(self._remove_logo)
        self.save.setDefault(True)
        for field in (self.name, self.industry, self.phone, self.contact_email):
            field.returnPressed.connect(self._save)  # Enter in a field saves, as in a dialog
        tab_leaves(self.address, self.facts)
        # The page's reading order; the mode's radio buttons are one stop (arrows choose).
        tab_order(
            self.name,
            self.industry,
            self.phone,
            self.contact_email,
            self.address,
            self.colour,
            self.logo_button,
            self.remove_logo,
            self.timezone,
            self.reply_alerts,
            *self.mode.buttons(),
            self.threshold,
            self.facts,
            self.follow_up_on,
            self.follow_up_delay,
            self.save,
            self.team,
            self.member_toggle,
            self.invite_email,
            self.invite_name,
            self.invite_button,
            self.theme,
            self.close_to_tray,
        )
        session.business_ready.connect(self.show_business)
        session.business_failed.connect(lambda e: self.status.setText(f"Not saved: {e}"))
        session.team_ready.connect(self._show_team)
        session.logo_ready.connect(self._show_logo)
        self._apply_role()
        self._enable_team()

    def _apply_role(self) -> None:
        """Staff may edit the profile and the facts; the rest is the owner's (as the server
        rules), shown but disabled with the reason."""
        owner_only: list[QWidget] = [
            self.contact_email,
            self.colour,
            self.logo_button,
            self.threshold,
            self.follow_up_on,
            self.follow_up_delay,
            self.reply_alerts,
            self.member_toggle,
            self.invite_email,
            self.invite_name,
            self.invite_button,
            *self.mode.buttons(),
        ]
        for widget in owner_only:
            widget.setEnabled(self.is_owner)
            if not self.is_owner:
                widget.setToolTip(OWNER_ONLY)
        if not self.is_owner:
            self.remove_logo.setToolTip(OWNER_ONLY)

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
        self.threshold.setValue(round(business.auto_reply_threshold * 100))
        self.facts.setPlainText(business.facts or "")
        self.follow_up_on.setChecked(business.follow_up_enabled)
        self.follow_up_delay.setValue(round(business.follow_up_delay_h or DEFAULT_FOLLOW_UP_H))
        self.follow_up_delay.setEnabled(business.follow_up_enabled and self.is_owner)
        self.timezone.setCurrentText(business.timezone)
        if business.logo_url:
            self.session.load_logo(business.logo_url)
        else:
            self.logo.setPixmap(QPixmap())
            self.logo.setText("No logo")
        self.remove_logo.setEnabled(self.is_owner and bool(business.logo_url))
        self.reply_alerts.setChecked(business.reply_alerts)
        self.inbound.setText(
            "Customers' e-mail answers come back into each lead's thread."
            if business.inbound_enabled
            else "Inbound mail is off on this server: customers' answers go to your contact"
            " email and do not appear in LeadFlow."
        )
        self.status.setText("")

    def _show_logo(self, data: bytes) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.logo.setPixmap(
                pixmap.scaled(
                    self.logo.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def _choose_logo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose a logo", "", "Images (*.png *.jpg *.jpeg *.webp)"
        )
        if path:
            self.status.setText("Uploading the logo…")
            self.session.upload_logo(path)

    def _remove_logo(self) -> None:
        if confirm(
            self,
            "Remove logo",
            "The form and the e-mails will show the business name without a logo. Remove it?",
            "Remove logo",
        ):
            self.status.setText("Removing the logo…")
            self.session.remove_logo()

    def _set_colour(self, value: str) -> None:
        self.colour_value = value
        self.colour.setText(value)
        # The swatch is the brand colour itself; its text picks black or white to stay legible.
        text = "black" if QColor(value).lightness() > 150 else "white"
        self.colour.setStyleSheet(f"background: {value}; color: {text}")

    def _pick_colour(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour_value), self, "Brand colour")
        if chosen.isValid():
            self._set_colour(chosen.name())

    def _choose_theme(self, _index: int) -> None:
        theme = str(self.theme.currentData())
        self.app_settings.setValue("appearance/theme", theme)
        apply_theme(theme)

    def _choose_mode(self, _number: int) -> None:
        self._mode_chosen = True

    def _show_mode(self, number: int) -> None:
        _label, smart, approval, text = MODES[number]
        self.mode_rules.setText(text)
        self.switches.setText(
            f"Automatic replies {'on' if smart else 'off'}"
            + (f" · your approval {'required' if approval else 'not required'}" if smart else "")
        )

    def changes(self) -> dict[str, Any]:
        if self.business is None:
            return {}
        _label, smart, approval, _text = MODES[max(0, self.mode.checkedId())]
        wanted: dict[str, Any] = {
            "name": self.name.text().strip(),
            "industry": self.industry.text().strip() or None,
            "phone": self.phone.text().strip() or None,
            "address": self.address.toPlainText().strip() or None,
            "facts": self.facts.toPlainText().strip() or None,
            "timezone": self.timezone.currentText().strip() or self.business.timezone,
        }
        if self.is_owner:
            wanted.update(
                contact_email=self.contact_email.text().strip(),
                brand_color=self.colour_value,
                smart_auto_reply=smart,
                owner_approval_required=approval,
                auto_reply_threshold=self.threshold.value() / 100,
                follow_up_enabled=self.follow_up_on.isChecked(),
                reply_alerts=self.reply_alerts.isChecked(),
            )
            delay = float(self.follow_up_delay.value())
            if delay != (self.business.follow_up_delay_h or DEFAULT_FOLLOW_UP_H):
                wanted["follow_up_delay_h"] = delay
        changed = {k: v for k, v in wanted.items() if getattr(self.business, k) != v}
        if (
            "auto_reply_threshold" in changed
            and round(self.business.auto_reply_threshold * 100) == self.threshold.value()
        ):
            del changed["auto_reply_threshold"]  # the same percentage, read back rounded
        if self.is_owner and (self._mode_chosen or "smart_auto_reply" in changed):
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
            role = label(MemberRole, member.get("role"), "Member")
            status = TEAM_STATUS.get(str(member.get("status")), "")
            item = QListWidgetItem(
                f"{member.get('full_name') or member.get('email')} — "
                f"{member.get('email')} · {role} · {status}"
            )
            item.setData(Qt.ItemDataRole.UserRole, member)
            self.team.addItem(item)
        self._enable_team()

    def _chosen_member(self) -> dict[str, Any] | None:
        items = self.team.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _enable_team(self) -> None:
        member = self._chosen_member()
        me = self.session.account.email.lower()
        active = member is not None and member.get("status") != "deactivated"
        self.member_toggle.setText("Deactivate" if active or member is None else "Reactivate")
        self.member_toggle.setEnabled(
            self.is_owner and member is not None and str(member.get("email", "")).lower() != me
        )

    def _toggle_member(self) -> None:
        member = self._chosen_member()
        if member is None:
            return
        reactivate = member.get("status") == "deactivated"
        name = member.get("full_name") or member.get("email")
        if reactivate or confirm(
            self,
            "Deactivate team member",
            f"{name} will no longer be able to sign in to this business. Deactivate?",
            "Deactivate",
        ):
            self.session.set_member_active(str(member["member_id"]), reactivate)

    def _invite(self) -> None:
        email = self.invite_email.text().strip()
        if email:
            self.session.invite_member(email, self.invite_name.text().strip())
            self.invite_email.clear()
            self.invite_name.clear()

"""``BusinessForm``: the fields of a business (info, owner, branding with logo, automation)
shared by the Create and Edit pages."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.admin.common import Dialogs
from desktop.ui.keyboard import tab_leaves

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#2563eb"
LOGO_FILTER = "Images (*.png *.jpg *.jpeg *.webp)"


def optional(text: str) -> str | None:
    return text.strip() or None


class BusinessForm(QWidget):
    def __init__(
        self, dialogs: Dialogs, *, with_owner: bool, with_form: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.dialogs = dialogs
        self.logo_path: str | None = None
        self.remove_logo = False
        self.name, self.industry, self.phone = QLineEdit(), QLineEdit(), QLineEdit()
        self.contact_email, self.address = QLineEdit(), QLineEdit()
        self.facts = QPlainTextEdit()
        self.facts.setPlaceholderText("Opening hours, service area, anything replies may rely on")
        self.facts.setMaximumHeight(70)
        tab_leaves(self.facts)
        self.services = QLineEdit()
        self.services.setPlaceholderText("Comma-separated, e.g. Leak repair, Boiler service")
        info = QFormLayout()
        for label, widget in (
            ("Name *", self.name),
            ("Industry", self.industry),
            ("Phone", self.phone),
            ("Contact email *", self.contact_email),
            ("Address", self.address),
            ("Facts", self.facts),
        ):
            info.addRow(label, widget)
        if with_owner:
            info.addRow("Form services", self.services)
        layout = QVBoxLayout(self)
        layout.addWidget(self._group("Business", info))
        self.owner_email, self.owner_name = QLineEdit(), QLineEdit()
        if with_owner:
            owner = QFormLayout()
            owner.addRow("Owner email *", self.owner_email)
            owner.addRow("Owner name *", self.owner_name)
            layout.addWidget(self._group("Owner (receives the invite)", owner))
        layout.addWidget(self._group("Branding", self._branding()))
        self.smart_auto_reply = QCheckBox("Smart auto-reply (AI answers safe requests)")
        self.owner_approval = QCheckBox("Owner approves AI replies before they are sent")
        self.owner_approval.setChecked(True)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.8)
        automation = QFormLayout()
        automation.addRow(self.smart_auto_reply)
        automation.addRow(self.owner_approval)
        automation.addRow("Confidence threshold", self.threshold)
        layout.addWidget(self._group("Automation", automation))
        self.slug, self.form_title = QLineEdit(), QLineEdit()
        self.form_active = QCheckBox("The public form takes requests")
        if with_form:
            form = QFormLayout()
            form.addRow("Form address (slug)", self.slug)
            form.addRow("Form title", self.form_title)
            form.addRow(self.form_active)
            layout.addWidget(self._group("Public form", form))
        layout.addStretch(1)
        self._loaded: dict[str, Any] = {}
        self._loaded_form: dict[str, Any] = {}

    @staticmethod
    def _group(title: str, inner: Any) -> QGroupBox:
        box = QGroupBox(title)
        box.setLayout(inner)
        return box

    def _branding(self) -> QFormLayout:
        self.colour = QLineEdit(DEFAULT_COLOUR)
        self.colour.setMaximumWidth(100)
        self.swatch = QLabel()
        self.swatch.setFixedSize(28, 20)
        self.colour.textChanged.connect(self._paint_swatch)
        pick = QPushButton("Pick…")
        pick.clicked.connect(self._pick_colour)
        colour_row = QHBoxLayout()
        for widget in (self.colour, self.swatch, pick):
            colour_row.addWidget(widget)
        colour_row.addStretch(1)
        self.logo_preview = QLabel("No logo")
        self.logo_preview.setFixedSize(96, 48)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border: 1px dashed #9ca3af")
        choose = QPushButton("Choose logo…")
        choose.clicked.connect(self._choose_logo)
        self.clear_logo = QPushButton("Remove logo")
        self.clear_logo.clicked.connect(self._remove_logo)
        logo_row = QHBoxLayout()
        for widget in (self.logo_preview, choose, self.clear_logo):
            logo_row.addWidget(widget)
        logo_row.addStretch(1)
        branding = QFormLayout()
        branding.addRow("Brand colour", colour_row)
        branding.addRow("Logo (PNG, JPEG, WebP ≤ 2 MB)", logo_row)
        self._paint_swatch(DEFAULT_COLOUR)
        return branding

    def _paint_swatch(self, text: str) -> None:
        colour = text if COLOUR.match(text.strip()) else "transparent"
        self.swatch.setStyleSheet(f"background: {colour}; border: 1px solid #6b7280")

    def _pick_colour(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour.text()), self, "Brand colour")
        if chosen.isValid():
            self.colour.setText(chosen.name())

    def _choose_logo(self) -> None:
        path = self.dialogs.open_path(self, "Choose a logo", LOGO_FILTER)
        if path:
            self.set_logo(path)

    def set_logo(self, path: str) -> None:
        self.logo_path, self.remove_logo = path, False
        pixmap = QPixmap(path)
        if pixmap.isNull():
            self.logo_preview.setText("Not an image")
        else:
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    96,
                    48,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def show_logo_bytes(self, data: bytes) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    96,
                    48,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def _remove_logo(self) -> None:
        self.logo_path, self.remove_logo = None, True
        self.logo_preview.clear()
        self.logo_preview.setText("No logo")

    # -- reading and filling ----------------------------------------------------------------------

    def problems(self, with_owner: bool) -> list[str]:
        """What must be fixed before sending (the server checks again)."""
        missing = []
        if not self.name.text().strip():
            missing.append("a business name")
        if "@" not in self.contact_email.text():
            missing.append("a contact email")
        if with_owner and "@" not in self.owner_email.text():
            missing.append("the owner's email")
        if with_owner and not self.owner_name.text().strip():
            missing.append("the owner's name")
        if not COLOUR.match(self.colour.text().strip()):
            missing.append("a brand colour like #0f766e")
        return missing

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "industry": optional(self.industry.text()),
            "phone": optional(self.phone.text()),
            "contact_email": self.contact_email.text().strip(),
            "address": optional(self.address.text()),
            "facts": optional(self.facts.toPlainText()),
            "brand_color": self.colour.text().strip(),
            "smart_auto_reply": self.smart_auto_reply.isChecked(),
            "owner_approval_required": self.owner_approval.isChecked(),
            "auto_reply_threshold": round(self.threshold.value(), 2),
        }

    def create_body(self) -> dict[str, Any]:
        body = {k: v for k, v in self.values().items() if v is not None}
        services = [s.strip() for s in self.services.text().split(",") if s.strip()]
        if services:
            body["services"] = services
        body["owner"] = {
            "email": self.owner_email.text().strip(),
            "full_name": self.owner_name.text().strip(),
        }
        return body

    def fill(self, business: Any, form: Any | None) -> None:
        self.name.setText(business.name)
        self.industry.setText(business.industry or "")
        self.phone.setText(business.phone or "")
        self.contact_email.setText(business.contact_email)
        self.address.setText(business.address or "")
        self.facts.setPlainText(business.facts or "")
        self.colour.setText(business.brand_color)
        self.smart_auto_reply.setChecked(business.smart_auto_reply)
        self.owner_approval.setChecked(business.owner_approval_required)
        self.threshold.setValue(business.auto_reply_threshold)
        self.logo_path, self.remove_logo = None, False
        self.logo_preview.clear()
        self.logo_preview.setText("Logo set" if business.logo_url else "No logo")
        self.clear_logo.setEnabled(bool(business.logo_url))
        self._loaded = self.values()
        if form is not None:
            self.slug.setText(form.slug)
            self.form_title.setText(form.title)
            self.form_active.setChecked(form.active)
        self._loaded_form = self.form_values() if form is not None else {}

    def form_values(self) -> dict[str, Any]:
        return {
            "slug": self.slug.text().strip(),
            "title": self.form_title.text().strip(),
            "active": self.form_active.isChecked(),
        }

    def changes(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The business fields and form fields that differ from what was loaded."""
        business = {k: v for k, v in self.values().items() if self._loaded.get(k) != v}
        form = {}
        if self._loaded_form:
            form = {k: v for k, v in self.form_values().items() if self._loaded_form.get(k) != v}
        return business, form

"""My form: its address (409 shown inline), texts, services, Pause/Activate, a live preview of
the real public page, the QR code with Save PNG."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import ApiError, ConflictError, ValidationError
from desktop.ui.keyboard import no_tab_stop, tab_leaves, tab_order
from desktop.ui.web_preview import FormPreview

if TYPE_CHECKING:
    from shared.models.business import FormOut


class FormPage(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.form: FormOut | None = None
        self.qr_png = b""
        self._previewed: FormOut | None = None
        self.url = QLabel("")
        self.url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.slug = QLineEdit()
        self.slug_error = QLabel("")
        self.slug_error.setProperty("role", "error")  # the theme's error colour, light or dark
        self.title_edit = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(110)
        self.success = QPlainTextEdit()
        self.success.setMaximumHeight(80)
        self.services = QListWidget()
        add = QPushButton("Add service")
        remove = QPushButton("Remove")
        self.save = QPushButton("Save")
        self.toggle = QPushButton("Pause form")
        self.open_page = QPushButton("Open the public page")
        self.status = QLabel("")
        self.preview = FormPreview()
        self.qr = QLabel()
        self.qr.setFixedSize(160, 160)
        self.qr.setScaledContents(True)
        self.save_qr = save_qr = QPushButton("Save QR as PNG…")
        self.save_qr_path = ""  # tests set a path instead of answering the dialog
        service_buttons = QHBoxLayout()
        service_buttons.addWidget(add)
        service_buttons.addWidget(remove)
        service_buttons.addStretch(1)
        form = QFormLayout()
        form.addRow("Address", self.url)
        form.addRow("Slug", self.slug)
        form.addRow("", self.slug_error)
        form.addRow("Title", self.title_edit)
        form.addRow("Description", self.description)
        form.addRow("Success message", self.success)
        form.addRow("Services", self.services)
        form.addRow("", service_buttons)
        actions = QHBoxLayout()
        for button in (self.save, self.toggle, self.open_page):
            actions.addWidget(button)
        actions.addStretch(1)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addLayout(actions)
        left.addWidget(self.status)
        qr_side = QVBoxLayout()
        qr_side.addWidget(QLabel("QR code of the form address"))
        qr_side.addWidget(save_qr)
        qr_side.addStretch(1)
        qr_row = QHBoxLayout()
        qr_row.addWidget(self.qr)
        qr_row.addLayout(qr_side, 1)
        right = QVBoxLayout()
        right.addWidget(QLabel("Live preview of the public page"))
        right.addWidget(self.preview, 1)
        right.addLayout(qr_row)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)
        add.clicked.connect(self._add_service)
        remove.clicked.connect(lambda: self.services.takeItem(self.services.currentRow()))
        self.save.clicked.connect(self._save)
        self.toggle.clicked.connect(self._toggle)
        self.open_page.clicked.connect(
            lambda: self.form and self.form.url and QDesktopServices.openUrl(QUrl(self.form.url))
        )
        save_qr.clicked.connect(self._save_qr)
        self.slug.setAccessibleName("Slug")
        self.title_edit.setAccessibleName("Title")
        self.description.setAccessibleName("Description")
        self.success.setAccessibleName("Success message")
        self.services.setAccessibleName("Services")
        self.add_service, self.remove_service = add, remove
        for field in (self.slug, self.title_edit):
            field.returnPressed.connect(self._save)  # Enter in a field saves, as in a dialog
        self.save.setDefault(True)
        tab_leaves(self.description, self.success)
        no_tab_stop(self.preview)  # a picture of the public page: "Open the public page" opens it
        tab_order(
            self.slug,
            self.title_edit,
            self.description,
            self.success,
            self.services,
            add,
            remove,
            self.save,
            self.toggle,
            self.open_page,
            save_qr,
        )
        session.form_ready.connect(self.show_form)
        session.form_failed.connect(self.show_error)
        session.qr_ready.connect(self._on_qr)

    def refresh(self) -> None:
        self.session.load_form()

    def show_form(self, form: FormOut) -> None:
        slug_changed = self.form is None or self.form.slug != form.slug
        self.form = form
        self.url.setText(form.url or form.slug)
        self.slug.setText(form.slug)
        self.slug_error.setText("")
        self.title_edit.setText(form.title)
        self.description.setPlainText(form.description)
        self.success.setPlainText(form.success_message)
        self.services.clear()
        for service in form.services:
            self._service_item(service)
        self.toggle.setText("Pause form" if form.active else "Activate form")
        self.status.setText(
            "Active: customers can send requests."
            if form.active
            else "Paused: the public page says the form is unavailable."
        )
        if slug_changed or not self.qr_png:
            self.session.load_qr(form.slug)
        if self.isVisible() and form.url and form != self._previewed:
            self._previewed = form
            self.preview.show_url(form.url)  # the real page, again after each change

    def _service_item(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.services.addItem(item)
        return item

    def _add_service(self) -> None:
        item = self._service_item("New service")
        self.services.setCurrentItem(item)
        self.services.editItem(item)

    def changes(self) -> dict[str, Any]:
        if self.form is None:
            return {}
        wanted = {
            "slug": self.slug.text().strip(),
            "title": self.title_edit.text().strip(),
            "description": self.description.toPlainText().strip(),
            "success_message": self.success.toPlainText().strip(),
            "services": [
                self.services.item(i).text().strip()
                for i in range(self.services.count())
                if self.services.item(i).text().strip()
            ],
        }
        return {k: v for k, v in wanted.items() if getattr(self.form, k) != v}

    def _save(self) -> None:
        changes = self.changes()
        if changes:
            self.slug_error.setText("")
            self.status.setText("Saving…")
            self.session.save_form(changes)

    def _toggle(self) -> None:
        if self.form is not None:
            self.session.save_form({"active": not self.form.active})

    def show_error(self, error: Exception) -> None:
        if isinstance(error, ConflictError):
            self.slug_error.setText(f"{error.message} Choose another address.")
            self.status.setText("Not saved.")
        elif isinstance(error, ValidationError):
            fields = ", ".join(
                str(d.get("field", d)) if isinstance(d, dict) else str(d)
                for d in (error.details or [])
            )
            self.status.setText(f"Not saved: {error.message} {fields}")
        elif isinstance(error, ApiError):
            self.status.setText(f"Not saved: {error.message}")
        else:
            self.status.setText(f"Not saved: {error}")

    def _on_qr(self, png: bytes) -> None:
        self.qr_png = png
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.qr.setPixmap(pixmap)

    def _save_qr(self) -> None:
        if not self.qr_png:
            return
        name = f"{self.form.slug if self.form else 'form'}-qr.png"
        path = self.save_qr_path
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save QR code", name, "PNG (*.png)")
        if path:
            self.session.save_file(path, self.qr_png)

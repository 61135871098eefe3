"""Create business (then the form link and the invite's state) and Edit business."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.admin.business_form import BusinessForm
from desktop.ui.admin.common import Dialogs, StatusLine, words
from desktop.ui.keyboard import no_tab_stop

INVITE_POLL_MS = 1000
INVITE_POLLS = 30


def scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    no_tab_stop(area)  # it scrolls to the field Tab reaches
    area.setWidget(widget)
    return area


def invite_words(state: dict[str, Any]) -> str:
    owner, mail = state.get("owner"), state.get("email")
    if owner is None:
        return "No owner account found."
    text = f"{owner.full_name} <{owner.email}>: account {words(owner.status).lower()}"
    if mail is None:
        return text + "; no invite email yet."
    text += f"; invite email {words(mail.status).lower()}"
    if mail.status == "failed" and mail.error:
        text += f" ({mail.error})"
    return text + "."


class CreateBusinessPage(QWidget):
    created = Signal(object)  # BusinessOut

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.dialogs = service, dialogs
        self.business: Any = None
        self.form = BusinessForm(dialogs, with_owner=True, with_form=False)
        self.form.clear_logo.setEnabled(True)
        self.status = StatusLine()
        self.submit = QPushButton("Create business and invite the owner")
        self.submit.clicked.connect(self.create)
        self.result = QGroupBox("Created")
        self.link = QLabel()
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.invite = QLabel()
        self.invite.setWordWrap(True)
        copy = QPushButton("Copy form link")
        copy.clicked.connect(self.copy_link)
        again = QPushButton("Create another")
        again.clicked.connect(self.reset)
        result_layout = QVBoxLayout(self.result)
        link_row = QHBoxLayout()
        link_row.addWidget(self.link, 1)
        link_row.addWidget(copy)
        result_layout.addLayout(link_row)
        result_layout.addWidget(self.invite)
        result_layout.addWidget(again, 0, Qt.AlignmentFlag.AlignLeft)
        self.result.hide()
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self.result)
        column.addWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(scrolled(inner), 1)
        layout.addWidget(self.submit, 0, Qt.AlignmentFlag.AlignRight)
        self._polls = 0
        self._poll = QTimer(self, singleShot=True, interval=INVITE_POLL_MS)
        self._poll.timeout.connect(self._check_invite)
        service.business_saved.connect(self._on_saved)
        service.failed.connect(self._on_failed)
        service.invite_state.connect(self._on_invite)

    def create(self) -> None:
        problems = self.form.problems(with_owner=True)
        if problems:
            self.status.error("Please fill in " + ", ".join(problems) + ".")
            return
        self.submit.setEnabled(False)
        self.status.info("Creating…")
        self.service.create_business(self.form.create_body(), self.form.logo_path)

    def _on_saved(self, action: str, business: Any) -> None:
        if action == "created" and not self.submit.isEnabled() and self.business is None:
            self.business = business
            self.submit.setEnabled(True)
            self.submit.hide()
            self.form.setEnabled(False)
            self.status.info(f"{business.name} was created (pending until its owner signs in).")
            self.link.setText(f"Form link: <a href='{business.form_url}'>{business.form_url}</a>")
            self.link.setOpenExternalLinks(True)
            self.invite.setText("Invite email: queued…")
            self.result.show()
            self._polls = 0
            self._check_invite()
            self.created.emit(business)
        elif action == "logo" and self.business is not None and business.id == self.business.id:
            self.business = business
            self.status.info(f"{business.name} was created with its logo.")

    def _on_failed(self, action: str, error: Any) -> None:
        if action == "create_business":
            self.submit.setEnabled(True)
            prefix = "The logo was not saved: " if self.business is not None else ""
            self.status.error(error)
            if prefix:
                self.status.setText(prefix + self.status.text())

    def _check_invite(self) -> None:
        if self.business is not None:
            self._polls += 1
            self.service.check_invite(str(self.business.id))

    def _on_invite(self, business_id: str, state: dict[str, Any]) -> None:
        if self.business is None or business_id != str(self.business.id):
            return
        self.invite.setText(invite_words(state))
        mail = state.get("email")
        if (mail is None or mail.status == "queued") and self._polls < INVITE_POLLS:
            self._poll.start()

    def copy_link(self) -> None:
        if self.business is not None and self.business.form_url:
            QGuiApplication.clipboard().setText(self.business.form_url)
            self.status.info(f"Copied {self.business.form_url}")

    def reset(self) -> None:
        self._poll.stop()
        self.business = None
        self.result.hide()
        self.submit.show()
        self.submit.setEnabled(True)
        self.status.clear_text()
        old = self.form
        self.form = BusinessForm(self.dialogs, with_owner=True, with_form=False)
        old.parentWidget().layout().replaceWidget(old, self.form)
        old.deleteLater()


class EditBusinessPage(QWidget):
    saved = Signal(object)  # BusinessOut

    def __init__(self, service: Any, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.business_id: str | None = None
        self.title = QLabel("Choose a business on the Businesses page.")
        self.title.setStyleSheet("font-size: 18px; font-weight: 600")
        self.status = StatusLine()
        self.form = BusinessForm(dialogs, with_owner=False, with_form=True)
        self.form.setEnabled(False)
        self.save = QPushButton("Save changes")
        self.save.setEnabled(False)
        self.save.clicked.connect(self.submit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(scrolled(self.form), 1)
        layout.addWidget(self.save, 0, Qt.AlignmentFlag.AlignRight)
        service.business_loaded.connect(self._on_loaded)
        service.business_saved.connect(self._on_saved)
        service.logo_loaded.connect(self._on_logo)
        service.form_saved.connect(self._on_form_saved)
        service.failed.connect(self._on_failed)

    def open_business(self, business_id: str) -> None:
        self.business_id = business_id
        self.form.setEnabled(False)
        self.save.setEnabled(False)
        self.title.setText("Loading…")
        self.status.clear_text()
        self.service.load_business(business_id)

    def _on_loaded(self, business: Any, form: Any) -> None:
        if str(business.id) != self.business_id:
            return
        self.title.setText(f"{business.name} — {words(business.status).lower()}")
        self.form.fill(business, form)
        self.form.setEnabled(True)
        self.save.setEnabled(True)

    def _on_logo(self, business_id: str, data: bytes) -> None:
        if business_id == self.business_id and self.form.logo_path is None:
            self.form.show_logo_bytes(data)

    def submit(self) -> None:
        if self.business_id is None:
            return
        problems = self.form.problems(with_owner=False)
        if problems:
            self.status.error("Please fill in " + ", ".join(problems) + ".")
            return
        changes, form_changes = self.form.changes()
        if not (changes or form_changes or self.form.logo_path or self.form.remove_logo):
            self.status.info("Nothing to save.")
            return
        self.save.setEnabled(False)
        self.status.info("Saving…")
        self.service.update_business(
            self.business_id, changes, form_changes, self.form.logo_path, self.form.remove_logo
        )

    def _on_saved(self, action: str, business: Any) -> None:
        if action != "updated" or str(business.id) != self.business_id:
            return
        self.save.setEnabled(True)
        self.status.info("Saved.")
        self.service.load_business(self.business_id)
        self.saved.emit(business)

    def _on_form_saved(self, form: Any) -> None:
        if str(form.business_id) == self.business_id:
            self.status.info("Form saved.")

    def _on_failed(self, action: str, error: Any) -> None:
        if action in ("update_business", "load_business") and self.business_id is not None:
            self.save.setEnabled(action == "update_business")
            self.status.error(error)

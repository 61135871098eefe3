"""The sign-in dialog: server URL, email, password; "forgot password" opens the server's page."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from desktop.errors import AuthError, DesktopError, OfflineError, RateLimitedError
from desktop.ui.tray import app_icon


def explain(error: Exception) -> str:
    if isinstance(error, AuthError):
        return "Wrong email or password."
    if isinstance(error, OfflineError):
        return "The server cannot be reached. Check the address and your connection."
    if isinstance(error, RateLimitedError):
        return "Too many attempts. Wait a few minutes and try again."
    if isinstance(error, DesktopError):
        return str(error)
    return f"Sign-in failed: {error}"


NO_KEYRING = (
    "No system keyring works here, so LeadFlow asks for your password at each start "
    "and never writes your sign-in to disk."
)


def keyring_note(parent: Any) -> QMessageBox:
    """Say (without blocking) that the sign-in cannot be remembered on this system."""
    box = QMessageBox(QMessageBox.Icon.Information, "No keyring", NO_KEYRING, parent=parent)
    box.setObjectName("keyring-note")
    box.open()
    return box


DEFAULT_SERVER = "http://127.0.0.1:8000"


class LoginDialog(QDialog):
    """LeadFlow's first screen: the product, the server's address (the local default filled
    in, the last one used remembered), the last e-mail used, the password. Notices are
    neutral; only a failed sign-in is an error."""

    def __init__(
        self,
        signin: Any,
        server_url: str = "",
        email: str = "",
        note: str = "",
        parent: Any = None,
        settings: Any = None,
    ) -> None:
        super().__init__(parent)
        self.signin = signin
        self.settings = settings
        remembered = (
            (lambda key: str(settings.value(key, "") or "")) if settings else (lambda _: "")
        )
        server_url = server_url or remembered("signin/server") or DEFAULT_SERVER
        email = email or remembered("signin/email")
        self.setWindowTitle("Sign in to LeadFlow")
        self.setMinimumWidth(440)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(48, 48))
        heading = QLabel("LeadFlow")
        heading.setProperty("role", "title")
        tagline = QLabel("Sign in to answer your leads.")
        tagline.setProperty("role", "muted")
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(heading)
        titles.addWidget(tagline)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(logo)
        top.addLayout(titles, 1)
        self.server = QLineEdit(server_url)
        self.server.setAccessibleName("Server address")
        self.server.setPlaceholderText(DEFAULT_SERVER)
        self.email = QLineEdit(email)
        self.email.setAccessibleName("E-mail")
        self.email.setPlaceholderText("you@yourbusiness.com")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for field in (self.server, self.email, self.password):
            field.setMinimumWidth(280)
        self.error = QLabel(note)
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setObjectName("sign-in-notice")
        self._set_notice(note, error=False)
        self.submit = QPushButton("Sign in")
        self.submit.setDefault(True)
        self.forgot = QPushButton("Forgot password?")
        self.forgot.setFlat(True)
        form = QFormLayout()
        form.setVerticalSpacing(8)
        # The server first, as self-hosted apps ask it: the address the rest is sent to.
        form.addRow("Server", self.server)
        form.addRow("E-mail", self.email)
        form.addRow("Password", self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.forgot)
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 20)
        layout.setSpacing(16)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        # Keyboard order: server, e-mail, password, Sign in, then "Forgot password?".
        for first, then in (
            (self.server, self.email),
            (self.email, self.password),
            (self.password, self.submit),
            (self.submit, self.forgot),
        ):
            self.setTabOrder(first, then)
        self.account: Any = None
        self.refresh_token = ""
        self.submit.clicked.connect(self._submit)
        self.forgot.clicked.connect(self._forgot)
        signin.signed_in.connect(self._done)
        signin.failed.connect(self._failed)
        # Always the e-mail field first, its remembered text selected: Tab reaches the password,
        # Shift+Tab the server, and typing replaces a remembered address (the keyboard path is
        # the same on every start).
        self.email.selectAll()
        self.email.setFocus()

    def _set_notice(self, text: str, error: bool) -> None:
        """A neutral notice (muted text) or an error (the palette's alert colour)."""
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.error.setProperty("role", "error" if error else "muted")
        self.error.style().unpolish(self.error)
        self.error.style().polish(self.error)

    @property
    def is_error(self) -> bool:
        return self.error.property("role") == "error"

    def _submit(self) -> None:
        if not (self.server.text().strip() and self.email.text().strip() and self.password.text()):
            self._set_notice("Fill in your e-mail, your password and the server.", error=True)
            return
        self.submit.setEnabled(False)
        self._set_notice("Signing in…", error=False)
        self.signin.sign_in(
            self.server.text().strip(), self.email.text().strip(), self.password.text()
        )

    def _forgot(self) -> None:
        if not (self.server.text().strip() and self.email.text().strip()):
            self._set_notice("Fill in the server and your e-mail first.", error=True)
            return
        self.signin.forgot_password(self.server.text().strip(), self.email.text().strip())
        self._set_notice(
            "If the address has an account, a reset link is on its way by e-mail.", error=False
        )

    def _done(self, account: Any, token: str) -> None:
        self.account, self.refresh_token = account, token
        if self.settings is not None:
            self.settings.setValue("signin/server", self.server.text().strip())
            self.settings.setValue("signin/email", self.email.text().strip())
        self.password.clear()
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.submit.setEnabled(True)
        self._set_notice(explain(error), error=True)

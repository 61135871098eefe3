"""The sign-in dialog: server URL, email, password; "forgot password" opens the server's page."""

from __future__ import annotations

from typing import Any

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


class LoginDialog(QDialog):
    def __init__(
        self,
        signin: Any,
        server_url: str = "http://127.0.0.1:8000",
        email: str = "",
        note: str = "",
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.signin = signin
        self.setWindowTitle("Sign in to LeadFlow")
        self.server = QLineEdit(server_url)
        self.email = QLineEdit(email)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(note)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c53030")
        self.submit = QPushButton("Sign in")
        self.submit.setDefault(True)
        self.forgot = QPushButton("Forgot password?")
        self.forgot.setFlat(True)
        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.forgot)
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.account: Any = None
        self.refresh_token = ""
        self.submit.clicked.connect(self._submit)
        self.forgot.clicked.connect(self._forgot)
        signin.signed_in.connect(self._done)
        signin.failed.connect(self._failed)
        (self.password if email else self.email).setFocus()

    def _submit(self) -> None:
        if not (self.server.text().strip() and self.email.text().strip() and self.password.text()):
            self.error.setText("Fill in the server, your email and your password.")
            return
        self.submit.setEnabled(False)
        self.error.setText("Signing in…")
        self.signin.sign_in(
            self.server.text().strip(), self.email.text().strip(), self.password.text()
        )

    def _forgot(self) -> None:
        if not (self.server.text().strip() and self.email.text().strip()):
            self.error.setText("Fill in the server and your email first.")
            return
        self.signin.forgot_password(self.server.text().strip(), self.email.text().strip())
        self.error.setText("If the address has an account, a reset link is on its way by email.")

    def _done(self, account: Any, token: str) -> None:
        self.account, self.refresh_token = account, token
        self.password.clear()
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.submit.setEnabled(True)
        self.error.setText(explain(error))

"""Which window is up: sign-in, then the main window of one business; switching and signing out."""

from __future__ import annotations

from typing import Any

import httpx
from PySide6.QtCore import QObject, QSettings, Signal

from desktop.accounts import Account, forget_account, save_account
from desktop.secrets import SecretStore
from desktop.service_thread import ServiceThread
from desktop.session import Session
from desktop.signin import SignIn
from desktop.ui.login import LoginDialog
from desktop.ui.main_window import MainWindow

NO_KEYRING = (
    "No system keyring works here, so LeadFlow asks for your password at each start "
    "and never writes your sign-in to disk."
)


class AppController(QObject):
    window_opened = Signal(object)  # MainWindow
    login_shown = Signal(object)  # LoginDialog

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        settings: QSettings | None = None,
        poll_s: float = 30.0,
        modal_login: bool = True,
    ) -> None:
        super().__init__()
        self.service = ServiceThread()
        self.service.start()
        self.secrets = SecretStore()
        self.transport = transport
        self.settings = settings or QSettings("LeadFlow", "LeadFlow")
        self.poll_s = poll_s
        self.modal_login = modal_login
        self.signin = SignIn(self.service, self.secrets, transport)
        self.session: Session | None = None
        self.window: MainWindow | None = None
        self.login: LoginDialog | None = None
        self._keyring_missing = False
        self.signin.restored.connect(self._restored)
        self.signin.keyring_unavailable.connect(self._no_keyring)

    def start(self) -> None:
        self.signin.restore()

    def _no_keyring(self) -> None:
        self._keyring_missing = True
        if self.login is not None:
            self.login.error.setText(NO_KEYRING)

    def _restored(self, account: Account | None, token: str | None) -> None:
        if account is not None and token:
            self.open_session(account, token)
        else:
            self.show_login(account, NO_KEYRING if self._keyring_missing else "")

    def show_login(self, account: Account | None = None, note: str = "") -> None:
        self.login = LoginDialog(
            self.signin,
            account.server_url if account else "http://127.0.0.1:8000",
            account.email if account else "",
            note,
        )
        self.login.accepted.connect(self._login_accepted)
        self.login_shown.emit(self.login)
        if self.modal_login:
            self.login.open()
        else:
            self.login.show()

    def _login_accepted(self) -> None:
        login = self.login
        if login is not None and login.account is not None:
            self.open_session(login.account, login.refresh_token)
            self.login = None

    def open_session(self, account: Account, token: str | None) -> None:
        self.close_session()
        self.session = Session(
            account,
            token,
            service=self.service,
            secrets=self.secrets,
            transport=self.transport,
            poll_s=self.poll_s,
        )
        self.window = MainWindow(self.session, self.settings)
        self.window.sign_out_requested.connect(self.sign_out)
        self.window.switch_business.connect(self.switch_business)
        self.session.auth_failed.connect(self._auth_failed)
        self.session.start()
        self.window.show()
        self.window_opened.emit(self.window)

    def close_session(self) -> None:
        if self.window is not None:
            self.window.quitting = True
            self.window.save_state()
            self.window.close()
            self.window.deleteLater()
            self.window = None
        if self.session is not None:
            self.session.stop()
            self.session.deleteLater()
            self.session = None

    def switch_business(self, business_id: str) -> None:
        if self.session is None or business_id == self.session.account.business_id:
            return
        account = self.session.account
        token = self.session.api.refresh_token
        account.business_id = business_id
        save_account(account)
        self.open_session(account, token)

    def sign_out(self, remove_local_copy: bool) -> None:
        if self.session is None:
            return
        session = self.session
        session.signed_out.connect(lambda remove: self._signed_out(session.account, remove))
        session.sign_out(remove_local_copy)

    def _signed_out(self, account: Account, remove: bool) -> None:
        self.close_session()
        forget_account(account, remove)
        self.show_login(account)

    def _auth_failed(self, _error: Any) -> None:
        if self.session is not None and self.login is None:
            account = self.session.account
            self.close_session()
            self.show_login(account, "Your sign-in has expired. Sign in again.")

    def shutdown(self) -> None:
        self.close_session()
        if self.login is not None:
            self.login.close()
        self.service.stop()

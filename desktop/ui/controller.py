"""Which window is up: sign-in, then the main window of one business (with the admin console
for a super-admin who is also a member), or the admin console alone for a super-admin with no
business; switching and signing out."""

from __future__ import annotations

from typing import Any

import httpx
from PySide6.QtCore import QObject, QSettings, Signal

from desktop.accounts import Account, forget_account, save_account
from desktop.admin.mode import AdminMode
from desktop.secrets import SecretStore
from desktop.service_thread import ServiceThread
from desktop.session import Session
from desktop.signin import SignIn
from desktop.ui.admin import AdminConsole
from desktop.ui.admin_window import AdminWindow
from desktop.ui.login import NO_KEYRING, LoginDialog, keyring_note
from desktop.ui.main_window import MainWindow
from desktop.ui.models import use_readable_locale
from desktop.ui.theme import apply_theme

SUPER_ADMIN = "super_admin"
NO_BUSINESS = "This account has no business yet. Accept your invite, then sign in again."


class AppController(QObject):
    """Decides when the app ends: when the person closes the main window or dismisses the sign-in
    with no window open. Windows that the controller closes itself (sign-out, switching) never end
    it, so the app does not rely on Qt's "last window closed", which also fires between the
    sign-in dialog closing and the main window opening."""

    window_opened = Signal(object)  # MainWindow or AdminWindow
    login_shown = Signal(object)  # LoginDialog
    quit_requested = Signal()

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
        apply_theme(str(self.settings.value("appearance/theme", "system")))
        use_readable_locale()
        self.poll_s = poll_s
        self.modal_login = modal_login
        self.signin = SignIn(self.service, self.secrets, transport)
        self.session: Session | None = None
        self.admin: AdminMode | None = None
        self.window: MainWindow | AdminWindow | None = None
        self.login: LoginDialog | None = None
        self._keyring_missing = False
        self._lead_to_open: str | None = None  # from a leadflow:// link, until a window is up
        self.keyring_notes = 0  # times the user was told (once per start, at most)
        self.signin.restored.connect(self._restored)
        self.signin.keyring_unavailable.connect(self._no_keyring)

    def start(self) -> None:
        self.signin.restore()

    def _no_keyring(self) -> None:
        """No keyring backend: say so once per start (the sign-in dialog at start, else the
        window once it is up); the token then lives in memory only."""
        self._keyring_missing = True
        if self.window is not None:
            self._tell_no_keyring()

    def _tell_no_keyring(self) -> None:
        if self._keyring_missing and not self.keyring_notes and self.window is not None:
            self.keyring_notes += 1
            keyring_note(self.window)

    def _restored(self, account: Account | None, token: str | None) -> None:
        if account is not None and token:
            self.open_session(account, token)
        elif self._keyring_missing:
            self.keyring_notes += 1
            self.show_login(account, NO_KEYRING)
        else:
            self.show_login(account)

    def show_login(self, account: Account | None = None, note: str = "") -> None:
        self.login = LoginDialog(
            self.signin,
            account.server_url if account else "",
            account.email if account else "",
            note,
            settings=self.settings,
        )
        self.login.accepted.connect(self._login_accepted)
        self.login.rejected.connect(self._login_dismissed)
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

    def open_link(self, lead_id: str) -> None:
        """A ``leadflow://lead/<id>`` link (or a second start, with ``""``): the lead in the open
        window, or in the next one once the person has signed in."""
        window = self.window
        if isinstance(window, MainWindow):
            window.open_lead(lead_id) if lead_id else window.bring_to_front()
        elif window is not None:
            window.raise_()
            window.activateWindow()
        else:
            self._lead_to_open = lead_id or None
            if self.login is not None:
                self.login.raise_()
                self.login.activateWindow()

    def _login_dismissed(self) -> None:
        if self.window is None:
            self.quit_requested.emit()

    def open_session(self, account: Account, token: str | None) -> None:
        self.close_session()
        is_admin = account.role == SUPER_ADMIN
        if not account.businesses:
            if is_admin:
                self._open_admin_only(account, token)
            else:
                self.show_login(account, NO_BUSINESS)
            return
        self.session = Session(
            account,
            token,
            service=self.service,
            secrets=self.secrets,
            transport=self.transport,
            poll_s=self.poll_s,
        )
        self.window = MainWindow(
            self.session, self.settings, self._admin_console if is_admin else None
        )
        self.window.sign_out_requested.connect(self.sign_out)
        self.window.switch_business.connect(self.switch_business)
        self.window.closed_by_user.connect(self.quit_requested)
        self.session.auth_failed.connect(self._auth_failed)
        self.session.keyring_unavailable.connect(self._no_keyring)
        self.session.start()
        self.window.load()
        self.window.show()
        self.window_opened.emit(self.window)
        if self._lead_to_open:
            self.window.open_lead(self._lead_to_open)
            self._lead_to_open = None
        self._tell_no_keyring()

    def _admin_console(self) -> AdminConsole:
        """The console of a member who is also a super-admin, over the session's own client."""
        assert self.session is not None
        if self.admin is None:
            self.admin = AdminMode(
                self.session.account,
                service=self.service,
                secrets=self.secrets,
                api=self.session.api,
            )
        return AdminConsole(self.admin.admin)

    def _open_admin_only(self, account: Account, token: str | None) -> None:
        """A super-admin with no business: the console alone, and no owner sync at all."""
        self.admin = AdminMode(
            account, token, service=self.service, secrets=self.secrets, transport=self.transport
        )
        self.admin.auth_failed.connect(self._auth_failed)
        self.admin.keyring_unavailable.connect(self._no_keyring)
        self.admin.signed_out.connect(lambda: self._signed_out(account, True))
        window = AdminWindow(self.admin, self.settings)
        window.sign_out_requested.connect(self.sign_out)
        window.closed_by_user.connect(self.quit_requested)
        self.window = window
        window.show()
        self.window_opened.emit(window)
        self._tell_no_keyring()

    def close_session(self) -> None:
        if self.window is not None:
            self.window.quitting = True
            self.window.save_state()
            self.window.close()
            self.window.deleteLater()
            self.window = None
        if self.admin is not None:
            self.admin.stop()  # before the session: it may borrow the session's client
            self.admin.deleteLater()
            self.admin = None
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
            if self.admin is not None:
                self.admin.sign_out()
            return
        session = self.session
        session.signed_out.connect(lambda remove: self._signed_out(session.account, remove))
        session.sign_out(remove_local_copy)

    def _signed_out(self, account: Account, remove: bool) -> None:
        if self.admin is not None:
            self.admin.clear_cache()
        self.close_session()
        forget_account(account, remove)
        self.show_login(account)

    def _auth_failed(self, error: Any) -> None:
        owner = self.session or self.admin
        if owner is not None and self.login is None:
            account = owner.account
            self.close_session()
            # The server says why in words (e.g. a deactivated account); else a generic reason.
            reason = getattr(error, "message", "") or "Your sign-in has expired. Sign in again."
            self.show_login(account, reason)

    def shutdown(self) -> None:
        self.close_session()
        if self.login is not None:
            self.login.rejected.disconnect(self._login_dismissed)
            self.login.close()
        self.service.stop()

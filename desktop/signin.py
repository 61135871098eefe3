"""``SignIn``: the steps before a session (sign in, restore at start), off the GUI thread."""

from __future__ import annotations

import httpx
from PySide6.QtCore import QObject, Signal

from desktop.accounts import Account, load_account, save_account
from desktop.api import ApiClient
from desktop.errors import DesktopError, KeyringUnavailable
from desktop.secrets import SecretStore, account_key
from desktop.service_thread import ServiceThread


class SignIn(QObject):
    signed_in = Signal(object, str)  # Account, refresh token
    failed = Signal(object)  # DesktopError
    restored = Signal(object, object)  # Account | None, refresh token | None
    keyring_unavailable = Signal()

    def __init__(
        self,
        service: ServiceThread,
        secrets: SecretStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.secrets = secrets or SecretStore()
        self.transport = transport

    def restore(self) -> None:
        """The saved account and its refresh token, if the keyring has one."""

        async def work() -> None:
            account = load_account()
            token = None
            if account is not None:
                token = self.secrets.get(account_key(account.server_url, account.email))
                if token is None and not self.secrets.available:
                    self.keyring_unavailable.emit()
            self.restored.emit(account, token)

        self.service.submit(work())

    def sign_in(
        self, server_url: str, email: str, password: str, business_id: str | None = None
    ) -> None:
        async def work() -> None:
            api = ApiClient(server_url, transport=self.transport)
            try:
                tokens = await api.login(email, password)
                account = Account.from_login(server_url, email, tokens)
                previous = load_account()
                if business_id or (
                    previous
                    and previous.email == email
                    and previous.server_url == account.server_url
                ):
                    wanted = business_id or (previous.business_id if previous else None)
                    if any(b.id == wanted for b in account.businesses):
                        account.business_id = wanted
                save_account(account)
                try:
                    self.secrets.set(account_key(account.server_url, email), tokens.refresh_token)
                except KeyringUnavailable:
                    self.keyring_unavailable.emit()
                self.signed_in.emit(account, tokens.refresh_token)
            except DesktopError as error:
                self.failed.emit(error)
            finally:
                await api.aclose()

        self.service.submit(work())

    def forgot_password(self, server_url: str, email: str) -> None:
        """Ask the server to mail a reset link (202 whether or not the account exists)."""

        async def work() -> None:
            api = ApiClient(server_url, transport=self.transport)
            try:
                await api.forgot_password(email)
            except DesktopError as error:
                self.failed.emit(error)
            finally:
                await api.aclose()

        self.service.submit(work())

    def choose_business(self, account: Account, business_id: str) -> None:
        async def work() -> None:
            account.business_id = business_id
            save_account(account)

        self.service.submit(work())

"""``AdminMode``: the admin console's half of a signed-in super-admin, as a Qt service object.

Refresh tokens work once, so one login has exactly one ``ApiClient``:

- a super-admin who is also a business member already has the owner ``Session``; the console
  borrows that session's client (``AdminService.for_api``) and the session keeps the token;
- a super-admin with no business has no ``Session`` (nothing to sync); this object then holds
  the client itself and saves each rotated refresh token to the keyring, as ``Session`` does.

Signing out always clears the console's page cache: the last loaded admin pages are platform
data and must not outlive the sign-in on a shared computer.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

import desktop.qt_workarounds  # noqa: F401 - must patch before any signal is emitted
from desktop.accounts import Account
from desktop.admin.cache import PageCache
from desktop.admin.service import AdminService
from desktop.api import ApiClient
from desktop.errors import AuthError, DesktopError, KeyringUnavailable
from desktop.secrets import SecretStore, account_key
from desktop.service_thread import ServiceThread

log = logging.getLogger(__name__)


class AdminMode(QObject):
    signed_out = Signal()
    auth_failed = Signal(object)  # AuthError: the sign-in no longer works
    keyring_unavailable = Signal()

    def __init__(
        self,
        account: Account,
        refresh_token: str | None = None,
        *,
        service: ServiceThread,
        secrets: SecretStore | None = None,
        api: ApiClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: PageCache | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.account = account
        self.service = service
        self.secrets = secrets or SecretStore()
        self.owns_api = api is None
        self._keyring_warned = False
        if api is None:
            api = ApiClient(
                account.server_url,
                transport=transport,
                refresh_token=refresh_token,
                on_refresh_token=self._save_token,
            )
        self.api = api
        self.admin = AdminService.for_api(api, service, cache=cache)
        self.admin.load_failed.connect(lambda _tag, error: self._check_auth(error))
        self.admin.failed.connect(lambda _action, error: self._check_auth(error))
        self._stopped = False

    def _save_token(self, token: str) -> None:
        try:
            self.secrets.set(account_key(self.account.server_url, self.account.email), token)
        except KeyringUnavailable:
            if not self._keyring_warned:
                self._keyring_warned = True
                self.keyring_unavailable.emit()

    def _check_auth(self, error: Any) -> None:
        # An expired sign-in answers 401 even after the client's one refresh attempt.
        if isinstance(error, AuthError) and self.api.refresh_token is None:
            self.auth_failed.emit(error)

    def clear_cache(self) -> None:
        self.admin.cache.clear()

    def sign_out(self) -> None:
        """Log out on the server (when this object holds the client), forget the token, clear
        the page cache; then ``signed_out``. With a borrowed client the owner ``Session`` signs
        out and the controller calls ``clear_cache``."""

        async def work() -> None:
            if self.owns_api:
                try:
                    await self.api.logout()
                except DesktopError:
                    pass  # offline: the token is forgotten here anyway
                self.secrets.delete(account_key(self.account.server_url, self.account.email))
            self.clear_cache()
            self.signed_out.emit()

        self.service.submit(work())

    def stop(self) -> None:
        """Close the cache and, when this object holds it, the client (waits for the loop)."""
        if self._stopped:
            return
        self._stopped = True
        if self.owns_api and self.service.running:
            try:
                self.service.submit(self.api.aclose()).result(timeout=10)
            except Exception:
                log.warning("the admin client did not close cleanly", exc_info=True)
        self.admin.stop()

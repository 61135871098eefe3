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

from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

from desktop.accounts import Account
from desktop.admin.cache import PageCache
from desktop.admin.service import AdminService
from desktop.api import ApiClient
from desktop.errors import AuthError
from desktop.secrets import SecretStore
from desktop.service_object import SignedInService
from desktop.service_thread import ServiceThread


class AdminMode(SignedInService):
    signed_out = Signal()
    auth_failed = Signal(object)  # AuthError: the sign-in no longer works

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
        super().__init__(account, service, secrets=secrets, parent=parent)
        self.owns_api = api is None
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
                await self._log_out(self.api)
            self.clear_cache()
            self.signed_out.emit()

        self.service.submit(work())

    def stop(self) -> None:
        """Close the cache and, when this object holds it, the client (waits for the loop)."""
        if self._stopped:
            return
        self._stopped = True
        if self.owns_api:
            self._wait(self.api.aclose(), "closing the admin client")
        self.admin.stop()

"""The base of the desktop's Qt service objects (``Session``, ``AdminService``, ``AdminMode``).

A service object's methods are called on the GUI thread and return at once; the work runs on a
``ServiceThread`` and comes back as Qt signals. ``ServiceObject`` holds that plumbing;
``SignedInService`` adds what belongs to one signed-in account: its refresh token in the keyring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop.accounts import Account
from desktop.errors import DesktopError, KeyringUnavailable
from desktop.service_thread import ServiceThread

if TYPE_CHECKING:
    from desktop.api import ApiClient
    from desktop.secrets import SecretStore

log = logging.getLogger(__name__)

# How long closing a client or stopping a sync may hold the GUI thread when the app ends.
STOP_WAIT_S = 10.0


class ServiceObject(QObject):
    def __init__(
        self,
        service: ServiceThread | None,
        *,
        thread_name: str = "leadflow-service",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service or ServiceThread(thread_name)
        self._own_service = service is None

    def _accepts_work(self) -> bool:
        """Whether ``_run`` still takes work (a stopped session drops late UI requests)."""
        return True

    def _call_failed(self, error: Exception) -> None:
        """Where a failed call goes when it names no handler of its own."""
        log.warning("%s call failed with no handler: %s", type(self).__name__, error)

    def _run(
        self,
        coro: Coroutine[Any, Any, Any],
        done: Callable[[Any], None] | None = None,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``coro`` on the service thread; its result goes to ``done``, a typed error (or
        any other exception, logged) to ``failed``, both called on the service thread."""
        if not self._accepts_work():
            coro.close()
            return
        on_error = failed or self._call_failed

        async def wrapper() -> None:
            try:
                result = await coro
            except DesktopError as error:
                on_error(error)
                return
            except Exception as error:
                log.exception("%s call failed", type(self).__name__)
                on_error(error)
                return
            if done is not None:
                done(result)

        self.service.submit(wrapper())

    def _wait(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        """Run ``coro`` on the service thread and wait for it (shutdown only: it blocks)."""
        if not self.service.running:
            coro.close()
            return
        try:
            self.service.submit(coro).result(timeout=STOP_WAIT_S)
        except Exception:
            log.warning("%s did not finish cleanly", what, exc_info=True)

    def _stop_own_service(self) -> None:
        if self._own_service:
            self.service.stop()


class SignedInService(ServiceObject):
    """A service object of one signed-in account, which keeps its rotated refresh token."""

    keyring_unavailable = Signal()

    def __init__(
        self,
        account: Account,
        service: ServiceThread | None,
        *,
        secrets: SecretStore | None = None,
        thread_name: str = "leadflow-service",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(service, thread_name=thread_name, parent=parent)
        self.account = account
        self._secrets = secrets
        self._keyring_warned = False

    @property
    def secrets(self) -> SecretStore:
        # keyring is imported on first use (on the service thread), not before the first paint.
        if self._secrets is None:
            from desktop.secrets import SecretStore

            self._secrets = SecretStore()
        return self._secrets

    def _token_key(self) -> str:
        from desktop.secrets import account_key

        return account_key(self.account.server_url, self.account.email)

    def _save_token(self, token: str) -> None:
        """The API client's ``on_refresh_token``: a refresh token works once, so each new one
        is saved; without a keyring the person is told once."""
        try:
            self.secrets.set(self._token_key(), token)
        except KeyringUnavailable:
            if not self._keyring_warned:
                self._keyring_warned = True
                self.keyring_unavailable.emit()

    async def _log_out(self, api: ApiClient) -> None:
        """End the sign-in on the server (when it can be reached) and forget the token here."""
        try:
            await api.logout()
        except DesktopError:
            pass  # offline: the token is forgotten here anyway
        self.secrets.delete(self._token_key())

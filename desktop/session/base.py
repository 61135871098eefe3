"""``SessionBase``: one signed-in business's lifecycle and the parts every other part uses.

It owns the local copy (store, outbox, queries), makes the API client and the sync engine on
first use, starts and stops the sync, signs out, and turns the sync engine's callbacks into
signals. The signals several parts emit (the lead view's, ``data_changed``, ``failed``) are
declared here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_downloads_dir
from PySide6.QtCore import QObject, Signal

from desktop.accounts import Account
from desktop.outbox import Outbox
from desktop.queries import Queries
from desktop.service_object import SignedInService
from desktop.service_thread import ServiceThread
from desktop.store import AppliedChanges, LocalStore

if TYPE_CHECKING:
    import httpx

    from desktop.api import ApiClient
    from desktop.secrets import SecretStore
    from desktop.sync import SyncEngine, SyncStatus


class SessionBase(SignedInService):
    status_changed = Signal(str, object)  # SyncStatus value, last sync datetime | None
    progress = Signal(int, int)
    data_changed = Signal(object)  # AppliedChanges
    outbox_changed = Signal(list, int)  # visible items (queued + rejected), queued count
    unread_changed = Signal(int)
    notify = Signal(object)  # Notification
    lead_ready = Signal(object)  # LeadDetail
    thread_ready = Signal(str, list)  # lead id, [ThreadItem]
    draft_sent = Signal(str, bool)  # lead id, whether its AI draft was sent or is on its way
    failed = Signal(object)  # DesktopError of a one-off call
    auth_failed = Signal(object)
    signed_out = Signal(bool)  # local copy removed

    def __init__(
        self,
        account: Account,
        refresh_token: str | None,
        *,
        service: ServiceThread | None = None,
        secrets: SecretStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_s: float = 30.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(account, service, secrets=secrets, parent=parent)
        self.store = LocalStore(account.store_path())
        self.outbox = Outbox(self.store)
        self.queries = Queries(self.store)
        self.queued_count = self.outbox.count()
        self._refresh_token = refresh_token
        self._transport = transport
        self._poll_s = poll_s
        # The API client and the sync engine (httpx, pydantic, keyring) are made when first
        # needed, normally on the service thread: the inbox can show before they are imported.
        self._api: ApiClient | None = None
        self._engine: SyncEngine | None = None
        self._parts_lock = threading.Lock()
        self._first_read: asyncio.Event | None = None
        self.read_before_sync_s = 0.0
        self.started = False
        self.downloads_dir = Path(user_downloads_dir()) / "LeadFlow"

    @property
    def api(self) -> ApiClient:
        with self._parts_lock:
            if self._api is None:
                from desktop.api import ApiClient

                account = self.account
                self._api = ApiClient(
                    account.server_url,
                    transport=self._transport,
                    refresh_token=self._refresh_token,
                    on_refresh_token=self._save_token,
                    business_id=account.business.id if account.business else None,
                )
            return self._api

    @property
    def engine(self) -> SyncEngine:
        api = self.api
        with self._parts_lock:
            if self._engine is None:
                from desktop.sync import SyncCallbacks, SyncEngine

                self._engine = SyncEngine(
                    api,
                    self.store,
                    self.outbox,
                    SyncCallbacks(
                        status=self._on_status,
                        progress=self.progress.emit,
                        applied=self._on_applied,
                        pushed=lambda rejected: self._emit_outbox(),
                        auth_failed=self.auth_failed.emit,
                        error=self.failed.emit,
                    ),
                    poll_s=self._poll_s,
                )
            return self._engine

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start syncing. With ``read_before_sync_s`` set (the main window sets it), the sync
        waits up to that long for the first inbox read, so the owner sees the local copy
        before the network work (and its imports) begins."""
        self.service.start()
        self.started = True
        self._run(self._emit_outbox_async())
        self._run(self._start_sync())

    async def _start_sync(self) -> None:
        if self.read_before_sync_s > 0:
            self._first_read = self._first_read or asyncio.Event()
            try:
                async with asyncio.timeout(self.read_before_sync_s):
                    await self._first_read.wait()
            except TimeoutError:
                pass
            await asyncio.sleep(0)  # the read's answer goes out first
        if self.started:
            self.engine.start()

    def _read_done(self) -> None:
        if self._first_read is None:
            self._first_read = asyncio.Event()
        self._first_read.set()

    def stop(self) -> None:
        """Stop syncing and close the local copy; waits for the service thread's work to end."""
        if self.started:
            self.started = False
            self._wait(self._shutdown(), "session shutdown")
        self._stop_own_service()
        self.store.close()

    async def _shutdown(self) -> None:
        if self._engine is not None:
            await self._engine.stop()
        if self._api is not None:
            await self._api.aclose()

    def sign_out(self, remove_local_copy: bool) -> None:
        async def work() -> None:
            await self._log_out(self.api)
            await self.engine.stop()

        self._run(work(), lambda _: self.signed_out.emit(remove_local_copy))

    def sync_now(self) -> None:
        self.service.call(lambda: self.engine.wake())

    def last_sync(self) -> str | None:
        return self.store.meta("last_sync")

    # -- plumbing shared by the parts ----------------------------------------------------------

    def _accepts_work(self) -> bool:
        return self.started

    def _call_failed(self, error: Exception) -> None:
        self.failed.emit(error)

    async def _with_api(self, call: Callable[[ApiClient], Awaitable[Any]]) -> Any:
        """Await ``call(api)`` on the service thread (where the client is made if need be)."""
        return await call(self.api)

    def _on_status(self, status: SyncStatus, last: datetime | None) -> None:
        self.status_changed.emit(status.value, last)

    def _on_applied(self, changes: AppliedChanges) -> None:
        from desktop.notifier import notifications_for

        self.data_changed.emit(changes)
        for note in notifications_for(changes, self.queries):
            self.notify.emit(note)
        self.unread_changed.emit(self.queries.unread_count())

    def _emit_outbox(self) -> None:
        self.queued_count = self.outbox.count()
        self.outbox_changed.emit(self.outbox.items(), self.queued_count)

    async def _emit_outbox_async(self) -> None:
        self._emit_outbox()
        self.unread_changed.emit(self.queries.unread_count())

    def _emit_lead(self, detail: Any) -> None:
        if detail is not None:
            self.lead_ready.emit(detail)

    def _emit_thread(self, lead_id: str) -> None:
        """The lead's thread, and whether its draft is sent (on the service thread)."""
        self.thread_ready.emit(lead_id, self.queries.thread(lead_id))
        self.draft_sent.emit(lead_id, self.queries.draft_sent(lead_id))


# The parts are mixins of ``Session``, not subclasses of ``SessionBase``: Qt's meta-object has
# one chain of base classes, so signals declared on sibling QObject subclasses would be missing
# from it. To the type checker each part is a ``SessionBase`` and sees its attributes.
if TYPE_CHECKING:
    Part = SessionBase
else:
    Part = object

"""``Session``: one signed-in business, as a Qt service object.

Every method is called from the GUI thread and returns at once; the work runs on the service
thread (network, SQLite, keyring) and comes back as signals carrying ``shared.models`` objects,
query rows or typed errors. A mutation is written to the outbox before any signal shows it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_downloads_dir
from PySide6.QtCore import QObject, Signal

import desktop.qt_workarounds  # noqa: F401 - must patch before any signal is emitted
from desktop.accounts import Account
from desktop.errors import DesktopError, KeyringUnavailable
from desktop.outbox import Outbox
from desktop.queries import Queries
from desktop.service_thread import ServiceThread
from desktop.store import AppliedChanges, LocalStore
from shared.models.enums import FollowUpState, MutationType

if TYPE_CHECKING:
    import httpx

    from desktop.api import ApiClient
    from desktop.secrets import SecretStore
    from desktop.sync import SyncEngine, SyncStatus

log = logging.getLogger(__name__)


LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


class Session(QObject):
    status_changed = Signal(str, object)  # SyncStatus value, last sync datetime | None
    progress = Signal(int, int)
    data_changed = Signal(object)  # AppliedChanges
    leads_ready = Signal(int, list)  # request token, [LeadRow]
    inbox_ready = Signal(object)  # InboxWindow
    lead_ready = Signal(object)  # LeadDetail
    thread_ready = Signal(str, list)  # lead id, [ThreadItem]
    draft_sent = Signal(str, bool)  # lead id, whether its AI draft was sent or is on its way
    timeline_ready = Signal(str, list)  # lead id, [TimelineEvent]
    follow_ups_ready = Signal(object)  # {FollowUpState: [FollowUpOut]}
    conversations_ready = Signal(list)
    outbox_changed = Signal(list, int)  # visible items (queued + rejected), queued count
    unread_changed = Signal(int)
    notify = Signal(object)  # Notification
    metrics_ready = Signal(object)
    business_ready = Signal(object)
    form_ready = Signal(object)
    form_failed = Signal(object)
    business_failed = Signal(object)
    qr_ready = Signal(bytes)
    attachment_saved = Signal(str)  # the path of a downloaded attachment
    reply_address_ready = Signal(str, object)  # lead id, ReplyAddressOut
    reply_address_failed = Signal(str, object)  # lead id, DesktopError
    team_ready = Signal(list)
    logo_ready = Signal(bytes)
    failed = Signal(object)  # DesktopError of a one-off call
    follow_up_failed = Signal(str, object)  # lead id, DesktopError
    auth_failed = Signal(object)
    keyring_unavailable = Signal()
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
        super().__init__(parent)
        self.account = account
        self._secrets = secrets
        self.service = service or ServiceThread()
        self._own_service = service is None
        self.store = LocalStore(account.store_path())
        self.outbox = Outbox(self.store)
        self.queries = Queries(self.store)
        self.queued_count = self.outbox.count()
        self._keyring_warned = False
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
    def secrets(self) -> SecretStore:
        if self._secrets is None:
            from desktop.secrets import SecretStore

            self._secrets = SecretStore()
        return self._secrets

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
            future = self.service.submit(self._shutdown())
            try:
                future.result(timeout=10)
            except Exception:
                log.warning("session shutdown did not finish cleanly", exc_info=True)
        if self._own_service:
            self.service.stop()
        self.store.close()

    async def _shutdown(self) -> None:
        if self._engine is not None:
            await self._engine.stop()
        if self._api is not None:
            await self._api.aclose()

    def sign_out(self, remove_local_copy: bool) -> None:
        async def work() -> None:
            try:
                await self.api.logout()
            except DesktopError:
                pass  # offline: the token is forgotten here anyway
            from desktop.secrets import account_key

            self.secrets.delete(account_key(self.account.server_url, self.account.email))
            await self.engine.stop()

        self._run(work(), lambda _: self.signed_out.emit(remove_local_copy))

    # -- plumbing ------------------------------------------------------------------------------

    def _run(
        self,
        coro: Coroutine[Any, Any, Any],
        done: Callable[[Any], None] | None = None,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        if not self.started:
            coro.close()
            return

        async def wrapper() -> None:
            try:
                result = await coro
            except DesktopError as error:
                (failed or self.failed.emit)(error)
                return
            except Exception as error:
                log.exception("desktop service call failed")
                (failed or self.failed.emit)(error)
                return
            if done is not None:
                done(result)

        self.service.submit(wrapper())

    async def _with_api(self, call: Callable[[ApiClient], Awaitable[Any]]) -> Any:
        """Await ``call(api)`` on the service thread (where the client is made if need be)."""
        return await call(self.api)

    def _save_token(self, token: str) -> None:
        from desktop.secrets import account_key

        try:
            self.secrets.set(account_key(self.account.server_url, self.account.email), token)
        except KeyringUnavailable:
            if not self._keyring_warned:
                self._keyring_warned = True
                self.keyring_unavailable.emit()

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

    def last_sync(self) -> str | None:
        return self.store.meta("last_sync")

    # -- reads ---------------------------------------------------------------------------------

    def query_leads(
        self,
        token: int,
        status: str | None,
        q: str,
        sort: str = "newest",
        limit: int | None = None,
        unread: bool = False,
    ) -> None:
        async def work() -> list[Any]:
            return self.queries.leads(status, q, sort, limit, unread=unread)

        self._run(work(), lambda rows: self.leads_ready.emit(token, rows))

    def query_inbox(
        self, token: int, status: str | None, q: str, sort: str, offset: int, limit: int
    ) -> None:
        """One window of the inbox (``inbox_ready``); the first one carries the count."""

        async def work() -> Any:
            return self.queries.inbox(token, status, q, sort, offset, limit)

        def done(window: Any) -> None:
            self.inbox_ready.emit(window)
            self._read_done()

        self._run(work(), done)

    def open_lead(self, lead_id: str) -> None:
        """Show a lead: marks it read (locally only; its status stays as it is)."""

        async def work() -> None:
            # The thread is read first, so the messages that made the lead unread show it.
            thread = self.queries.thread(lead_id)
            self.store.mark_read(lead_id)
            detail = self.queries.lead(lead_id)
            if detail is not None:
                self.lead_ready.emit(detail)
            self.thread_ready.emit(lead_id, thread)
            self.draft_sent.emit(lead_id, self.queries.draft_sent(lead_id))
            self.unread_changed.emit(self.queries.unread_count())

        self._run(work())

    def load_lead(self, lead_id: str) -> None:
        """Reload a lead that is already showing (its unread mark stays as it is)."""

        async def work() -> Any:
            return self.queries.lead(lead_id)

        self._run(work(), self._emit_lead)

    def _emit_lead(self, detail: Any) -> None:
        if detail is not None:
            self.lead_ready.emit(detail)

    def load_thread(self, lead_id: str) -> None:
        async def work() -> None:
            self._emit_thread(lead_id)

        self._run(work())

    def _emit_thread(self, lead_id: str) -> None:
        """The lead's thread, and whether its draft is sent (on the service thread)."""
        self.thread_ready.emit(lead_id, self.queries.thread(lead_id))
        self.draft_sent.emit(lead_id, self.queries.draft_sent(lead_id))

    def download_attachment(self, lead_id: str, attachment_id: str, filename: str) -> None:
        """Save a file of a customer's reply into the downloads folder (``attachment_saved``)."""

        async def work() -> str:
            data = await self.api.attachment(lead_id, attachment_id)
            return str(await asyncio.to_thread(save_download, self.downloads_dir, filename, data))

        self._run(work(), self.attachment_saved.emit)

    def rotate_reply_address(self, lead_id: str) -> None:
        """Revoke the lead's reply address for a new one (online only: it is not a mutation)."""
        self._run(
            self._with_api(lambda api: api.rotate_reply_address(lead_id)),
            lambda out: self.reply_address_ready.emit(lead_id, out),
            lambda error: self.reply_address_failed.emit(lead_id, error),
        )

    def load_timeline(self, lead_id: str) -> None:
        self._run(
            self._with_api(lambda api: api.timeline(lead_id)),
            lambda items: self.timeline_ready.emit(lead_id, items),
        )

    def load_follow_ups(self) -> None:
        async def work() -> Any:
            return self.queries.follow_ups()

        self._run(work(), self.follow_ups_ready.emit)

    def load_conversations(self, q: str = "") -> None:
        async def work() -> list[Any]:
            return self.queries.conversations(q)

        self._run(work(), self.conversations_ready.emit)

    def load_metrics(self) -> None:
        self._run(self._with_api(lambda api: api.metrics()), self.metrics_ready.emit)

    def load_business(self) -> None:
        async def work() -> Any:
            local = self.queries.business()
            if local is not None:
                self.business_ready.emit(local)
            return await self.api.business()

        self._run(work(), self.business_ready.emit, self.business_failed.emit)

    def load_form(self) -> None:
        async def work() -> Any:
            local = self.queries.form()
            if local is not None:
                self.form_ready.emit(local)
            return await self.api.form()

        self._run(work(), self.form_ready.emit, self.form_failed.emit)

    def load_qr(self, slug: str) -> None:
        self._run(self._with_api(lambda api: api.form_qr_png(slug)), self.qr_ready.emit)

    def load_team(self) -> None:
        self._run(
            self._with_api(lambda api: api.team()), self.team_ready.emit, self.business_failed.emit
        )

    def invite_member(self, email: str, full_name: str) -> None:
        async def work() -> list[Any]:
            await self.api.invite_member(email, full_name)
            return await self.api.team()

        self._run(work(), self.team_ready.emit, self.business_failed.emit)

    def load_logo(self, url: str) -> None:
        self._run(self._with_api(lambda api: api.public_bytes(url)), self.logo_ready.emit)

    def upload_logo(self, path: str) -> None:
        """Send the image at ``path`` as the business's logo (the server checks it)."""

        async def work() -> Any:
            file = Path(path)
            data = file.read_bytes()  # noqa: ASYNC240 - the service thread may block
            kind = LOGO_TYPES.get(file.suffix.lower(), "application/octet-stream")
            return await self.api.upload_logo(file.name, data, kind)

        self._run(work(), self.business_ready.emit, self.business_failed.emit)

    def set_member_active(self, member_id: str, active: bool) -> None:
        async def work() -> list[Any]:
            await self.api.set_member_active(member_id, active)
            return await self.api.team()

        self._run(work(), self.team_ready.emit, self.business_failed.emit)

    # -- writes through the API (settings, form: they are not offline mutations) ---------------

    def save_form(self, changes: dict[str, Any]) -> None:
        self._run(
            self._with_api(lambda api: api.update_form(changes)),
            self._form_saved,
            self.form_failed.emit,
        )

    def _form_saved(self, form: Any) -> None:
        self.form_ready.emit(form)
        self.sync_now()

    def save_business(self, changes: dict[str, Any]) -> None:
        self._run(
            self._with_api(lambda api: api.update_business(changes)),
            self.business_ready.emit,
            self.business_failed.emit,
        )

    def save_file(self, path: str, data: bytes) -> None:
        async def work() -> None:
            with open(path, "wb") as handle:  # noqa: ASYNC230 - the service thread may block
                handle.write(data)

        self._run(work())

    # -- mutations (CONTRACT §7 push) ----------------------------------------------------------

    def _mutate(self, kind: MutationType, lead_id: str | None, **payload: Any) -> None:
        async def work() -> None:
            self.outbox.enqueue(kind, lead_id=lead_id, **payload)  # durable before shown
            self._emit_outbox()
            if lead_id:
                detail = self.queries.lead(lead_id)
                if detail is not None:
                    self.lead_ready.emit(detail)
                self._emit_thread(lead_id)
            self.data_changed.emit(
                AppliedChanges(
                    self.store.cursor,
                    False,
                    leads={lead_id} if lead_id else set(),
                    follow_ups=lead_id is None,
                )
            )
            self.engine.wake()

        self._run(work())

    def reply(self, lead_id: str, content: str) -> None:
        self._mutate(MutationType.REPLY, lead_id, content=content)

    def resend_message(self, lead_id: str, message_id: str) -> None:
        """Send a failed or bounced mail again. Online only (not an offline mutation: the
        contract's push has no such type); the new status arrives with the next sync."""

        async def work() -> None:
            await self.api.resend_message(lead_id, message_id)
            self.engine.wake()

        self._run(work())

    def approve_draft(self, lead_id: str, content: str | None = None) -> None:
        self._mutate(MutationType.APPROVE_DRAFT, lead_id, content=content)

    def set_status(self, lead_id: str, status: str) -> None:
        self._mutate(MutationType.SET_STATUS, lead_id, status=status)

    def add_note(self, lead_id: str, content: str) -> None:
        self._mutate(MutationType.ADD_NOTE, lead_id, content=content)

    def update_follow_up(
        self, follow_up_id: str, *, status: str | None = None, scheduled_at: datetime | None = None
    ) -> None:
        self._mutate(
            MutationType.UPDATE_FOLLOW_UP,
            None,
            follow_up_id=follow_up_id,
            status=status,
            scheduled_at=scheduled_at,
        )

    def schedule_follow_up(self, lead_id: str, when: datetime) -> None:
        """Move the lead's pending follow-up to ``when`` (an offline mutation); without one,
        create it on the server (``POST /leads/{id}/follow-ups``: needs the connection, and a
        failure is reported through ``failed``)."""

        async def work() -> None:
            groups = self.queries.follow_ups()
            pending = [
                f
                for state in (FollowUpState.DUE, FollowUpState.OVERDUE, FollowUpState.SCHEDULED)
                for f in groups[state]
                if str(f.lead_id) == lead_id
            ]
            if pending:
                self.update_follow_up(str(pending[0].id), scheduled_at=when)
                return
            await self.api.schedule_follow_up(lead_id, when)
            self.engine.wake()  # the new row comes back through the sync

        self._run(work(), None, lambda error: self.follow_up_failed.emit(lead_id, error))

    def retry(self, mutation_id: str) -> None:
        async def work() -> None:
            self.outbox.retry(mutation_id)
            self._emit_outbox()
            self.engine.wake()

        self._run(work())

    def discard(self, mutation_id: str) -> None:
        async def work() -> None:
            self.outbox.discard(mutation_id)
            self._emit_outbox()

        self._run(work())

    def sync_now(self) -> None:
        self.service.call(lambda: self.engine.wake())


def save_download(folder: Path, filename: str, data: bytes) -> Path:
    """Write ``data`` under ``folder`` with the file's own name made safe, never over another
    file (``name (2).ext`` and so on)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in Path(filename.replace("\\", "/")).name if c.isprintable())
    safe = safe.strip(" .") or "attachment"
    stem, suffix = Path(safe).stem, Path(safe).suffix
    target, n = folder / safe, 1
    while target.exists():
        n += 1
        target = folder / f"{stem} ({n}){suffix}"
    target.write_bytes(data)
    return target

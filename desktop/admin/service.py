"""``AdminService``: the super-admin console's service object.

Every method is called from the GUI thread and returns at once; the work runs on the service
thread and comes back as signals carrying ``shared.models`` objects or typed errors
(``desktop.errors``). Reads are online-first: a fresh answer is cached, and when the server
cannot be reached the last cached copy is emitted with the time it was saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

from desktop.admin.cache import PageCache, cache_key
from desktop.admin.client import LISTS, AdminClient
from desktop.admin.export import CsvExport
from desktop.api import ApiClient
from desktop.errors import DesktopError, OfflineError
from desktop.service_object import ServiceObject
from desktop.service_thread import ServiceThread
from shared.models.admin import AdminMetrics, PlatformHealth

log = logging.getLogger(__name__)

# Single objects the console reads besides the listings of ``client.LISTS``.
SINGLES: dict[str, tuple[str, Any]] = {
    "metrics": ("/metrics", AdminMetrics),
    "settings": ("/settings", PlatformHealth),
}


class AdminService(ServiceObject):
    loaded = Signal(str, object, object)  # tag, Page | model, cached_at (None when fresh)
    load_failed = Signal(str, object)  # tag, error
    business_loaded = Signal(object, object)  # BusinessOut, FormOut | None
    logo_loaded = Signal(str, bytes)  # business id, the logo image as the server serves it
    business_saved = Signal(str, object)  # "created" | "updated" | "status" | "logo", BusinessOut
    form_saved = Signal(object)  # FormOut
    invite_state = Signal(str, object)  # business id, {"owner": …, "email": …} of the invite
    done = Signal(str, str)  # action, message for the user
    failed = Signal(str, object)  # action, error
    automation_saved = Signal(str, object)  # business id, AutomationOut
    automation_failed = Signal(str, object)  # business id, error

    def __init__(
        self,
        client: AdminClient,
        *,
        service: ServiceThread | None = None,
        cache: PageCache | None = None,
        own_client: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(service, thread_name="leadflow-admin", parent=parent)
        self.client = client
        self._own_client = own_client
        self.cache = cache or PageCache()
        self._latest: dict[str, int] = {}
        self._seq = 0
        self.service.start()

    @classmethod
    def for_api(cls, api: ApiClient, service: ServiceThread, **kwargs: Any) -> AdminService:
        """Share the signed-in ``ApiClient`` and service thread of the owner app's session."""
        return cls(AdminClient(api), service=service, **kwargs)

    @classmethod
    def standalone(
        cls,
        base_url: str,
        refresh_token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> AdminService:
        """A console with its own client and service thread (``login`` if no refresh token)."""
        client = AdminClient.connect(
            base_url,
            refresh_token=refresh_token,
            transport=transport,
            on_refresh_token=on_refresh_token,
        )
        return cls(client, own_client=True, **kwargs)

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def stop(self) -> None:
        """Close what this object owns; waits for the service thread when it is its own."""
        if self._own_client:
            self._wait(self.client.aclose(), "closing the admin client")
        self._stop_own_service()
        self.cache.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _act(
        self, action: str, coro: Coroutine[Any, Any, Any], done: Callable[[Any], None]
    ) -> None:
        self._run(coro, done, lambda error: self.failed.emit(action, error))

    # -- reads ------------------------------------------------------------------------------------

    def login(self, email: str, password: str) -> None:
        self._act(
            "login",
            self.client.login(email, password),
            lambda _: self.done.emit("login", "Signed in."),
        )

    def load(self, tag: str, kind: str, params: Mapping[str, Any] | None = None) -> None:
        """Read a listing (``client.LISTS``) or ``metrics``/``settings``; answers ``loaded``
        with ``tag``, or ``load_failed``. Only the newest request of a tag is answered."""
        self._seq += 1
        seq = self._latest[tag] = self._seq
        params = dict(params or {})
        key = cache_key(self.base_url, kind, params)

        async def work() -> None:
            try:
                if kind in SINGLES:
                    path, _model = SINGLES[kind]
                    body = await self.client._get(path)
                else:
                    body = await self.client.raw_list(kind, params)
                data = self._parse(kind, body)
                self.cache.put(key, body)
                cached_at = None
            except OfflineError as error:
                cached = self.cache.get(key)
                if cached is None:
                    raise
                data, cached_at = self._parse(kind, cached[0]), cached[1]
                log.info("offline (%s): showing the cached %s", error, kind)
            if self._latest.get(tag) == seq:
                self.loaded.emit(tag, data, cached_at)

        def failed(error: Exception) -> None:
            if self._latest.get(tag) == seq:
                self.load_failed.emit(tag, error)

        self._run(work(), lambda _: None, failed)

    @staticmethod
    def _parse(kind: str, body: Any) -> Any:
        if kind in SINGLES:
            return SINGLES[kind][1].model_validate(body)
        if kind not in LISTS:
            raise ValueError(kind)
        return AdminClient.parse_list(kind, body)

    def load_business(self, business_id: str) -> None:
        async def work() -> tuple[Any, Any]:
            business = await self.client.business(business_id)
            try:
                form = await self.client.form(business_id)
            except DesktopError:
                form = None
            self.business_loaded.emit(business, form)
            if business.logo_url:
                try:
                    self.logo_loaded.emit(business_id, await self.client.logo(business.logo_url))
                except DesktopError:
                    pass  # the page says "Logo set" without a preview
            return business, form

        self._act("load_business", work(), lambda _: None)

    def check_invite(self, business_id: str) -> None:
        """The business's owner account and its newest invite email (queued, sent or failed)."""

        async def work() -> dict[str, Any]:
            owners = await self.client.page("owners", {"business_id": business_id, "limit": 50})
            emails = await self.client.page(
                "emails", {"business_id": business_id, "kind": "invite", "limit": 1}
            )
            owner = next((o for o in owners.items if o.role == "owner"), None)
            return {"owner": owner, "email": emails.items[0] if emails.items else None}

        self._act("check_invite", work(), lambda state: self.invite_state.emit(business_id, state))

    # -- writes -----------------------------------------------------------------------------------

    def create_business(self, body: Mapping[str, Any], logo_path: str | None = None) -> None:
        """Create the business, its form and the owner invite; then upload the logo, if any."""

        async def work() -> Any:
            business = await self.client.create_business(body)
            self.business_saved.emit("created", business)
            if logo_path:
                business = await self.client.upload_logo(business.id, logo_path)
                self.business_saved.emit("logo", business)
            return business

        self._act("create_business", work(), lambda _: None)

    def update_business(
        self,
        business_id: str,
        changes: Mapping[str, Any],
        form_changes: Mapping[str, Any] | None = None,
        logo_path: str | None = None,
        remove_logo: bool = False,
    ) -> None:
        async def work() -> Any:
            business = await self.client.update_business(business_id, changes)
            if form_changes:
                self.form_saved.emit(await self.client.update_form(business_id, form_changes))
            if remove_logo and business.logo_url:
                business = await self.client.delete_logo(business_id)
            elif logo_path:
                business = await self.client.upload_logo(business_id, logo_path)
            return business

        self._act(
            "update_business",
            work(),
            lambda business: self.business_saved.emit("updated", business),
        )

    def set_status(self, business_id: str, status: str) -> None:
        self._act(
            "set_status",
            self.client.set_status(business_id, status),
            lambda business: self.business_saved.emit("status", business),
        )

    def resend_invite(self, business_id: str) -> None:
        self._act(
            "resend_invite",
            self.client.resend_invite(business_id),
            lambda _: self.done.emit("resend_invite", "A fresh invite is on its way."),
        )

    def resend_email(self, email_id: str) -> None:
        self._act(
            "resend_email",
            self.client.resend_email(email_id),
            lambda _: self.done.emit("resend_email", "The email is queued to be sent again."),
        )

    def owner_action(self, user_id: str, action: str) -> None:
        words = {
            "deactivate": "The account is deactivated.",
            "reactivate": "The account is active again.",
            "resend-invite": "A fresh invite is on its way.",
        }
        self._act(
            f"owner_{action}",
            self.client.owner_action(user_id, action),
            lambda _: self.done.emit(f"owner_{action}", words[action]),
        )

    def update_automation(self, business_id: str, changes: Mapping[str, Any]) -> None:
        self._run(
            self.client.update_automation(business_id, changes),
            lambda row: self.automation_saved.emit(business_id, row),
            lambda error: self.automation_failed.emit(business_id, error),
        )

    def export(
        self, kind: str, params: Mapping[str, Any] | None, path: str | Path, expected_rows: int = 0
    ) -> CsvExport:
        """An export of ``kind`` (leads, emails, audit_logs) into ``path``; connect its signals,
        then ``start()`` it."""
        return CsvExport(self.client, self.service, kind, params, path, expected_rows)

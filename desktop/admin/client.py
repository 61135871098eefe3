"""``AdminClient``: the super-admin routes (CONTRACT §8) over the owner app's ``ApiClient``.

It borrows the ``ApiClient`` (and so its token refresh) instead of holding its own tokens:
refresh tokens work once, so two clients refreshing the same login would sign each other out.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from desktop.api import ApiClient, raise_for_error
from desktop.errors import OfflineError
from desktop.logos import logo_file
from shared.models.admin import (
    AdminEmailOut,
    AdminLeadOut,
    AdminMetrics,
    AuditLogOut,
    AutomationOut,
    OwnerAccountOut,
    PlatformHealth,
)
from shared.models.business import BusinessOut, FormOut
from shared.models.common import Page

ADMIN = "/api/v1/admin"
M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, Any]

# What each listing returns, by the name the console and the page cache use.
LISTS: dict[str, tuple[str, type[BaseModel]]] = {
    "businesses": ("/businesses", BusinessOut),
    "owners": ("/owners", OwnerAccountOut),
    "leads": ("/leads", AdminLeadOut),
    "emails": ("/emails", AdminEmailOut),
    "audit_logs": ("/audit-logs", AuditLogOut),
    "automations": ("/automations", AutomationOut),
}
EXPORTS = {"leads": "/leads/export", "emails": "/emails/export", "audit_logs": "/audit-logs/export"}


def clean_params(params: Params | None) -> dict[str, Any]:
    """Query parameters without the empty ones (an empty filter means "all")."""
    return {k: v for k, v in (params or {}).items() if v not in (None, "")}


class AdminClient:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    @classmethod
    def connect(
        cls,
        base_url: str,
        *,
        refresh_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> AdminClient:
        """A client with its own ``ApiClient`` (sign in with ``login`` or pass a refresh token)."""
        return cls(ApiClient(base_url, transport=transport, refresh_token=refresh_token, **kwargs))

    @property
    def base_url(self) -> str:
        return self.api.base_url

    async def login(self, email: str, password: str) -> None:
        await self.api.login(email, password)

    async def aclose(self) -> None:
        await self.api.aclose()

    async def _get(self, path: str, params: Params | None = None) -> Any:
        return await self.api.json("GET", ADMIN + path, params=clean_params(params))

    # -- reads ------------------------------------------------------------------------------------

    async def raw_list(self, kind: str, params: Params | None = None) -> dict[str, Any]:
        """One page of a listing as the server sent it (``{items, total, limit, offset}``)."""
        path, _model = LISTS[kind]
        return dict(await self._get(path, params))

    @staticmethod
    def parse_list(kind: str, body: Mapping[str, Any]) -> Page[Any]:
        _path, model = LISTS[kind]
        return Page[model].model_validate(body)  # type: ignore[valid-type]

    async def page(self, kind: str, params: Params | None = None) -> Page[Any]:
        return self.parse_list(kind, await self.raw_list(kind, params))

    async def metrics(self) -> AdminMetrics:
        return AdminMetrics.model_validate(await self._get("/metrics"))

    async def health(self) -> PlatformHealth:
        return PlatformHealth.model_validate(await self._get("/settings"))

    async def business(self, business_id: uuid.UUID | str) -> BusinessOut:
        return BusinessOut.model_validate(await self._get(f"/businesses/{business_id}"))

    async def form(self, business_id: uuid.UUID | str) -> FormOut:
        return FormOut.model_validate(await self._get(f"/businesses/{business_id}/form"))

    async def logo(self, url: str) -> bytes:
        """The logo image at ``logo_url`` (served by the server, public)."""
        return (await self.api.request("GET", url)).content

    # -- writes -----------------------------------------------------------------------------------

    async def create_business(self, body: Mapping[str, Any]) -> BusinessOut:
        data = await self.api.json("POST", f"{ADMIN}/businesses", json=dict(body))
        return BusinessOut.model_validate(data)

    async def update_business(
        self, business_id: uuid.UUID | str, changes: Mapping[str, Any]
    ) -> BusinessOut:
        data = await self.api.json("PATCH", f"{ADMIN}/businesses/{business_id}", json=dict(changes))
        return BusinessOut.model_validate(data)

    async def set_status(self, business_id: uuid.UUID | str, status: str) -> BusinessOut:
        data = await self.api.json(
            "PATCH", f"{ADMIN}/businesses/{business_id}/status", json={"status": status}
        )
        return BusinessOut.model_validate(data)

    async def resend_invite(self, business_id: uuid.UUID | str) -> None:
        await self.api.request("POST", f"{ADMIN}/businesses/{business_id}/resend-invite")

    async def resend_email(self, email_id: uuid.UUID | str) -> None:
        await self.api.request("POST", f"{ADMIN}/emails/{email_id}/resend")

    async def upload_logo(self, business_id: uuid.UUID | str, path: str | Path) -> BusinessOut:
        files = {"file": await asyncio.to_thread(logo_file, path)}
        data = await self.api.json("POST", f"{ADMIN}/businesses/{business_id}/logo", files=files)
        return BusinessOut.model_validate(data)

    async def delete_logo(self, business_id: uuid.UUID | str) -> BusinessOut:
        data = await self.api.json("DELETE", f"{ADMIN}/businesses/{business_id}/logo")
        return BusinessOut.model_validate(data)

    async def update_form(
        self, business_id: uuid.UUID | str, changes: Mapping[str, Any]
    ) -> FormOut:
        data = await self.api.json(
            "PATCH", f"{ADMIN}/businesses/{business_id}/form", json=dict(changes)
        )
        return FormOut.model_validate(data)

    async def owner_action(self, user_id: uuid.UUID | str, action: str) -> None:
        """``deactivate``, ``reactivate`` or ``resend-invite`` one owner or staff account."""
        if action not in ("deactivate", "reactivate", "resend-invite"):
            raise ValueError(action)
        await self.api.request("POST", f"{ADMIN}/owners/{user_id}/{action}")

    async def update_automation(
        self, business_id: uuid.UUID | str, changes: Mapping[str, Any]
    ) -> AutomationOut:
        data = await self.api.json(
            "PATCH", f"{ADMIN}/automations/{business_id}", json=dict(changes)
        )
        return AutomationOut.model_validate(data)

    # -- CSV --------------------------------------------------------------------------------------

    async def export_chunks(
        self, kind: str, params: Params | None = None
    ) -> AsyncGenerator[bytes, None]:
        """The CSV export of ``kind`` as it arrives; nothing is held beyond one chunk.

        ``ApiClient`` has no streaming request of its own, so this uses its connection and
        headers and does the same one-refresh-on-401 as ``ApiClient.request``.
        """
        if self.api.access_token is None and self.api.refresh_token:
            await self.api.refresh()
        path = ADMIN + EXPORTS[kind]
        timeout = httpx.Timeout(15.0, read=120.0)
        for attempt in (1, 2):
            used = self.api.access_token
            try:
                async with self.api._http.stream(
                    "GET",
                    path,
                    params=clean_params(params),
                    headers={**self.api._headers(), "Accept": "text/csv"},
                    timeout=timeout,
                ) as response:
                    if response.status_code == 401 and attempt == 1 and self.api.refresh_token:
                        await self.api.refresh(stale_access=used)
                        continue
                    if response.status_code >= 400:
                        await response.aread()
                        raise_for_error(response)
                    async for chunk in response.aiter_bytes():
                        yield chunk
                    return
            except (httpx.TransportError, OSError) as error:
                raise OfflineError(str(error) or type(error).__name__) from error

"""``ApiClient``: the owner's side of the HTTP API (CONTRACT §4, §6, §7) over an httpx transport.

Async, so the sync engine, the event stream and one-off calls share one event loop on the
service thread (see ``desktop.backend``). Refresh tokens work once: every refresh goes through one
lock, so two calls that meet a 401 together never spend the same refresh token twice.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
from pydantic import ValidationError

from desktop.errors import AuthError, OfflineError, ServerError, error_from_response
from desktop.sse import ServerEvent, parse_events
from desktop.wire import Mutation, PushResult, SyncPage
from shared.models.auth import MeResponse, TokenResponse
from shared.models.business import BusinessOut, FormOut
from shared.models.inbound import ReplyAddressOut
from shared.models.leads import (
    FollowUpOut,
    LeadDetail,
    LeadOut,
    MessageOut,
    OwnerMetrics,
    TimelineEvent,
)

OWNER = "/api/v1/owner"
TokenSaver = Callable[[str], None]


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        refresh_token: str | None = None,
        on_refresh_token: TokenSaver | None = None,
        business_id: uuid.UUID | str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url, transport=transport, timeout=timeout, follow_redirects=False
        )
        self.access_token: str | None = None
        self.refresh_token = refresh_token
        self.on_refresh_token = on_refresh_token
        self.business_id = str(business_id) if business_id else None
        self._refresh_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- plumbing -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        if self.business_id:
            headers["X-Business-Id"] = self.business_id
        return headers

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, headers=self._headers(), **kwargs)
        except (httpx.TransportError, OSError) as error:
            raise OfflineError(str(error) or type(error).__name__) from error

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One authenticated call; a 401 triggers one refresh and one retry."""
        if self.access_token is None and self.refresh_token:
            await self.refresh(only_if_missing=True)
        used = self.access_token
        response = await self._send(method, path, **kwargs)
        if response.status_code == 401 and self.refresh_token:
            await self.refresh(stale_access=used)
            response = await self._send(method, path, **kwargs)
        raise_for_error(response)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise ServerError(
                response.status_code, "bad_json", "The server sent no JSON."
            ) from error

    # -- auth ---------------------------------------------------------------------------------

    def _take_tokens(self, tokens: TokenResponse) -> TokenResponse:
        self.access_token = tokens.access_token
        self.refresh_token = tokens.refresh_token
        if self.on_refresh_token is not None:
            self.on_refresh_token(tokens.refresh_token)
        return tokens

    async def login(self, email: str, password: str) -> TokenResponse:
        response = await self._send(
            "POST", "/api/v1/auth/login", json={"email": email, "password": password}
        )
        raise_for_error(response)
        return self._take_tokens(TokenResponse.model_validate(response.json()))

    async def refresh(
        self, stale_access: str | None = None, *, only_if_missing: bool = False
    ) -> TokenResponse | None:
        """Trade the refresh token for a new pair, once even when several calls ask at once:
        a call that waited for the lock skips the trade when another call already made it
        (``stale_access`` replaced, or ``only_if_missing`` and a token is there now)."""
        async with self._refresh_lock:
            if stale_access is not None and self.access_token not in (None, stale_access):
                return None  # another call refreshed while this one waited
            if only_if_missing and self.access_token is not None:
                return None
            if not self.refresh_token:
                raise AuthError(401, "not_authenticated", "Sign in to continue.")
            response = await self._send(
                "POST", "/api/v1/auth/refresh", json={"refresh_token": self.refresh_token}
            )
            if response.status_code == 401:
                self.access_token = None
                self.refresh_token = None
            raise_for_error(response)
            return self._take_tokens(TokenResponse.model_validate(response.json()))

    async def logout(self) -> None:
        if self.refresh_token:
            response = await self._send(
                "POST", "/api/v1/auth/logout", json={"refresh_token": self.refresh_token}
            )
            if response.status_code not in (401, 404):
                raise_for_error(response)
        self.access_token = None
        self.refresh_token = None

    async def forgot_password(self, email: str) -> None:
        response = await self._send("POST", "/api/v1/auth/password/forgot", json={"email": email})
        raise_for_error(response)

    async def me(self) -> MeResponse:
        return MeResponse.model_validate(await self.json("GET", "/api/v1/auth/me"))

    # -- owner API (CONTRACT §6) ---------------------------------------------------------------

    async def leads(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        sort: str = "newest",
        limit: int = 100,
        offset: int = 0,
    ) -> list[LeadOut]:
        params = {
            k: v
            for k, v in {
                "status": status,
                "q": q,
                "sort": sort,
                "limit": limit,
                "offset": offset,
            }.items()
            if v not in (None, "")
        }
        body = await self.json("GET", f"{OWNER}/leads", params=params)
        return [LeadOut.model_validate(item) for item in body["items"]]

    async def lead(self, lead_id: uuid.UUID | str) -> LeadDetail:
        return LeadDetail.model_validate(await self.json("GET", f"{OWNER}/leads/{lead_id}"))

    async def set_status(self, lead_id: uuid.UUID | str, status: str) -> LeadOut:
        body = await self.json("PATCH", f"{OWNER}/leads/{lead_id}", json={"status": status})
        return LeadOut.model_validate(body)

    async def messages(self, lead_id: uuid.UUID | str) -> list[MessageOut]:
        body = await self.json("GET", f"{OWNER}/leads/{lead_id}/messages")
        items = body["items"] if isinstance(body, dict) else body
        return [MessageOut.model_validate(item) for item in items]

    async def resend_message(
        self, lead_id: uuid.UUID | str, message_id: uuid.UUID | str
    ) -> MessageOut:
        """Email a message whose mail failed or bounced again (409 for any other)."""
        path = f"{OWNER}/leads/{lead_id}/messages/{message_id}/resend"
        return MessageOut.model_validate(await self.json("POST", path))

    async def timeline(self, lead_id: uuid.UUID | str) -> list[TimelineEvent]:
        body = await self.json("GET", f"{OWNER}/leads/{lead_id}/timeline")
        items = body["items"] if isinstance(body, dict) else body
        return [TimelineEvent.model_validate(item) for item in items]

    async def follow_ups(self, state: str | None = None) -> list[FollowUpOut]:
        params = {"state": state, "limit": 500} if state else {"limit": 500}
        body = await self.json("GET", f"{OWNER}/follow-ups", params=params)
        return [FollowUpOut.model_validate(item) for item in body["items"]]

    async def schedule_follow_up(self, lead_id: uuid.UUID | str, when: datetime) -> FollowUpOut:
        body = await self.json(
            "POST", f"{OWNER}/leads/{lead_id}/follow-ups", json={"scheduled_at": when.isoformat()}
        )
        return FollowUpOut.model_validate(body)

    async def business(self) -> BusinessOut:
        return BusinessOut.model_validate(await self.json("GET", f"{OWNER}/business"))

    async def update_business(self, changes: dict[str, Any]) -> BusinessOut:
        body = await self.json("PATCH", f"{OWNER}/business", json=changes)
        return BusinessOut.model_validate(body)

    async def form(self) -> FormOut:
        return FormOut.model_validate(await self.json("GET", f"{OWNER}/form"))

    async def update_form(self, changes: dict[str, Any]) -> FormOut:
        return FormOut.model_validate(await self.json("PATCH", f"{OWNER}/form", json=changes))

    async def team(self) -> list[dict[str, Any]]:
        """The business's members (plain dicts until the team shape moves to ``shared``)."""
        return list(await self.json("GET", f"{OWNER}/team"))

    async def invite_member(self, email: str, full_name: str = "") -> dict[str, Any]:
        body = {"email": email, "full_name": full_name, "role": "staff"}
        return dict(await self.json("POST", f"{OWNER}/team/invites", json=body))

    async def upload_logo(self, name: str, data: bytes, content_type: str) -> BusinessOut:
        files = {"file": (name, data, content_type)}
        return BusinessOut.model_validate(
            await self.json("POST", f"{OWNER}/business/logo", files=files)
        )

    async def delete_logo(self) -> BusinessOut:
        return BusinessOut.model_validate(await self.json("DELETE", f"{OWNER}/business/logo"))

    async def public_bytes(self, url: str) -> bytes:
        """A public file the server links to (a logo), by its absolute URL."""
        response = await self._send("GET", url)
        raise_for_error(response)
        return response.content

    async def set_member_active(self, member_id: str, active: bool) -> dict[str, Any]:
        """Reactivate or deactivate a team member (owners only)."""
        action = "reactivate" if active else "deactivate"
        return dict(await self.json("POST", f"{OWNER}/team/{member_id}/{action}"))

    async def metrics(self) -> OwnerMetrics:
        return OwnerMetrics.model_validate(await self.json("GET", f"{OWNER}/metrics"))

    async def attachment(self, lead_id: uuid.UUID | str, attachment_id: uuid.UUID | str) -> bytes:
        """The bytes of one file of a customer's reply."""
        response = await self._send("GET", f"{OWNER}/leads/{lead_id}/attachments/{attachment_id}")
        raise_for_error(response)
        return response.content

    async def rotate_reply_address(self, lead_id: uuid.UUID | str) -> ReplyAddressOut:
        """Revoke the lead's reply address and give it a new one."""
        body = await self.json("POST", f"{OWNER}/leads/{lead_id}/reply-address/rotate")
        return ReplyAddressOut.model_validate(body)

    async def form_qr_png(self, slug: str) -> bytes:
        response = await self._send("GET", f"/forms/{slug}/qr.png")
        raise_for_error(response)
        return response.content

    # -- sync (CONTRACT §7) --------------------------------------------------------------------

    async def pull(self, cursor: int, limit: int = 500) -> SyncPage:
        response = await self.pull_raw(cursor, limit)
        return parse_page(response)

    async def pull_raw(self, cursor: int, limit: int = 500) -> httpx.Response:
        """One ``/sync`` page, unparsed (``parse_page``, ``peek_page``): a bootstrap asks for
        the next page before parsing this one."""
        return await self.request("GET", f"{OWNER}/sync", params={"cursor": cursor, "limit": limit})

    async def push(self, device_id: uuid.UUID | str, mutations: list[Mutation]) -> list[PushResult]:
        body = await self.json(
            "POST",
            f"{OWNER}/sync/push",
            json={"device_id": str(device_id), "mutations": [m.wire() for m in mutations]},
        )
        return [PushResult.model_validate(item) for item in body["results"]]

    async def events(self, read_timeout: float = 40.0) -> AsyncIterator[ServerEvent]:
        """The ``/events`` stream; ends (or raises ``OfflineError``) when the connection drops.

        The server sends a comment every 15 s, so a read that waits ``read_timeout`` seconds
        means the connection is dead even if the socket never said so.
        """
        if self.access_token is None and self.refresh_token:
            await self.refresh(only_if_missing=True)
        for attempt in (1, 2):
            used = self.access_token
            timeout = httpx.Timeout(10.0, read=read_timeout)
            try:
                async with self._http.stream(
                    "GET",
                    f"{OWNER}/events",
                    headers={**self._headers(), "Accept": "text/event-stream"},
                    timeout=timeout,
                ) as response:
                    if response.status_code == 401 and attempt == 1 and self.refresh_token:
                        await self.refresh(stale_access=used)
                        continue
                    if response.status_code >= 400:
                        await response.aread()
                        raise_for_error(response)
                    async for event in parse_events(response.aiter_lines()):
                        yield event
                    return
            except (httpx.TransportError, OSError) as error:
                raise OfflineError(str(error) or type(error).__name__) from error


PAGE_HEAD = re.compile(rb'\A\s*\{\s*"cursor"\s*:\s*(\d+)\s*,\s*"has_more"\s*:\s*(true|false)')


def parse_page(response: httpx.Response) -> SyncPage:
    try:  # parsed and checked in one pass: a bootstrap page is ~350 KB of JSON
        return SyncPage.model_validate_json(response.content)
    except ValidationError as error:
        raise ServerError(
            response.status_code, "bad_json", "The server sent no sync page."
        ) from error


def peek_page(response: httpx.Response) -> tuple[int, bool] | None:
    """``(cursor, has_more)`` from the start of a page without parsing it, when the server
    wrote them first (it does); ``None`` otherwise."""
    head = PAGE_HEAD.match(response.content[:200])
    return (int(head.group(1)), head.group(2) == b"true") if head else None


def raise_for_error(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    raise error_from_response(response.status_code, body, dict(response.headers))

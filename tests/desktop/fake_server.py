"""An in-memory owner API behind ``httpx.MockTransport``, following CONTRACT §4, §6 and §7.

It keeps versioned rows like the real server, answers ``/sync`` pages, applies pushed mutations at
most once per id (counting the emails a reply would send), and streams ``/events``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

BUSINESS_ID = str(uuid.uuid4())


def iso(dt: datetime | None = None) -> str:
    return (dt or datetime.now(UTC)).isoformat()


class FakeOwnerServer:
    def __init__(self) -> None:
        self.version = 0
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}  # (entity, id) -> {version, data}
        self.tombstones: dict[tuple[str, str], int] = {}
        self.applied: dict[str, dict[str, Any]] = {}
        self.rejected: dict[str, dict[str, Any]] = {}
        self.emails: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.refresh_tokens: set[str] = {"refresh-0"}
        self.access_tokens: set[str] = set()
        self.token_counter = 0
        self.offline = False
        self.drop_push_response = 0
        self.events_enabled = True
        self.event_queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[int]]] = []
        self.reject_types: dict[str, str] = {}
        self.member_role = "owner"  # the signed-in user's role in the business
        self.business_id = BUSINESS_ID
        self.put(
            "business",
            BUSINESS_ID,
            {
                "id": BUSINESS_ID,
                "name": "Sparkle Cleaning",
                "slug": "sparkle",
                "industry": None,
                "phone": None,
                "contact_email": "desk@sparkle.test",
                "address": None,
                "brand_color": "#2255aa",
                "status": "active",
                "smart_auto_reply": False,
                "owner_approval_required": True,
                "auto_reply_threshold": 0.8,
                "facts": None,
                "timezone": "UTC",
                "created_at": iso(),
                "updated_at": iso(),
                "form_slug": "sparkle",
                "form_url": "http://testserver/forms/sparkle",
                "inbound_enabled": True,
            },
        )

    # -- data -----------------------------------------------------------------------------------

    def put(self, entity: str, key: str, data: dict[str, Any]) -> int:
        self.version += 1
        if "version" in data or entity in ("lead", "message", "follow_up"):
            data["version"] = self.version
        self.rows[(entity, key)] = {"version": self.version, "data": data}
        for loop, queue in list(self.event_queues):
            loop.call_soon_threadsafe(queue.put_nowait, self.version)
        return self.version

    def delete(self, entity: str, key: str) -> None:
        self.rows.pop((entity, key), None)
        self.version += 1
        self.tombstones[(entity, key)] = self.version

    def add_lead(
        self,
        name: str = "Casey Customer",
        *,
        message: str = "Deep clean please",
        service: str | None = "Deep clean",
        phone: str | None = "+44 7700 900123",
        email: str | None = None,
        status: str = "new",
        with_ai: bool = True,
        created: datetime | None = None,
        urgency: str | None = "normal",
    ) -> str:
        lead_id = str(uuid.uuid4())
        stamp = iso(created)
        self.put(
            "lead",
            lead_id,
            {
                "id": lead_id,
                "business_id": BUSINESS_ID,
                "customer_name": name,
                "customer_email": email or f"{name.split()[0].lower()}@example.net",
                "customer_phone": phone,
                "service_needed": service,
                "preferred_time": None,
                "message": message,
                "status": status,
                "comm_status": "new",
                "source": "form",
                "urgency": urgency,
                "auto_sent": False,
                "created_at": stamp,
                "updated_at": stamp,
                "last_activity_at": stamp,
                "gate_allowed": False,
                "gate_reasons": ["owner_approval_required"],
            },
        )
        self.add_message(
            lead_id, message, type_="customer_message", direction="inbound", created=created
        )
        if with_ai:
            ai_id = str(uuid.uuid4())
            self.put(
                "ai_analysis",
                ai_id,
                {
                    "id": ai_id,
                    "lead_id": lead_id,
                    "summary": f"{name} wants {service}",
                    "urgency": "normal",
                    "intent": "quote_request",
                    "suggested_reply": f"Hello {name}, thanks for asking.",
                    "next_step": "Call back",
                    "tags": ["cleaning"],
                    "risk_level": "low",
                    "confidence_score": 0.9,
                    "blocked_topics": [],
                    "auto_send_allowed": False,
                    "provider": "local",
                    "model": "rules",
                    "status": "ok",
                    "created_at": stamp,
                },
            )
        return lead_id

    def add_message(
        self,
        lead_id: str,
        content: str,
        *,
        type_: str = "customer_message",
        direction: str = "inbound",
        client_id: str | None = None,
        created: datetime | None = None,
    ) -> str:
        message_id = str(uuid.uuid4())
        self.put(
            "message",
            message_id,
            {
                "id": message_id,
                "lead_id": lead_id,
                "type": type_,
                "direction": direction,
                "subject": None,
                "content": content,
                "client_id": client_id,
                "email_status": "queued" if direction == "outbound" else None,
                "created_at": iso(created),
            },
        )
        return message_id

    def add_follow_up(self, lead_id: str, at: datetime, status: str = "scheduled") -> str:
        key = str(uuid.uuid4())
        self.put(
            "follow_up",
            key,
            {
                "id": key,
                "lead_id": lead_id,
                "status": status,
                "state": status,
                "scheduled_at": iso(at),
                "sent_at": None,
                "canceled_at": None,
            },
        )
        return key

    def lead(self, lead_id: str) -> dict[str, Any]:
        return dict(self.rows[("lead", lead_id)]["data"])

    def set_lead(self, lead_id: str, **changes: Any) -> None:
        data = self.lead(lead_id)
        data.update(changes, updated_at=iso())
        self.put("lead", lead_id, data)

    # -- transport --------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.offline:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        body = json.loads(request.content) if request.content else {}
        if path == "/api/v1/auth/login":
            if body.get("password") != "owner-password-123":
                return error(401, "invalid_credentials", "Wrong email or password.")
            return self.tokens()
        if path == "/api/v1/auth/refresh":
            token = body.get("refresh_token")
            if token not in self.refresh_tokens:
                self.refresh_tokens.clear()
                return error(401, "invalid_refresh_token", "Sign in again.")
            self.refresh_tokens.discard(token)
            return self.tokens()
        if path == "/api/v1/auth/logout":
            self.refresh_tokens.discard(body.get("refresh_token"))
            return httpx.Response(204)
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.access_tokens:
            return error(401, "not_authenticated", "Sign in to continue.")
        owner = "/api/v1/owner"
        if path == f"{owner}/sync":
            return self.sync(
                int(request.url.params["cursor"]), int(request.url.params.get("limit", 500))
            )
        if path == f"{owner}/sync/push":
            return self.push(body)
        if path == f"{owner}/events":
            if not self.events_enabled:
                return error(404, "not_found", "Not found.")
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=self.stream()
            )
        return error(404, "not_found", "Not found.")

    def tokens(self) -> httpx.Response:
        self.token_counter += 1
        access, refresh = f"access-{self.token_counter}", f"refresh-{self.token_counter}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return httpx.Response(
            200,
            json={
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "bearer",
                "expires_in": 900,
                "user": {
                    "id": str(uuid.uuid4()),
                    "email": "owner@sparkle.test",
                    "full_name": "Olive Owner",
                    "role": "business_owner",
                },
                "memberships": [
                    {
                        "business_id": BUSINESS_ID,
                        "business_name": "Sparkle Cleaning",
                        "role": self.member_role,
                    }
                ],
            },
        )

    def sync(self, cursor: int, limit: int) -> httpx.Response:
        if cursor > self.version:
            return error(409, "cursor_invalid", "The cursor is ahead of the server.")
        changes = [
            {"entity": e, "id": k, "version": row["version"], "deleted": False, "data": row["data"]}
            for (e, k), row in self.rows.items()
            if row["version"] > cursor
        ]
        changes += [
            {"entity": e, "id": k, "version": v, "deleted": True, "data": None}
            for (e, k), v in self.tombstones.items()
            if v > cursor
        ]
        changes.sort(key=lambda c: c["version"])
        page = changes[:limit]
        new_cursor = page[-1]["version"] if page else cursor
        return httpx.Response(
            200, json={"cursor": new_cursor, "has_more": len(changes) > limit, "changes": page}
        )

    def push(self, body: dict[str, Any]) -> httpx.Response:
        results = []
        for mutation in body["mutations"]:
            mid = mutation["id"]
            if mid in self.applied:
                results.append({"id": mid, "status": "duplicate", "error": None})
                continue
            if mid in self.rejected:  # like the server: a verdict is kept per id, forever
                results.append({"id": mid, "status": "duplicate", "error": self.rejected[mid]})
                continue
            reason = self.reject_types.get(mutation["type"])
            if reason:
                self.rejected[mid] = {"code": "rejected", "message": reason}
                results.append({"id": mid, "status": "rejected", "error": self.rejected[mid]})
                continue
            self.apply(mutation)
            self.applied[mid] = mutation
            results.append({"id": mid, "status": "applied", "error": None})
        if self.drop_push_response:
            self.drop_push_response -= 1
            raise httpx.ReadError("connection reset while reading the answer")
        return httpx.Response(200, json={"results": results})

    def apply(self, mutation: dict[str, Any]) -> None:
        kind = mutation["type"]
        if kind in ("reply", "approve_draft"):
            self.emails.append(mutation)
            self.add_message(
                mutation["lead_id"],
                mutation.get("content", "draft"),
                type_="owner_reply",
                direction="outbound",
                client_id=mutation["id"],
            )
            self.set_lead(mutation["lead_id"], comm_status="owner_replied")
        elif kind == "set_status":
            self.set_lead(mutation["lead_id"], status=mutation["status"])
        elif kind == "add_note":
            self.add_message(
                mutation["lead_id"],
                mutation["content"],
                type_="note",
                direction="internal",
                client_id=mutation["id"],
            )
        elif kind == "update_follow_up":
            key = ("follow_up", mutation["follow_up_id"])
            data = dict(self.rows[key]["data"])
            if mutation.get("status"):
                data["status"] = mutation["status"]
            if mutation.get("scheduled_at"):
                data["scheduled_at"] = mutation["scheduled_at"]
            self.put("follow_up", mutation["follow_up_id"], data)

    async def stream(self):
        queue: asyncio.Queue[int] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        self.event_queues.append(entry)
        try:
            yield b": connected\n\n"
            while True:
                version = await queue.get()
                if version < 0:
                    return
                yield f"event: change\ndata: {json.dumps({'cursor': version})}\n\n".encode()
        finally:
            self.event_queues.remove(entry)

    def close_streams(self) -> None:
        for loop, queue in list(self.event_queues):
            loop.call_soon_threadsafe(queue.put_nowait, -1)


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message, "details": None}}
    )


def hours(n: float) -> timedelta:
    return timedelta(hours=n)

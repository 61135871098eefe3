"""ASGI middleware: a body size limit (413 before a large body is read) and NUL-free input.

PostgreSQL cannot store the NUL character in text, and no real form field holds one, so a NUL in
the path, the query or a JSON or form body is refused with 400 before any route runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException

from server.errors import error_body

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

# An escaped NUL in JSON (``\u0000`` not itself escaped), or a raw NUL byte, or ``%00``.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00|\x00", re.IGNORECASE)
_CARRY = 16
NUL_MESSAGE = "The request contains a NUL character, which no field accepts."


class BodyLimitMiddleware:
    def __init__(self, app: Any, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope.get("path", "").encode()
        if _FORM_NUL.search(raw_path) or _FORM_NUL.search(scope.get("query_string", b"")):
            await _reject(send, 400, "invalid_characters", NUL_MESSAGE)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _reject(send, 400, "malformed_body", "Invalid Content-Length header.")
                return
            if too_big:
                await _reject(send, 413, "payload_too_large", "The request body is too large.")
                return
        content_type = headers.get(b"content-type", b"").lower()
        pattern = (
            _JSON_NUL
            if b"json" in content_type
            else _FORM_NUL
            if b"x-www-form-urlencoded" in content_type
            else None
        )
        received = 0
        tail = b""

        async def checked_receive() -> dict[str, Any]:
            nonlocal received, tail
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    # FastAPI re-raises HTTPException from body reading; the handler renders 413.
                    raise HTTPException(413, "The request body is too large.")
                if pattern is not None:
                    if pattern.search(tail + chunk):
                        raise HTTPException(400, NUL_MESSAGE)
                    tail = (tail + chunk)[-_CARRY:]
            return message

        await self.app(scope, checked_receive, send)


async def _reject(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

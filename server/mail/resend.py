"""Resend delivery over its HTTP API (``POST {base}/emails``)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import httpx

from server.mail.base import DeliveryError

_PASSED_HEADERS = ("Message-ID", "In-Reply-To", "References", "Auto-Submitted")


class ResendProvider:
    name = "resend"

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout_s: float = 20.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._client = client

    async def send(self, message: EmailMessage) -> str:
        payload = self._payload(message)
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Idempotency-Key": str(message["Message-ID"]).strip("<>")[:256],
        }
        try:
            if self._client is not None:
                response = await self._client.post(
                    f"{self.base_url}/emails", json=payload, headers=headers
                )
            else:
                async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                    response = await client.post(
                        f"{self.base_url}/emails", json=payload, headers=headers
                    )
        except httpx.HTTPError as error:
            raise DeliveryError(f"Resend unavailable: {error}") from error
        if response.status_code >= 400:
            permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
            raise DeliveryError(
                f"Resend {response.status_code}: {response.text[:300]}", permanent=permanent
            )
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise DeliveryError("Resend answered without an id") from error

    @staticmethod
    def _payload(message: EmailMessage) -> dict[str, Any]:
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        payload: dict[str, Any] = {
            "from": str(message["From"]),
            "to": [str(message["To"])],
            "subject": str(message["Subject"]),
            "text": text_part.get_content() if text_part is not None else "",
            "html": html_part.get_content() if html_part is not None else "",
            "headers": {name: str(message[name]) for name in _PASSED_HEADERS if message[name]},
        }
        if message["Reply-To"]:
            payload["reply_to"] = str(message["Reply-To"])
        return payload

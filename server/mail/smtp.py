"""SMTP delivery (aiosmtplib) over connections kept open between messages."""

from __future__ import annotations

import asyncio
import socket
import time
from email.message import EmailMessage

import aiosmtplib

from server.mail.base import DeliveryError

# A connection idle this long is closed rather than used again: servers may drop an idle client
# after a few minutes (RFC 5321 §4.5.3.2 asks them to wait at least five).
IDLE_S = 30.0
KEPT = 8  # idle connections kept open at most


class SmtpProvider:
    """Each message goes out on an idle connection of this event loop, or a new one. A connection
    that saw any error is closed, never used again: the next message opens a fresh one."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_s: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username or None
        self.password = password or None
        self.starttls = starttls
        self.timeout_s = timeout_s
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # (connection, idle since)
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the connections belong to
        self._local_hostname: str | None = None  # our EHLO name, looked up once

    async def send(self, message: EmailMessage) -> str:
        client = await self._connection()
        try:
            await client.send_message(message)
        except BaseException as error:
            self._close(client)  # its state is unknown now (cancelled mid-conversation too)
            failure = _delivery_error(error)
            if failure is None:
                raise
            raise failure from error
        if len(self._idle) < KEPT:
            self._idle.append((client, time.monotonic()))
        else:
            self._close(client)
        return str(message["Message-ID"])

    async def _connection(self) -> aiosmtplib.SMTP:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections of another (finished) loop cannot be used
            self._idle, self._loop = [], loop
        now = time.monotonic()
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and now - since < IDLE_S:
                return client
            self._close(client)
        if self._local_hostname is None:  # aiosmtplib would look it up again on each connection
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.starttls,
            use_tls=False,
            timeout=self.timeout_s,
            local_hostname=self._local_hostname,
        )
        try:
            await client.connect()
        except BaseException as error:
            self._close(client)
            failure = _delivery_error(error)
            if failure is None:
                raise
            raise failure from error
        return client

    @staticmethod
    def _close(client: aiosmtplib.SMTP) -> None:
        """Drop the connection without a goodbye: it may be broken, and waiting costs time."""
        if client.is_connected:
            client.close()


def _delivery_error(error: BaseException) -> DeliveryError | None:
    """The ``DeliveryError`` an SMTP failure means; None for anything else (raised as it is)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        # A 4xx refusal (greylisting, a full mailbox, a rate limit) is worth a retry.
        refused = error.recipients
        reason = "; ".join(f"SMTP {r.code} for {r.recipient}: {r.message}" for r in refused)
        return DeliveryError(
            f"recipient refused: {reason}", permanent=all(r.code >= 500 for r in refused)
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        permanent = 500 <= error.code < 600  # 4xx is temporary (RFC 5321 §4.2.1)
        return DeliveryError(f"SMTP {error.code}: {error.message}", permanent=permanent)
    if isinstance(error, (aiosmtplib.SMTPException, OSError, TimeoutError)):
        return DeliveryError(f"SMTP unavailable: {error}")
    return None

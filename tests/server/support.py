"""Real outside parts for server tests: an SMTP sink on loopback, PostgreSQL admin commands, the
labelled development data beside the repository."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url


class _Counter:
    count = 0


POSTGRES_DATABASES = _Counter()  # how many PostgreSQL test databases this run made


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server that keeps every message; ``fail_with`` makes it refuse mail,
    ``data_answers`` / ``rcpt_answers`` answer the next DATA / RCPT commands with those codes,
    ``refused`` refuses some addresses, and ``delay_s`` holds each DATA answer back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.fail_with: int | None = None
        self.data_answers: list[int] = []
        self.rcpt_answers: list[int] = []
        self.refused: dict[str, int] = {}  # address → the code every RCPT to it gets
        self.delay_s = 0.0
        self.rcpt_delay_s = 0.0  # a slow conversation before the server has accepted anything
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_delay_s:
            await asyncio.sleep(self.rcpt_delay_s)
        with self._lock:
            code = self.rcpt_answers.pop(0) if self.rcpt_answers else self.refused.get(address)
        if code is not None and code != 250:
            return f"{code} Recipient not taken now"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        with self._lock:
            code = self.data_answers.pop(0) if self.data_answers else self.fail_with
        if code is not None and code != 250:
            return f"{code} Service unavailable"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m.get("To", ""))]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mail(s) to {address}, got {len(self.to(address))}")


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""  # type: ignore[attr-defined]


def html_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""  # type: ignore[attr-defined]


def pg_admin_execute(url: str, sql: str) -> None:
    parsed = make_url(url)
    conninfo = (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname=postgres"
    )
    if parsed.password:
        conninfo += f" password={parsed.password}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def server_env(settings: Any, **extra: str) -> dict[str, str]:
    """The environment of a ``leadflow-server`` child process configured like ``settings``."""
    return os.environ | {
        "LEADFLOW_ENV": "test",
        "LEADFLOW_DATABASE_URL": settings.database_url,
        "LEADFLOW_DATA_DIR": str(settings.data_dir),
        "LEADFLOW_SECRET_KEY": settings.secret_key.get_secret_value(),
        "LEADFLOW_PUBLIC_URL": settings.public_url,
        **extra,
    }


def require_shared_data(path: Path) -> None:
    """Skip the calling test module when ``path`` (under ``../shared/data``) is not checked out,
    except in CI (``CI=true``), where missing data fails the run: there a skip would hide that
    the safety figures were never measured."""
    if path.exists():
        return
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"CI=true and the test data {path} is missing", pytrace=False)
    pytest.skip(f"{path} is not checked out", allow_module_level=True)

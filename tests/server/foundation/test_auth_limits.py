"""Sign-in and password-reset limits that hold under parallel requests and cost no one else:
the count is exact, the password check holds no write transaction, resets are limited per
address and per client."""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from server.auth import service as auth_service
from server.auth.security import verify_password
from server.config import Settings
from tests.server.conftest import make_settings
from tests.server.factories import ADMIN_EMAIL, ADMIN_PASSWORD, admin_headers, onboard, submit
from tests.server.support import SmtpSink

LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/password/forgot"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtp: SmtpSink) -> Settings:
    # A real argon2 cost here (the suite's default is the cheapest), so a check takes long
    # enough for the requests beside it to show whether they wait for it.
    return make_settings(
        db_url, tmp_path / "data", smtp, argon2_time_cost=3, argon2_memory_kib=65_536
    )


async def test_parallel_wrong_passwords_never_pass_the_limit(ctx, client, settings):
    await admin_headers(ctx, client)
    guesses = await asyncio.gather(
        *(
            client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": f"guess-{n:06d}"})
            for n in range(12)
        )
    )
    statuses = sorted(response.status_code for response in guesses)
    assert statuses == [401] * settings.login_max_failures + [429] * (
        12 - settings.login_max_failures
    )
    right = await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0


async def test_a_sign_in_attempt_is_counted_and_a_success_takes_its_own_back(ctx, client):
    await admin_headers(ctx, client)
    for _ in range(4):
        wrong = await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": "wrong-pass-1"})
        assert wrong.status_code == 401
    for _ in range(3):  # each success clears the address's failures and its own attempt
        ok = await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert ok.status_code == 200
    for _ in range(5):
        assert (
            await client.post(LOGIN, json={"email": ADMIN_EMAIL, "password": "wrong-pass-1"})
        ).status_code == 401


async def test_failed_sign_ins_do_not_hold_the_writer_while_the_password_is_checked(
    ctx, client, smtp, worker, monkeypatch
):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    checking = threading.Semaphore(0)
    submitted = threading.Event()
    checks_outlasted_the_submit: list[bool] = []

    def slow_verify(password_hash: str | None, password: str) -> bool:
        # Each password check lasts until the customer's submit is stored (or 10 s pass): a
        # submit that needs a writer the sign-ins hold would only finish after the timeout.
        checking.release()
        checks_outlasted_the_submit.append(submitted.wait(timeout=10))
        return verify_password(password_hash, password)

    monkeypatch.setattr(auth_service, "verify_password", slow_verify)

    async def bad_login(n: int) -> None:
        email = f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.com"
        response = await client.post(LOGIN, json={"email": email, "password": "wrong-pass-1"})
        assert response.status_code == 401

    async def customer() -> None:
        for _ in range(3):  # every sign-in is checking its password
            assert await asyncio.to_thread(checking.acquire, timeout=10)
        response = await submit(client, tenant.slug)
        assert response.status_code == 202
        submitted.set()

    # Fewer sign-ins than the default thread pool has threads: the submit must not wait for
    # a thread either, only (before the fix) for the writer the sign-ins held.
    await asyncio.gather(*(bad_login(n) for n in range(3)), customer())
    assert checks_outlasted_the_submit == [True, True, True]


async def test_reset_mails_are_limited_per_address_and_the_answer_never_changes(
    ctx, client, smtp, worker
):
    await admin_headers(ctx, client)
    answers = [await client.post(FORGOT, json={"email": ADMIN_EMAIL.upper()}) for _ in range(6)]
    unknown = await client.post(FORGOT, json={"email": "nobody@example.com"})
    assert {a.status_code for a in answers} == {unknown.status_code} == {202}
    assert {a.content for a in answers} == {unknown.content}
    await worker.tick()
    assert len(smtp.to(ADMIN_EMAIL)) == 3


async def test_reset_requests_are_limited_per_client_address(ctx, client, settings):
    limit = settings.login_max_failures * 4
    for n in range(limit):
        response = await client.post(FORGOT, json={"email": f"someone-{n}@example.com"})
        assert response.status_code == 202
    refused = await client.post(FORGOT, json={"email": "one-more@example.com"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "rate_limited"
    other = httpx.ASGITransport(app=client._transport.app, client=("198.51.100.7", 1))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as second:
        assert (await second.post(FORGOT, json={"email": "x@example.com"})).status_code == 202

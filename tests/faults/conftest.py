"""Fault-suite fixtures: a fresh PostgreSQL database (the suite needs PostgreSQL: production's
shape is several processes on one database; without LEADFLOW_TEST_DATABASE_URL it runs on a
PostgreSQL server of its own), the SMTP sink, the AI stand-in, an onboarded
business, and the cluster of real processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from server.app import create_app
from server.context import build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.migrate import upgrade
from tests.faults.cluster import Cluster
from tests.faults.postgres import OwnPostgres
from tests.server.conftest import PG_URL, fresh_database, make_settings, pg_template, smtp  # noqa: F401
from tests.server.factories import Tenant, admin_headers, onboard
from tests.server.intake.ai_stand_in import AIStandIn
from tests.server.support import SmtpSink


@pytest.fixture(scope="session")
def suite_postgres() -> Iterator[OwnPostgres | None]:
    """The PostgreSQL server the scenarios run on when none is configured: one of the suite's
    own (``initdb`` and ``pg_ctl`` from the installed server), for the whole run."""
    if PG_URL:
        yield None
        return
    server = OwnPostgres()
    server.init()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(
    request: pytest.FixtureRequest, tmp_path: Path, suite_postgres: OwnPostgres | None
) -> Iterator[str]:
    """A fresh, migrated database on the configured PostgreSQL, else on the suite's own."""
    if suite_postgres is None:
        yield from fresh_database("postgres", request, tmp_path)
        return
    name = f"lf_f_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(suite_postgres.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = suite_postgres.url_of(name)
    upgrade(url)
    yield url


@pytest.fixture
def ai() -> Iterator[AIStandIn]:
    stand_in = AIStandIn()
    stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def settings(pg_url: str, tmp_path: Path, smtp: SmtpSink):  # type: ignore[no-untyped-def]  # noqa: F811
    return make_settings(pg_url, tmp_path / "data", smtp)


@pytest.fixture
async def tenant(settings, smtp: SmtpSink) -> AsyncIterator[Tenant]:  # noqa: F811
    """An active business with smart auto-reply on, made through the API in this process."""
    ctx = build_context(settings)
    app = create_app(ctx=ctx)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                worker = Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="setup")
                tenant = await onboard(
                    ctx,
                    c,
                    smtp,
                    worker,
                    await admin_headers(ctx, c),
                    name="Sparkle Cleaning",
                    smart_auto_reply=True,
                    owner_approval_required=False,
                )
    finally:
        await ctx.db.dispose()
    smtp.messages.clear()
    yield tenant


@pytest.fixture
def cluster(settings, smtp: SmtpSink, ai: AIStandIn, tmp_path: Path) -> Iterator[Cluster]:  # noqa: F811
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Cluster(settings, smtp, ai, logs)
    yield processes
    processes.stop()

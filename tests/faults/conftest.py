"""Fault-suite fixtures: a fresh PostgreSQL database (the suite needs PostgreSQL: production's
shape is several processes on one database), the SMTP sink, the AI stand-in, an onboarded
business, and the cluster of real processes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.context import build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from tests.faults.cluster import Cluster
from tests.server.conftest import PG_URL, make_settings, pg_template, pg_url, smtp  # noqa: F401
from tests.server.factories import Tenant, admin_headers, onboard
from tests.server.intake.ai_stand_in import AIStandIn
from tests.server.support import SmtpSink


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The suite is PostgreSQL's: in CI (``LEADFLOW_REQUIRE_POSTGRES=1``) a missing database
    fails the run; on a developer's machine without one, the scenarios say why they did not run."""
    scenarios = [item for item in items if _is_scenario(item)]
    if PG_URL or not scenarios:
        return
    if os.environ.get("LEADFLOW_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError("the fault suite needs LEADFLOW_TEST_DATABASE_URL in CI")
    skip = pytest.mark.skip(reason="the fault suite needs LEADFLOW_TEST_DATABASE_URL")
    for item in scenarios:
        item.add_marker(skip)


def _is_scenario(item: pytest.Item) -> bool:
    """A test that runs the cluster (the history checks' own tests need no database)."""
    return "tests/faults" in str(item.fspath) and "cluster" in getattr(item, "fixturenames", ())

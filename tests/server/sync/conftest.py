"""The sync tests use the owner tests' world, and a world on PostgreSQL for concurrency."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.app import create_app
from server.context import build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from tests.server.conftest import make_settings
from tests.server.factories import admin_headers
from tests.server.owner.conftest import tenant, world
from tests.server.owner.people import World

__all__ = ["pg_world", "tenant", "world"]


@pytest.fixture
async def pg_world(pg_url, tmp_path, smtp) -> AsyncIterator[World]:
    """The world on a fresh PostgreSQL database (skipped when PostgreSQL is not configured)."""
    ctx = build_context(make_settings(pg_url, tmp_path / "data", smtp))
    app = create_app(ctx=ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            worker = Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="pg")
            yield World(ctx, client, smtp, worker, await admin_headers(ctx, client))

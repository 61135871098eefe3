"""Fixtures of the owner API tests: the world (app, SMTP sink, worker, admin) and one tenant."""

from __future__ import annotations

import pytest

from tests.server.factories import Tenant, admin_headers
from tests.server.owner.people import World


@pytest.fixture
async def world(ctx, client, smtp, worker) -> World:
    return World(ctx, client, smtp, worker, await admin_headers(ctx, client))


@pytest.fixture
async def tenant(world: World) -> Tenant:
    """An active business that needs the owner's approval before any AI reply goes out."""
    return await world.tenant()

"""``server.storage``: the hot paths of each database, beyond what the intake tests show.

On PostgreSQL a new lead is written in autocommit on a pooled connection: at most
``AUTOCOMMIT_SLOTS`` at once, first come first served, a write commits by itself, and a
connection lost to a restart fails once (503) and is replaced.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from server import audit
from server.db import Database
from server.errors import database_unreachable
from server.models.base import table_of
from server.models.ops import AuditLog
from server.storage.postgres import PostgresStorage
from tests.server.support import pg_admin_execute


@pytest.fixture
async def pg_db(pg_url: str):  # type: ignore[no-untyped-def]
    db = Database(pg_url, pool_size=2)
    yield db
    await db.dispose()


async def test_on_postgres_a_plans_writes_commit_by_themselves(pg_db):
    """Whatever the plan writes before it answers is committed: there is no transaction."""
    row = audit.values("lead.received", entity_id=uuid.uuid4(), details={"spam": ["link"]})

    def write(conn: Connection) -> str:
        conn.execute(insert(table_of(AuditLog)), row)
        return "done"

    assert await pg_db.storage.insert_new_lead(write) == "done"
    async with pg_db.read_session() as session:  # another connection: committed
        found = await session.get(AuditLog, row["id"])
        assert found is not None and found.details == {"spam": ["link"]}


@pytest.mark.parametrize("pool_size", [2, 10])
async def test_on_postgres_callers_take_turns_first_come_first_served(pg_url, pool_size):
    """At most ``AUTOCOMMIT_SLOTS`` (3) connections are lent at once, or the pool's size if it
    is smaller (never the pool's overflow), and the others wait in the order they came (those
    let in together may start in either order)."""
    slots = min(PostgresStorage.AUTOCOMMIT_SLOTS, pool_size)
    db = Database(pg_url, pool_size=pool_size)
    entered: list[int] = []
    inside = 0
    most = 0

    def plan(conn: Connection, n: int) -> int:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        entered.append(n)
        conn.execute(select(func.pg_sleep(0.02)))
        inside -= 1
        return n

    def hold(conn: Connection) -> None:
        conn.execute(select(func.pg_sleep(0.05)))

    try:
        # Each slot's connection is opened first: a caller let in while its new connection is
        # still being made would otherwise start after later callers served by a pooled one.
        await asyncio.gather(*(db.storage.insert_new_lead(hold) for _ in range(slots)))
        results = await asyncio.gather(*(db.storage.insert_new_lead(plan, n) for n in range(8)))
    finally:
        await db.dispose()
    assert results == list(range(8))
    assert most == slots
    assert sorted(entered) == list(range(8))
    assert all(abs(entered.index(n) - n) < slots for n in range(8)), entered


async def test_on_postgres_a_lost_connection_is_an_operational_error_and_is_replaced(pg_url):
    """The server ends the backend (a restart): the next statement on it fails as an error the
    API answers with 503 (SQLAlchemy's ``OperationalError``, or the driver's "connection closed"
    when the end is seen mid-statement), and the connection is dropped, so the one after works."""
    db = Database(pg_url, pool_size=1)

    def backend(conn: Connection) -> int:
        return int(conn.execute(select(func.pg_backend_pid())).scalar_one())

    try:
        first = await db.storage.insert_new_lead(backend)
        pg_admin_execute(pg_url, f"SELECT pg_terminate_backend({first})")
        with pytest.raises(DBAPIError) as lost:
            await db.storage.insert_new_lead(backend)
        assert isinstance(lost.value, OperationalError) or database_unreachable(lost.value)
        assert await db.storage.insert_new_lead(backend) != first
    finally:
        await db.dispose()

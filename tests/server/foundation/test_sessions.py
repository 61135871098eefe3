"""Read sessions never write and, on SQLite, never wait for the writer; writers take turns."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from server.db import Database, ReadOnlyWrite
from server.models.base import utcnow
from server.models.ops import AuditLog


async def test_a_read_session_refuses_to_write(db_url):
    db = Database(db_url)
    try:
        async with db.read_session() as session:
            session.add(AuditLog(action="x", actor="system"))
            with pytest.raises(ReadOnlyWrite):
                await session.flush()
    finally:
        await db.dispose()


async def test_reads_go_on_while_a_write_transaction_is_open(db_url):
    """On SQLite the writer holds the database's write lock from its first statement; a read
    session still reads the last committed state at once (it does not queue behind it)."""
    db = Database(db_url)
    try:
        async with db.session() as writer:
            writer.add(AuditLog(action="uncommitted", actor="system", created_at=utcnow()))
            await writer.flush()  # the write lock (SQLite) or the row (PostgreSQL) is held now

            async def read() -> int:
                async with db.read_session() as reader:
                    query = select(func.count()).where(AuditLog.action == "uncommitted")
                    return int((await reader.execute(query)).scalar_one())

            assert await asyncio.wait_for(read(), timeout=5) == 0  # not blocked, not dirty
        async with db.read_session() as reader:
            query = select(func.count()).where(AuditLog.action == "uncommitted")
            assert (await reader.execute(query)).scalar_one() == 1
    finally:
        await db.dispose()


async def test_writers_in_one_process_take_turns_without_losing_an_update(db_url):
    """Concurrent read-modify-write transactions on one row: none is lost, none fails (on
    SQLite they queue for the one writer connection; on PostgreSQL for the row lock)."""
    db = Database(db_url)
    try:
        async with db.session() as session:
            session.add(AuditLog(action="seed", actor="system", created_at=utcnow()))

        async def add_one(n: int) -> None:
            async with db.session() as session:
                count = (
                    await session.execute(
                        select(func.count()).where(AuditLog.action.like("turn-%"))
                    )
                ).scalar_one()
                await asyncio.sleep(0.005)  # hold the transaction across an await
                session.add(AuditLog(action=f"turn-{count}", actor=f"w{n}", created_at=utcnow()))

        await asyncio.gather(*(add_one(n) for n in range(12)))
        async with db.read_session() as session:
            query = select(AuditLog.action).where(AuditLog.action.like("turn-%"))
            actions = list((await session.execute(query)).scalars())
        if db.storage.name == "sqlite":  # serialised: every writer saw all the earlier ones
            assert sorted(actions, key=lambda a: int(a[5:])) == [f"turn-{i}" for i in range(12)]
        else:
            assert len(actions) == 12
    finally:
        await db.dispose()

"""``server.rawsql``: prebuilt statements on a DBAPI connection store and read values exactly as
SQLAlchemy does, and a statement it cannot run as compiled is refused when it is compiled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, insert, literal, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from server import audit
from server.db import Database
from server.jobs import queue
from server.models.base import table_of
from server.models.ops import AuditLog, Job
from server.rawsql import AsyncpgConnection, DBAPIConnection
from tests.server.conftest import fresh_database
from tests.server.support import pg_admin_execute

JOB_COLUMNS = select(Job.id, Job.payload, Job.run_at, Job.attempts).where(
    Job.id == bindparam("id", type_=Job.id.type)
)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database("sqlite", request, tmp_path)


@pytest.fixture
async def raw(sqlite_url: str):  # type: ignore[no-untyped-def]
    db = Database(sqlite_url)
    engine = db._thread_engine
    assert engine is not None
    pooled = engine.raw_connection()
    connection = DBAPIConnection(pooled.driver_connection, engine.dialect, {})
    try:
        yield db, connection
    finally:
        connection.close()
        pooled.close()
        await db.dispose()


async def test_a_row_written_raw_reads_back_through_the_orm_as_written(raw):
    db, connection = raw
    run_at = datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=UTC)
    row = queue.job_row("process_lead", {"lead_id": "x", "n": [1, 2], "ok": True}) | {
        "run_at": run_at
    }
    result = connection.execute(insert(table_of(Job)), row)  # in autocommit
    assert result.rowcount == 1
    async with db.session() as session:
        job = await session.get(Job, row["id"])
    assert job is not None
    assert job.payload == {"lead_id": "x", "n": [1, 2], "ok": True}
    assert job.run_at == run_at and job.run_at.tzinfo is not None
    assert (job.kind, job.status, job.attempts) == ("process_lead", "queued", 0)
    # And read raw: SQLAlchemy's result processors, so the same Python values.
    found = connection.execute(JOB_COLUMNS, {"id": row["id"]}).one()
    assert found == (row["id"], row["payload"], run_at, 0)
    assert isinstance(found[0], uuid.UUID)
    assert connection.execute(JOB_COLUMNS, {"id": uuid.uuid4()}).first() is None


async def test_a_row_is_stored_byte_for_byte_as_sqlalchemy_stores_it(raw):
    """Every column type the intake writes (UUID, timestamp, JSON, JSON ``None``, text)."""
    db, connection = raw
    statement = insert(table_of(AuditLog))
    row = audit.values("lead.received", entity_id=uuid.uuid4(), details={"spam": ["link"]})
    async with db.session() as session:  # through SQLAlchemy
        await session.execute(statement, row)
    connection.execute(statement, row | {"id": uuid.uuid4()})  # raw (in autocommit)
    stored = connection.dbapi_connection.execute(
        "SELECT actor, action, entity_id, old_values, typeof(old_values), details, created_at"
        " FROM audit_logs WHERE action = 'lead.received' ORDER BY rowid"
    ).fetchall()
    assert len(stored) == 2 and stored[0] == stored[1]
    assert stored[0][3:5] == ("null", "text")  # JSON's None is the JSON null, as SQLAlchemy has it


async def test_bound_constants_are_used_and_a_missing_parameter_is_an_error(raw):
    _db, connection = raw
    statement = select(
        literal(41, type_=Job.attempts.type) + bindparam("n", type_=Job.attempts.type)
    )
    assert connection.execute(statement, {"n": 1}).scalar() == 42
    with pytest.raises(KeyError, match="'n'"):
        connection.execute(statement, {})


async def test_a_column_left_to_a_python_default_is_refused_when_compiled(raw):
    _db, connection = raw
    row = queue.job_row("process_lead", {}) | {"run_at": datetime.now(UTC) + timedelta(hours=1)}
    del row["id"]  # ``default=new_id``: SQLAlchemy would make one, a raw statement cannot
    with pytest.raises(ValueError, match="defaulted columns id"):
        connection.execute(insert(table_of(Job)), row)


async def test_an_expanding_in_is_refused_when_compiled(raw):
    _db, connection = raw
    with pytest.raises(ValueError, match="expanding"):
        connection.execute(select(Job.id).where(Job.kind.in_(["a", "b"])), {})


@pytest.fixture
async def pg_db(pg_url: str):  # type: ignore[no-untyped-def]
    db = Database(pg_url, pool_size=2)
    yield db
    await db.dispose()


async def test_on_postgres_a_row_is_stored_as_sqlalchemy_stores_it_and_commits_alone(pg_db):
    """``run_autocommit`` lends an asyncpg connection: the raw statement commits by itself and
    stores the same values as SQLAlchemy (JSON ``None`` included)."""
    statement = insert(table_of(AuditLog))
    row = audit.values("lead.received", entity_id=uuid.uuid4(), details={"spam": ["link"]})
    async with pg_db.session() as session:  # through SQLAlchemy
        await session.execute(statement, row)
    raw_id = uuid.uuid4()

    def write(connection: AsyncpgConnection) -> int:
        return connection.execute(statement, row | {"id": raw_id}).rowcount

    assert await pg_db.run_autocommit(write) == 1
    async with pg_db.session() as session:  # another connection: committed
        stored = (
            await session.execute(
                text(
                    "SELECT actor, action, entity_id, old_values::text, old_values IS NULL,"
                    " details::text, created_at FROM audit_logs ORDER BY id = :raw"
                ),
                {"raw": raw_id},
            )
        ).all()
    assert len(stored) == 2 and stored[0] == stored[1]
    assert stored[0][3:5] == ("null", False)

    def read(connection: AsyncpgConnection) -> tuple[object, ...]:
        query = select(AuditLog.id, AuditLog.details, AuditLog.created_at).where(
            AuditLog.id == bindparam("id", type_=AuditLog.id.type)
        )
        return connection.execute(query, {"id": raw_id}).one()

    found = await pg_db.run_autocommit(read)
    assert found == (raw_id, {"spam": ["link"]}, row["created_at"])


@pytest.mark.parametrize("pool_size", [2, 10])
async def test_on_postgres_callers_take_turns_first_come_first_served(pg_url, pool_size):
    """At most ``AUTOCOMMIT_SLOTS`` (3) connections are lent at once, or the pool's size if it
    is smaller (never the pool's overflow), and the others wait in the order they came (those
    let in together may start in either order)."""
    slots = min(Database.AUTOCOMMIT_SLOTS, pool_size)
    db = Database(pg_url, pool_size=pool_size)
    entered: list[int] = []
    inside = 0
    most = 0

    def work(connection: AsyncpgConnection, n: int) -> int:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        entered.append(n)
        connection.execute(select(func.pg_sleep(0.02)), {})
        inside -= 1
        return n

    try:
        results = await asyncio.gather(*(db.run_autocommit(work, n) for n in range(8)))
    finally:
        await db.dispose()
    assert results == list(range(8))
    assert most == slots
    assert sorted(entered) == list(range(8))
    assert all(abs(entered.index(n) - n) < slots for n in range(8)), entered


async def test_a_driver_error_is_sqlalchemys_error(raw):
    """A constraint broken by a raw statement is SQLAlchemy's ``IntegrityError`` (the app
    answers 409, not 500), as it would be through SQLAlchemy."""
    _db, connection = raw
    row = queue.job_row("process_lead", {})
    connection.execute(insert(table_of(Job)), row)
    with pytest.raises(IntegrityError):
        connection.execute(insert(table_of(Job)), row)  # the same id again


async def test_on_postgres_a_lost_connection_is_an_operational_error_and_is_replaced(pg_url):
    """The server ends the backend (a restart): the next statement on it fails as SQLAlchemy's
    ``OperationalError`` (503), and the connection is dropped, so the one after works."""
    db = Database(pg_url, pool_size=1)

    def backend(connection: AsyncpgConnection) -> int:
        return int(connection.execute(select(func.pg_backend_pid()), {}).scalar())

    try:
        first = await db.run_autocommit(backend)
        pg_admin_execute(pg_url, f"SELECT pg_terminate_backend({first})")
        with pytest.raises(OperationalError):
            await db.run_autocommit(backend)
        assert await db.run_autocommit(backend) != first
    finally:
        await db.dispose()

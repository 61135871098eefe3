"""SQLite: one writer per process, a new lead written on the event loop, WAL kept short.

docs/ARCHITECTURE.md ("The storage layer") says why each engine exists; docs/BENCHMARKS.md
has the measurements behind them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, insert, make_url
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session

from server import sync_versions
from server.models.base import table_of
from server.models.lead import Lead, Message, Submission
from server.models.ops import AuditLog, Job
from server.models.user import RateLimitHit
from server.private_files import private_sqlite_file
from server.storage import JOBS_ENQUEUED_KEY, Announce, NewLead, Plan, Repeat, Storage

T = TypeVar("T")
log = logging.getLogger(__name__)

# A concurrent request with the same submission id inserts nothing here (a repeat), not a 409.
_INSERT_LEAD = sqlite_insert(table_of(Lead)).on_conflict_do_nothing(
    index_elements=["business_id", "submission_id"]
)
_INSERT_MESSAGE = insert(table_of(Message))
_INSERT_AUDIT = insert(table_of(AuditLog))
_INSERT_HITS = insert(table_of(RateLimitHit))
_INSERT_JOB = insert(table_of(Job))
_CLAIM = sqlite_insert(table_of(Submission)).on_conflict_do_nothing()


class SqliteStorage(Storage):
    """The engines of one SQLite file and the writes that skip the ORM.

    - ``engine``: the one writing connection of the process (aiosqlite, ``BEGIN IMMEDIATE``);
      holding it is "this process's turn to write", for every writer below too.
    - ``read_engine``: readers, deferred ``BEGIN`` on a WAL snapshot, never the write lock.
    - ``thread_engine``: ``run_write``'s transaction in a thread on a plain sqlite3 connection.
    - ``loop_engine``: ``insert_new_lead`` on the event loop; it never waits (no busy timeout,
      no automatic checkpoint), so while another process writes the work goes to a thread.
    - ``checkpoint_engine``: a passive WAL checkpoint every ``CHECKPOINT_EVERY`` of those
      commits, in a thread, holding the writer's turn so it copies the WAL to its end.
    """

    name = "sqlite"
    notifies_other_processes = False
    CHECKPOINT_EVERY = 32  # commits of about 50 pages; SQLite's own default is 1,000 pages

    def __init__(
        self,
        url: str,
        announce: Announce,
        *,
        session_class: type[Session],
        echo: bool = False,
        pool_size: int = 10,
    ) -> None:
        private_sqlite_file(url)
        self.announce = announce
        self.session_class = session_class
        common: dict[str, Any] = {"echo": echo, "pool_reset_on_return": None, "max_overflow": 0}
        waits = {"timeout": 30}
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=1, pool_timeout=30, connect_args=waits, **common
        )
        _configure(self.engine.sync_engine, begin="BEGIN IMMEDIATE")
        self.read_engine: AsyncEngine = create_async_engine(
            url, pool_size=4, pool_timeout=30, connect_args=waits, **{**common, "max_overflow": 4}
        )
        _configure(self.read_engine.sync_engine, begin="BEGIN")
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        in_threads = {**waits, "check_same_thread": False}
        self.thread_engine = create_engine(sync_url, pool_size=1, connect_args=in_threads, **common)
        _configure(self.thread_engine, begin="BEGIN IMMEDIATE")
        never_wait = {"timeout": 0, "check_same_thread": False}
        self.loop_engine = create_engine(sync_url, pool_size=1, connect_args=never_wait, **common)
        _configure(self.loop_engine, begin="BEGIN IMMEDIATE", busy_ms=0, autocheckpoint=False)
        self.checkpoint_engine = create_engine(
            sync_url, pool_size=1, max_overflow=0, connect_args=in_threads
        )
        _configure(self.checkpoint_engine, begin="BEGIN")
        # The loop's writers queue here, first come first served, before taking the writer
        # connection: the pool's own queue lets a late arrival barge ahead of the waiting ones.
        self.turn = asyncio.Lock()
        self.since_checkpoint = 0
        self.checkpoints = 0  # passive checkpoints run (for tests and benchmarks)
        self.last_checkpoint = (0, 0, 0)  # busy, frames in the WAL, frames copied
        self._checkpointing: asyncio.Future[None] | None = None

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """``work(session, *args)`` in one write transaction, in a thread, during this process's
        turn to write; versions and queued jobs are announced after the commit."""
        engine, session_class = self.thread_engine, self.session_class
        async with self.engine.connect():  # our turn as this process's writer

            def in_thread() -> tuple[T, dict[str, Any]]:
                with session_class(engine, expire_on_commit=False) as session:
                    result = work(session, *args)
                    session.commit()
                    return result, session.info

            result, info = await asyncio.to_thread(in_thread)
        self.announce(info)
        return result

    async def insert_new_lead(self, plan: Plan[T], *args: Any) -> T:
        async with self.turn, self.engine.connect():  # our turn as this process's writer
            try:
                out = self._transaction(self.loop_engine, plan, args)
            except OperationalError as error:
                code = getattr(error.orig, "sqlite_errorcode", 0) & 0xFF
                if code not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
                # Another process is writing: wait for it in a thread, not on the loop.
                out = await asyncio.to_thread(self._transaction, self.thread_engine, plan, args)
        if not isinstance(out, NewLead):
            return out
        self._committed()
        self.announce(out.info)
        return out.result

    def _transaction(self, engine: Engine, plan: Plan[T], args: tuple[Any, ...]) -> NewLead[T] | T:
        with engine.connect() as conn:
            out = plan(conn, *args)
            if isinstance(out, NewLead):
                self.write_new_lead(conn, out, out.info)
                conn.commit()
            return out  # anything else wrote nothing: closing rolls back

    def write_new_lead(self, conn: Connection, new: NewLead[Any], info: dict[str, Any]) -> None:
        business_id = new.lead["business_id"]
        conn.execute(_INSERT_HITS, new.hits)
        bumps = info.setdefault(sync_versions.BUMPS_KEY, {})
        version = sync_versions.advance(conn, business_id, 2, bumps=bumps) - 1  # lead, message
        inserted = conn.execute(_INSERT_LEAD, {**new.lead, "version": version})
        if not inserted.rowcount:
            raise Repeat(new.result)
        conn.execute(_INSERT_MESSAGE, {**new.message, "version": version + 1})
        conn.execute(_INSERT_AUDIT, new.received)
        if new.job is not None:
            conn.execute(_INSERT_JOB, new.job)
            info[JOBS_ENQUEUED_KEY] = True
        if not self.claim_submission(conn, new.claim):
            raise Repeat(new.result)

    def claim_submission(self, conn: Connection, values: dict[str, Any]) -> bool:
        return bool(conn.execute(_CLAIM, values).rowcount)

    def _committed(self) -> None:
        """Count a commit on the loop's connection; start a background checkpoint when enough
        pages have gathered in the WAL."""
        self.since_checkpoint += 1
        if self.since_checkpoint >= self.CHECKPOINT_EVERY and self._checkpointing is None:
            self.since_checkpoint = 0
            self._checkpointing = asyncio.ensure_future(self._checkpoint_between_writes())
            self._checkpointing.add_done_callback(self._checkpoint_done)

    async def _checkpoint_between_writes(self) -> None:
        async with self.turn, self.engine.connect():  # no write of this process lands meanwhile
            await asyncio.to_thread(self._checkpoint)

    def _checkpoint(self) -> None:
        pooled = self.checkpoint_engine.raw_connection()  # outside any transaction
        try:
            connection: Any = pooled.driver_connection  # a sqlite3.Connection
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            pooled.close()
        self.last_checkpoint = (int(row[0]), int(row[1]), int(row[2]))
        self.checkpoints += 1

    def _checkpoint_done(self, future: asyncio.Future[None]) -> None:
        self._checkpointing = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("background WAL checkpoint failed: %s", future.exception())

    async def dispose(self) -> None:
        if self._checkpointing is not None:
            await asyncio.wait([self._checkpointing])
        await self.engine.dispose()
        await self.read_engine.dispose()
        for engine in (self.thread_engine, self.loop_engine, self.checkpoint_engine):
            await asyncio.to_thread(engine.dispose)


def _configure(
    engine: Engine, *, begin: str, busy_ms: int = 30_000, autocheckpoint: bool = True
) -> None:
    """WAL, foreign keys, and how a transaction begins.

    Writers begin with ``BEGIN IMMEDIATE``: every write transaction takes SQLite's write lock at
    its start, so writers queue instead of failing mid-way, and that order is what gives sync
    versions their commit order (PostgreSQL uses the counter's row lock instead). Readers begin
    with a deferred ``BEGIN``: one consistent snapshot, no lock taken.
    """

    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
        # With ``pool_reset_on_return=None`` a connection comes back with a rollback only if it
        # is still in a transaction: through aiosqlite every rollback is a round trip.
        if state.terminate_only or not state.asyncio_safe:
            return
        if record.driver_connection is not None and record.driver_connection.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

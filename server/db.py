"""Engine and sessions. Only the request's session dependency or the job runner commits."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

from server import sync_versions
from server.private_files import private_sqlite_file
from server.rawsql import AsyncpgConnection, DBAPIConnection, Prepared

T = TypeVar("T")
log = logging.getLogger(__name__)
ChangeListener = Callable[[dict[uuid.UUID, int]], None]


class LeadflowSession(Session):
    """The ORM session class; ``server.sync_versions`` versions synced rows at each flush."""


sync_versions.install(LeadflowSession)

JOBS_ENQUEUED_KEY = "jobs_enqueued"


class ReadOnlyWrite(RuntimeError):
    """Code holding a read session tried to write."""


class ReadOnlySession(Session):
    """The session class of read-only work (lists, pulls, the first half of a job)."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyWrite("a read session must not write; use a normal session")


@event.listens_for(LeadflowSession, "after_commit")
def _jobs_committed(session: Session) -> None:
    database = session.info.get("database")
    if database is None:
        return  # ``run_write``'s thread session: the caller wakes the workers on its loop
    if session.info.pop(JOBS_ENQUEUED_KEY, False):
        for listener in list(database.job_listeners):
            listener()


@event.listens_for(LeadflowSession, "after_rollback")
def _jobs_rolled_back(session: Session) -> None:
    session.info.pop(JOBS_ENQUEUED_KEY, None)


class Database:
    """One engine per process, plus the in-process listeners told of committed sync versions."""

    # New leads written at once per process on PostgreSQL (``run_autocommit``): one business's
    # serialize on its counter row anyway, and more only add lock waiters that compete with the
    # lock holder for CPU. On the 2-core bench machine 2–3 slots answered 340–350 submits/s at
    # c=100, 10 slots 300–320 (docs/BENCHMARKS.md).
    AUTOCOMMIT_SLOTS = 3

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # ``run_autocommit`` speaks to asyncpg itself; another PostgreSQL driver (psycopg) gets
        # the ordinary transactions of ``run_write``.
        self.is_asyncpg = make_url(url).get_driver_name() == "asyncpg"
        self._prepared: dict[Any, Prepared] = {}  # the raw writers' compiled statements
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            private_sqlite_file(url)
            kwargs["connect_args"] = {"timeout": 30}
            kwargs["pool_reset_on_return"] = None  # ``_configure_sqlite`` resets what needs it
            # One writing connection per process: SQLite has one write lock anyway, and waiting
            # for the pool is a fair asyncio queue, where waiting for the lock inside SQLite is
            # polling with sleeps of up to 100 ms (a long tail under concurrent submits).
            writer = {**kwargs, "pool_size": 1, "max_overflow": 0, "pool_timeout": 30}
            self.engine: AsyncEngine = create_async_engine(url, **writer)
            _configure_sqlite(self.engine, begin="BEGIN IMMEDIATE")
            # Readers never take the write lock (WAL): a deferred BEGIN reads one snapshot.
            reader = {**kwargs, "pool_size": 4, "max_overflow": 4, "pool_timeout": 30}
            self.read_engine: AsyncEngine = create_async_engine(url, **reader)
            _configure_sqlite(self.read_engine, begin="BEGIN")
            # ``run_write`` runs a whole transaction in a thread on a plain sqlite3 connection:
            # one hand-off to a thread instead of several per statement through aiosqlite.
            self._thread_engine: Engine | None = create_engine(
                make_url(url).set(drivername="sqlite+pysqlite"),
                echo=echo,
                pool_size=1,
                max_overflow=0,
                pool_reset_on_return=None,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            _configure_sqlite(self._thread_engine, begin="BEGIN IMMEDIATE")
            self._inline: SqliteInlineWriter | None = SqliteInlineWriter(
                url, self.engine, self._thread_engine, self._prepared
            )
        else:
            # No ping before each checkout (a round trip per request and per job step): when
            # PostgreSQL restarts, the first statement on a dead connection fails (503, or a job
            # retry) and SQLAlchemy then discards every older pooled connection at once.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
            self.engine = create_async_engine(url, **kwargs)
            self.read_engine = self.engine
            self._thread_engine = None
            self._inline = None
        # ``run_autocommit`` lends the same pool's connections, at most this many at once.
        self._autocommit_turns = asyncio.Semaphore(min(self.AUTOCOMMIT_SLOTS, pool_size))
        self.listeners: list[ChangeListener] = []
        self.job_listeners: list[Callable[[], None]] = []
        self._sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=LeadflowSession,
            info={"database": self},
        )
        self._read_sessionmaker = async_sessionmaker(
            self.read_engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ReadOnlySession,
            info={"database": self},
        )

    def publish(self, bumps: dict[uuid.UUID, int]) -> None:
        """Tell in-process listeners which businesses' versions moved (called after commit)."""
        for listener in list(self.listeners):
            listener(bumps)

    def new_session(self) -> AsyncSession:
        return self._sessionmaker()

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(session, *args)`` (synchronous code on a sync ORM session) in one write
        transaction, committed when it returns, rolled back when it raises.

        On PostgreSQL it runs in an ordinary session (``run_sync``). On SQLite it holds this
        process's writer connection, so it queues with every other writer as usual, and runs in
        a thread on its own sqlite3 connection: a transaction of ten statements costs one thread
        hand-off instead of dozens. Versions and queued jobs are announced as after any commit.
        """
        if self._thread_engine is None:
            async with self.session() as session:
                return await session.run_sync(work, *args)
        engine = self._thread_engine
        async with self.engine.connect():  # our turn as this process's writer

            def in_thread() -> tuple[T, dict[uuid.UUID, int] | None, bool]:
                with LeadflowSession(engine, expire_on_commit=False) as session:
                    result = work(session, *args)
                    session.commit()
                    jobs = bool(session.info.pop(JOBS_ENQUEUED_KEY, False))
                    return result, session.info.pop(sync_versions.BUMPS_KEY, None), jobs

            result, bumps, jobs = await asyncio.to_thread(in_thread)
        self.announce(bumps, jobs=jobs)
        return result

    async def run_raw_write(self, work: Callable[..., T | None], *args: Any) -> T | None:
        """SQLite only: run ``work(raw, *args)`` (synchronous code on a ``RawConnection``) in one
        write transaction, as this process's writer (queued like ``run_write``).

        For the hottest write, whose statements are prebuilt and take well under a millisecond:
        they run straight on a sqlite3 connection (``server.rawsql``), on the event loop itself,
        where a hand-off to a thread and back cost more CPU than the whole transaction, and
        held the writer's turn while the thread waited for the interpreter lock. Nothing on that
        connection waits: it takes SQLite's write lock without a busy timeout and never
        checkpoints (``SqliteInlineWriter``); if another process holds the lock, the work runs in
        a thread instead, waiting for the lock as ``run_write`` does.

        The transaction commits when ``work`` returns a result and rolls back when it raises or
        returns ``None`` (it found the write needs more than it does; the caller then goes
        another way). What ``work`` records in ``raw.info`` (versions moved, jobs queued) is
        announced after the commit.
        """
        inline = self._inline
        if inline is None:
            raise RuntimeError("run_raw_write is for SQLite")
        # The raw writers queue on a lock of their own, first come first served, before they
        # take the pool's one writer connection (which keeps them apart from every other writer
        # of the process): waiting in that pool's queue is not fair, since a task that arrives
        # as the connection comes back takes it ahead of the tasks waiting, and at 100
        # concurrent submits some customers waited seconds while others were served at once.
        async with inline.turn, self.engine.connect():  # our turn as this process's writer
            done = inline.try_now(work, args)
            if done is None:  # another process is writing: wait for it in a thread
                done = await asyncio.to_thread(inline.in_thread, work, args)
        result, info = done
        if result is not None:
            inline.committed()
            self._announce_info(info)
        return result

    async def run_autocommit(self, work: Callable[..., T], *args: Any) -> T:
        """PostgreSQL only: run ``work(raw, *args)`` (synchronous code on an ``AsyncpgConnection``
        of ``server.rawsql``) on a pooled connection outside any transaction, where every
        statement is its own transaction, committed (and durable) when it returns.

        For a write that fits in one statement (a new lead): no ``BEGIN`` and ``COMMIT`` round
        trips, and its row locks end with it. Its prebuilt statements go straight to asyncpg,
        without SQLAlchemy's per-statement layer (which cost more CPU than PostgreSQL spent on
        them). What ``work`` records in ``raw.info`` (versions moved, jobs queued) is announced
        when it returns a result, as after ``run_raw_write``; ``None`` means it stored nothing.
        """
        if not self.is_asyncpg:
            raise RuntimeError("run_autocommit is for PostgreSQL through asyncpg")
        pool = self.engine.sync_engine.pool
        dialect = self.engine.dialect
        prepared = self._prepared

        def on_a_pooled_connection() -> tuple[T, dict[str, Any]]:
            # Straight from the pool, in one greenlet: no SQLAlchemy ``Connection``, so nothing
            # begins a transaction (each statement commits by itself), and the pool's reset
            # rolls back nothing when it comes back.
            pooled = pool.connect()
            try:
                raw = AsyncpgConnection(pooled.driver_connection, dialect, prepared)
                return work(raw, *args), raw.info
            except OperationalError as error:
                if error.connection_invalidated:  # lost: the pool opens a new one next time
                    pooled.invalidate(error)
                raise
            finally:
                pooled.close()

        # At most ``AUTOCOMMIT_SLOTS`` at once, queued first come first served: beyond the pool
        # size they took the overflow connections, which the pool closes again as they come back
        # (a new PostgreSQL backend per submit), and the pool's own queue lets late arrivals take
        # a returned connection ahead of the tasks already waiting (seconds of wait at c=100).
        async with self._autocommit_turns:
            result, info = await greenlet_spawn(on_a_pooled_connection)
        if result is not None:
            self._announce_info(info)
        return result

    def _announce_info(self, info: dict[str, Any]) -> None:
        """Announce what a ``RawConnection``'s work recorded in its ``info``."""
        self.announce(info.get(sync_versions.BUMPS_KEY), jobs=bool(info.get(JOBS_ENQUEUED_KEY)))

    def announce(self, bumps: dict[uuid.UUID, int] | None, *, jobs: bool) -> None:
        """After a commit outside a ``LeadflowSession`` of this loop: tell the in-process
        listeners which versions moved, and wake this process's worker for new jobs."""
        if bumps:
            self.publish(bumps)
        if jobs:
            for listener in list(self.job_listeners):
                listener()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads: it never takes SQLite's write lock and refuses to flush."""
        async with self._read_sessionmaker() as session:
            try:
                yield session
            finally:
                await session.rollback()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back on any error."""
        async with self._sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        try:
            async with self.read_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self._inline is not None:
            await self._inline.dispose()
        await self.engine.dispose()
        if self._thread_engine is not None:
            await asyncio.to_thread(self._thread_engine.dispose)
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


class SqliteInlineWriter:
    """``Database.run_raw_write``'s connections on SQLite: one used on the event loop that
    never waits, the thread engine's for when it would have to, and a background checkpointer.

    The loop's connection has no busy timeout (``BEGIN IMMEDIATE`` fails at once while another
    process writes, and the work goes to a thread) and no automatic checkpoint: copying the WAL
    into the database and syncing it could stall the loop for milliseconds, so after every
    ``CHECKPOINT_EVERY`` commits a passive checkpoint runs in a thread on a connection of its
    own, as SQLite's own would have run on the committing connection.

    The checkpoint takes this process's writer turn (the raw writers' queue and the writer
    engine's one connection), so no write of this process lands while it copies: it then
    copies the whole WAL, and the next write starts the WAL over from its beginning. Beside
    the writers it never caught up under a steady stream of submits, and SQLite only restarts
    a WAL that is copied to its last frame: the WAL grew by every commit (1.2 GB after 5,000
    submits of the bench), and each page read searched a longer WAL index (a submit's CPU rose
    from 1.5 to 2.1 ms within 10 seconds).
    """

    CHECKPOINT_EVERY = 32  # commits of about 50 pages: SQLite's default is every 1,000 pages

    def __init__(
        self,
        url: str,
        writer: AsyncEngine,
        thread_engine: Engine,
        prepared: dict[Any, Prepared],
    ) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.writer = writer  # the writer engine, whose one connection is the writer's turn
        self.thread_engine = thread_engine
        self.loop_engine = create_engine(
            sync_url,
            pool_size=1,
            max_overflow=0,
            pool_reset_on_return=None,
            connect_args={"timeout": 0, "check_same_thread": False},
        )
        _configure_sqlite(self.loop_engine, begin="BEGIN IMMEDIATE")

        @event.listens_for(self.loop_engine, "connect")
        def _never_wait(dbapi_connection: Any, _record: Any) -> None:  # after the defaults
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

        self.checkpoint_engine = create_engine(
            sync_url,
            pool_size=1,
            max_overflow=0,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        _configure_sqlite(self.checkpoint_engine, begin="BEGIN")
        self.prepared = prepared  # compiled statements, shared by both writers
        self.turn = asyncio.Lock()  # first come, first served among ``run_raw_write`` callers
        self.since_checkpoint = 0
        self.checkpoints = 0  # passive checkpoints run (for tests and benchmarks)
        self.last_checkpoint = (0, 0, 0)
        self._checkpointing: asyncio.Future[None] | None = None

    def try_now(
        self, work: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[Any, dict[str, Any]] | None:
        """The transaction on the loop's connection; ``None`` if SQLite was busy (another
        process writing), with nothing done."""
        try:
            return self._transaction(self.loop_engine, work, args)
        except OperationalError as error:
            code = getattr(error.orig, "sqlite_errorcode", 0) & 0xFF
            if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return None
            raise

    def in_thread(
        self, work: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[Any, dict[str, Any]]:
        return self._transaction(self.thread_engine, work, args)

    def _transaction(
        self, engine: Engine, work: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[Any, dict[str, Any]]:
        pooled = engine.raw_connection()
        connection: Any = pooled.driver_connection  # a sqlite3.Connection
        raw = DBAPIConnection(connection, engine.dialect, self.prepared)
        try:
            raw.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                result = work(raw, *args)
                raw.exec_driver_sql("ROLLBACK" if result is None else "COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.rollback()
                raise
            return result, raw.info
        finally:
            raw.close()
            pooled.close()

    def committed(self) -> None:
        """Count a commit; start a background checkpoint when enough pages have gathered."""
        self.since_checkpoint += 1
        if self.since_checkpoint >= self.CHECKPOINT_EVERY and self._checkpointing is None:
            self.since_checkpoint = 0
            self._checkpointing = asyncio.ensure_future(self._checkpoint_between_writes())
            self._checkpointing.add_done_callback(self._checkpoint_done)

    async def _checkpoint_between_writes(self) -> None:
        """The checkpoint, in a thread, while no writer of this process can write."""
        async with self.turn, self.writer.connect():
            await asyncio.to_thread(self._checkpoint)

    def _checkpoint(self) -> None:
        pooled = self.checkpoint_engine.raw_connection()  # outside any transaction
        connection: Any = pooled.driver_connection  # a sqlite3.Connection
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            pooled.close()
        self.last_checkpoint = (int(row[0]), int(row[1]), int(row[2]))  # busy, in WAL, copied
        self.checkpoints += 1

    def _checkpoint_done(self, future: asyncio.Future[None]) -> None:
        self._checkpointing = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("background WAL checkpoint failed: %s", future.exception())

    async def dispose(self) -> None:
        if self._checkpointing is not None:
            await asyncio.wait([self._checkpointing])
        await asyncio.to_thread(self.loop_engine.dispose)
        await asyncio.to_thread(self.checkpoint_engine.dispose)


def _configure_sqlite(engine: AsyncEngine | Engine, *, begin: str) -> None:
    """WAL, foreign keys, and how a transaction begins.

    The writer engine begins with ``BEGIN IMMEDIATE``: every write transaction takes SQLite's
    write lock at its start, so writers queue instead of failing mid-way, and that order is what
    gives sync versions their commit order on SQLite (PostgreSQL uses a row lock instead). The
    reader engine begins with a deferred ``BEGIN``: one consistent snapshot, no lock taken.
    """

    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
        # The pool's own reset is off (``pool_reset_on_return=None``): a connection comes back
        # with a rollback only if it is still in a transaction. SQLAlchemy's default rolls back
        # every time, and through aiosqlite that is a round trip to its thread at the end of
        # every session, after the session had already committed or rolled back.
        if state.terminate_only or not state.asyncio_safe:
            return
        if record.driver_connection is not None and record.driver_connection.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

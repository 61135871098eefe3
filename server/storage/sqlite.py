"""SQLite: one writer per process, a new lead written on the event loop, WAL kept short.

docs/ARCHITECTURE.md ("The storage layer") says why each engine exists; docs/BENCHMARKS.md
has the measurements behind them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Engine,
    Row,
    Select,
    Table,
    TextualSelect,
    Uuid,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from server import ratelimit, sync_versions
from server.models.base import table_of
from server.models.lead import Lead, Message
from server.models.ops import AuditLog, Job
from server.private_files import private_sqlite_file
from server.storage import (
    CLAIM_SUBMISSION,
    JOBS_ENQUEUED_KEY,
    STORAGE_KEY,
    Announce,
    NewLead,
    Plan,
    Prepared,
    Repeat,
    Rows,
    Storage,
    insert_ignoring_conflicts,
    phone_digits,
    search_words,
)
from server.sync import page_sql
from shared.models.follow_ups import FollowUpDay

T = TypeVar("T")
log = logging.getLogger(__name__)

# A concurrent request with the same submission id inserts nothing here (a repeat), not a 409.
_INSERT_LEAD = insert_ignoring_conflicts(table_of(Lead), "business_id", "submission_id")
_INSERT_MESSAGE = insert(table_of(Message))
_INSERT_AUDIT = insert(table_of(AuditLog))
_INSERT_JOB = insert(table_of(Job))
_PAGE = page_sql.page_statement("sqlite")
_FTS5_TEXT = "{customer_name customer_email customer_phone service_needed message}"
LIST_INDEX = "ix_leads_business_id_last_activity_at"


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
        self._compiled: dict[tuple[ClauseElement, tuple[str, ...]], Prepared] = {}

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """``work(session, *args)`` in one write transaction, in a thread, during this process's
        turn to write; versions and queued jobs are announced after the commit."""
        engine, session_class = self.thread_engine, self.session_class
        async with self.engine.connect():  # our turn as this process's writer

            def in_thread() -> tuple[T, dict[str, Any]]:
                info = {STORAGE_KEY: self}
                with session_class(engine, expire_on_commit=False, info=info) as session:
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
        """Straight on the pooled sqlite3 connection, the statements compiled once
        (``_OnSqlite3``): SQLAlchemy's ``Connection`` and its per-statement execution cost the
        submit more CPU than SQLite spent on the statements (docs/BENCHMARKS.md, "The storage
        layer")."""
        pooled = engine.raw_connection()
        try:
            conn: Any = _OnSqlite3(pooled.driver_connection, self._prepared)  # type: ignore[arg-type]
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                out = plan(conn, *args)
                if isinstance(out, NewLead):
                    self.write_new_lead(conn, out, out.info)
                    conn.exec_driver_sql("COMMIT")
                return out  # anything else wrote nothing: closing rolls back
            finally:
                conn.close()
        finally:
            pooled.close()

    def _prepared(self, statement: ClauseElement, values: dict[str, Any]) -> Prepared:
        # An INSERT is compiled for the columns it is given, as ``Connection.execute`` does.
        keys = tuple(sorted(values)) if getattr(statement, "is_insert", False) else ()
        found = self._compiled.get((statement, keys))
        if found is None:
            dialect = self.loop_engine.dialect
            found = self._compiled[(statement, keys)] = Prepared(statement, dialect, keys)
        return found

    def write_new_lead(self, conn: Connection, new: NewLead[Any], info: dict[str, Any]) -> None:
        business_id = new.lead["business_id"]
        conn.execute(ratelimit.INSERT_HITS, new.hits)
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
        if not conn.execute(CLAIM_SUBMISSION, new.claim).rowcount:
            raise Repeat(new.result)

    def version_rows(
        self,
        conn: Connection,
        business_id: uuid.UUID,
        count: int,
        rows: Sequence[tuple[Table, Sequence[uuid.UUID]]],
        *,
        bumps: dict[uuid.UUID, int],
    ) -> int:
        # The transaction holds the database's write lock: round trips here cost no one a wait.
        last = sync_versions.advance(conn, business_id, count, bumps=bumps)
        version = last - count
        for table, ids in rows:
            versions = [
                {"row_id": row_id, "row_version": version + n} for n, row_id in enumerate(ids, 1)
            ]
            conn.execute(_set_version(table), versions)
            version += len(ids)
        return last

    async def search_leads(
        self,
        session: AsyncSession,
        listed: Select[Any],
        business_id: uuid.UUID,
        q: str,
        *,
        status: str | None,
        oldest_first: bool,
        limit: int,
        offset: int,
        rare_below: int,
    ) -> tuple[Sequence[Row[Any]], int]:
        """FTS5 (``leads_fts``). Many matches: the page walks the list's sort index
        (``_walk_list_index``); few: the matches are read and sorted."""
        sql, binds = _fts_matches(business_id, q)
        query = listed.where(literal_column("leads.rowid").in_(text(sql).bindparams(*binds)))
        if status:
            counted: Any = select(func.count()).select_from(query.order_by(None).subquery())
        else:  # in the FTS index (and the phone index) alone, without reading any lead
            counted = text(f"SELECT count(*) FROM ({sql})").bindparams(*binds)  # noqa: S608
        total = int((await session.execute(counted)).scalar_one())
        page: Any = query.limit(limit).offset(offset)
        if total >= rare_below:
            page = _walk_list_index(
                listed, sql, binds, business_id, status, oldest_first, limit, offset
            )
        return (await session.execute(page)).all(), total

    async def pull_page(
        self,
        session: AsyncSession,
        business_id: uuid.UUID,
        cursor: int,
        limit: int,
        day: FollowUpDay,
    ) -> Sequence[Any]:
        parameters = page_sql.page_parameters(business_id, cursor, limit, day)
        return (await session.execute(_PAGE, parameters)).all()

    async def lock_keys(self, session: AsyncSession, keys: list[str]) -> None:
        """Nothing to do: every write transaction holds SQLite's write lock (``BEGIN
        IMMEDIATE``) from its start, which already orders them."""

    def wake_other_workers(self, session: Session) -> None:
        """Nothing to do: SQLite serves one process, whose worker is woken after the commit."""

    async def listen(
        self, channel: str, heard: Callable[[str], None], stopping: asyncio.Event
    ) -> None:
        """Nothing comes: no other process writes this database (its own listeners hear of
        its commits in the process)."""
        await stopping.wait()

    async def listen_for_jobs(self, wake: Callable[[], None], stopping: asyncio.Event) -> None:
        await stopping.wait()  # as ``listen``

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


def _fts_matches(business_id: uuid.UUID, q: str) -> tuple[str, list[Any]]:
    """SQL of the rowids of the business's leads that match ``q``, and its bound parameters.

    ``leads_fts`` also indexes ``business_id`` (migration 0003), so the business is part of the
    FTS query and the words are matched in the text columns only. A phone-like query adds the
    leads whose normalised phone contains its digits, read from the covering
    ``(business_id, phone_normalized)`` index (OR-ed into the match it read every lead).
    """
    words = " AND ".join('"' + word.replace('"', "") + '"*' for word in search_words(q))
    match = f'business_id : "{business_id.hex}" AND {_FTS5_TEXT} : ({words})'
    sql = "SELECT rowid FROM leads_fts WHERE leads_fts MATCH :lead_q"
    binds: list[Any] = [bindparam("lead_q", match)]
    digits = phone_digits(q)
    if digits:
        sql += (
            " UNION SELECT rowid FROM leads"
            " WHERE business_id = :lead_business AND phone_normalized LIKE :lead_phone"
        )
        binds.append(bindparam("lead_business", business_id, type_=Uuid()))
        binds.append(bindparam("lead_phone", f"%{digits}%"))
    return sql, binds


def _walk_list_index(
    listed: Select[Any],
    found: str,
    binds: list[Any],
    business_id: uuid.UUID,
    status: str | None,
    oldest_first: bool,
    limit: int,
    offset: int,
) -> TextualSelect:
    """A page of a search matching many leads, walking the list's sort index.

    SQLite's planner drives such a query from the FTS match: it reads and sorts every matching
    lead where walking ``(business_id, last_activity_at)`` in order stops after one page. It
    cannot be talked out of it, hence the ``INDEXED BY``, which SQLAlchemy does not render for
    SQLite. Same rows as the ``listed`` query (tests/server/owner/test_lead_search.py).
    """
    where = f"leads.business_id = :business_id AND leads.rowid IN ({found})"
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if status:
        where += " AND leads.status = :status"
        params["status"] = status
    direction = "ASC" if oldest_first else "DESC"
    columns = list(listed.selected_columns)
    # Only constants go into the text; the user's query, status and paging are bound parameters.
    sql = (
        f"SELECT {', '.join(f'leads.{c.name}' for c in columns)} "  # noqa: S608
        f"FROM leads INDEXED BY {LIST_INDEX} WHERE {where} "
        f"ORDER BY leads.last_activity_at {direction}, leads.id LIMIT :limit OFFSET :offset"
    )
    walk = text(sql).bindparams(bindparam("business_id", business_id, type_=Uuid()), *binds)
    return walk.bindparams(**params).columns(*columns)


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


class _OnSqlite3:
    """A pooled sqlite3 connection (autocommit mode: ``isolation_level`` is ``None``) for the
    synchronous plan and ``write_new_lead``: the part of ``Connection`` they use
    (``execute(statement, values or a list of them)``), on one cursor, raising SQLAlchemy's
    errors (``OperationalError`` with the driver's error as ``orig``, ``IntegrityError``)."""

    def __init__(self, driver: sqlite3.Connection, prepared: Callable[..., Prepared]) -> None:
        self.driver = driver
        self._prepared = prepared
        self._cursor = driver.cursor()

    def execute(
        self, statement: ClauseElement, values: dict[str, Any] | list[dict[str, Any]] | None = None
    ) -> Rows:
        cursor = self._cursor
        if isinstance(values, list):
            prepared = self._prepared(statement, values[0] if values else {})
            many = [prepared.parameters(v) for v in values]
            self._run(cursor.executemany, prepared.sql, many)
            return Rows([], cursor.rowcount)
        values = values or {}
        prepared = self._prepared(statement, values)
        parameters = prepared.parameters(values)
        self._run(cursor.execute, prepared.sql, parameters)
        rows = [prepared.row(r) for r in cursor.fetchall()] if prepared.returns_rows else []
        return Rows(rows, cursor.rowcount)

    def exec_driver_sql(self, sql: str) -> None:
        self._run(self._cursor.execute, sql, ())

    def close(self) -> None:
        """Roll back what was not committed and let go of the cursor."""
        try:
            if self.driver.in_transaction:
                self.driver.rollback()
        finally:
            self._cursor.close()

    @staticmethod
    def _run(run: Callable[..., Any], sql: str, parameters: Any) -> None:
        try:
            run(sql, parameters)
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, parameters, error, sqlite3.Error) from error


@cache
def _set_version(table: Table) -> Any:
    return (
        update(table)
        .where(table.c.id == bindparam("row_id", type_=table.c.id.type))
        .values(
            version=bindparam("row_version", type_=BigInteger()),
            # Left as the write set them, as on PostgreSQL (``updated_at``).
            **{column.key: column for column in table.columns if column.onupdate is not None},
        )
    )

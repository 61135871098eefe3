"""PostgreSQL: one pool; a new lead is one statement in autocommit.

docs/ARCHITECTURE.md ("The storage layer") says why; docs/BENCHMARKS.md has the measurements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    String,
    Table,
    any_,
    bindparam,
    cast,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
    union,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.util import await_, greenlet_spawn

from server import sync_versions
from server.models.base import table_of
from server.models.lead import Lead, Message, Submission
from server.models.ops import AuditLog, Job
from server.models.sync import SyncCounter
from server.models.user import RateLimitHit
from server.storage import (
    JOBS_CHANNEL,
    JOBS_ENQUEUED_KEY,
    STORAGE_KEY,
    WORD,
    Announce,
    NewLead,
    Plan,
    Prepared,
    Repeat,
    Rows,
    Storage,
    phone_digits,
)
from server.sync import page_sql
from shared.models.follow_ups import FollowUpDay

T = TypeVar("T")
log = logging.getLogger(__name__)

_PAGE = page_sql.page_statement("postgresql")
_LOCK_KEY = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
# The GIN-indexed document of a lead (migration 0002): name, email, phone, service, message.
_DOCUMENT = text(
    "to_tsvector('simple', coalesce(leads.customer_name, '') || ' ' || "
    "coalesce(leads.customer_email, '') || ' ' || coalesce(leads.customer_phone, '') || ' ' || "
    "coalesce(leads.service_needed, '') || ' ' || coalesce(leads.message, ''))"
)
_FIELDS: list[str] = []  # every column parameter of ``_NEW_LEAD`` (unset ones are NULL)
_NOTIFY_JOBS = select(func.pg_notify(JOBS_CHANNEL, bindparam("origin")))
RELISTEN_S = 2.0  # the pause before a lost LISTEN connection is opened again


def _new_lead_statement() -> Any:
    """A new lead's every row in one statement (one round trip instead of eight).

    Data-modifying CTEs each run exactly once: the counter moves two versions on (taking its
    lock, after every other lock this transaction holds), then the lead is inserted unless the
    same submission's lead exists (a concurrent double click waits here for the first to
    commit); the message, the audit row, the job (if any), the claim and the rate-limit hits are
    inserted only with the lead, and ``pg_notify`` tells the ``/events`` listeners. It answers
    how many claims went in (0: a repeat) and the business's new head version.
    """
    counter = table_of(SyncCounter)
    bumped = (
        update(counter)
        .where(
            counter.c.business_id
            == bindparam("counter_business_id", type_=counter.c.business_id.type)
        )
        .values(version=counter.c.version + literal_column("2"))
        .returning(counter.c.version)
        .cte("bumped")
    )
    head = select(bumped.c.version).scalar_subquery()

    def params(model: Any, prefix: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        columns = [c for c in table_of(model).columns if c.key not in skip]
        _FIELDS.extend(f"{prefix}_{c.key}" for c in columns)
        return {c.key: bindparam(f"{prefix}_{c.key}", type_=c.type) for c in columns}

    def returning_id(statement: Any, name: str) -> Any:
        return statement.returning(statement.table.c.id).cte(name)

    lead = returning_id(
        pg_insert(table_of(Lead))
        .values(**params(Lead, "l", ("version",)), version=head - literal_column("1"))
        .on_conflict_do_nothing(index_elements=["business_id", "submission_id"]),
        "lead",
    )

    def with_lead(model: Any, values: dict[str, Any], *where: Any) -> Any:
        """Insert one row of ``model`` only if the lead was inserted."""
        rows = select(*values.values()).select_from(lead).where(*where)
        return insert(table_of(model)).from_select(list(values), rows)

    message = returning_id(
        with_lead(Message, {**params(Message, "m", ("version",)), "version": head}), "message"
    )
    audit_row = returning_id(with_lead(AuditLog, params(AuditLog, "a")), "audit_row")
    job_values = params(Job, "j")
    job = returning_id(with_lead(Job, job_values, job_values["id"].is_not(None)), "job")
    hits = [
        returning_id(with_lead(RateLimitHit, params(RateLimitHit, f"h{n}")), f"hit{n}")
        for n in (1, 2)
    ]
    claim = (
        with_lead(Submission, params(Submission, "s"))
        .returning(table_of(Submission).c.submission_id)
        .cte("claim")
    )
    notified = func.pg_notify(bindparam("channel"), bindparam("prefix") + cast(head, String))
    # Only with a job: a subquery over its CTE, which is empty without one.
    workers_woken = select(func.pg_notify(JOBS_CHANNEL, bindparam("origin"))).select_from(job)
    return select(
        select(func.count()).select_from(claim).scalar_subquery().label("claimed"),
        head.label("head"),
        notified.label("notified"),
        workers_woken.scalar_subquery().label("workers_woken"),
    ).add_cte(message, audit_row, job, *hits)


_NEW_LEAD = _new_lead_statement()


@cache
def _versions_statement(tables: tuple[Table, ...]) -> Any:
    """``version_rows`` in one statement: the counter moves on (its lock taken last) and tells
    the listeners, and each table's rows take their versions from its new head, so nothing but
    the commit follows the lock.

    ``WITH bumped AS (UPDATE sync_counters … RETURNING version, pg_notify(…)), rows_0 AS (UPDATE
    <table> SET version = head - count + before + position of the id in the list …) … SELECT``
    """
    counter = table_of(SyncCounter)
    notify = func.pg_notify(
        bindparam("channel"),
        cast(counter.c.business_id, String) + ":" + cast(counter.c.version, String),
    )
    bumped = sync_versions.advance_statement(notify).cte("bumped")
    first = select(bumped.c.version).scalar_subquery() - bindparam("count", type_=BigInteger())
    versioned = []
    for n, table in enumerate(tables):
        ids = bindparam(f"v_ids_{n}", type_=ARRAY(table.c.id.type))
        position = func.array_position(ids, table.c.id)
        versioned.append(
            update(table)
            .where(table.c.id == any_(ids))
            .values(
                version=first + bindparam(f"v_before_{n}", type_=BigInteger()) + position,
                # Left as the write set them: a column's update default (``updated_at``) would
                # be one parameter of the same name in every table's statement.
                **{column.key: column for column in table.columns if column.onupdate is not None},
            )
            .returning(table.c.id)
            .cte(f"rows_{n}")
        )
    return select(bumped.c.version).add_cte(*versioned)


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def tsquery(q: str) -> str:
    """A prefix tsquery where each typed word matches as its word parts or as one lexeme.

    PostgreSQL's parser keeps an email address (and similar) as a single lexeme, so
    ``zeb.q@example.org`` or ``casey-12`` must also match as a prefix of a whole lexeme, not
    only as the ``\\w+`` parts that SQLite's FTS5 tokenizer would make of it.
    """
    groups = []
    for word in q.lower().split()[:8]:
        parts = WORD.findall(word)
        if not parts:
            continue
        split = " & ".join(_lexeme(part) for part in parts)
        groups.append(split if parts == [word] else f"( {split} | {_lexeme(word)} )")
    return " & ".join(groups)


def _matching(business_id: uuid.UUID, q: str, *, rare: bool) -> Any:
    """The condition on ``leads`` of a match of ``q``; a phone-like query also matches inside
    normalised phone numbers, as its own branch of a UNION (OR-ed into the text match it
    forced the tsvector of every row to be computed)."""
    fts: Any = text(f"{_DOCUMENT.text} @@ CAST(:lead_q AS tsquery)").bindparams(lead_q=tsquery(q))
    digits = phone_digits(q)
    if digits is None and not rare:
        return fts
    matched: Any = select(Lead.id).where(Lead.business_id == business_id, fts)
    if digits is not None:
        phone = Lead.phone_normalized.like(f"%{digits}%")
        matched = union(matched, select(Lead.id).where(Lead.business_id == business_id, phone))
    ids = matched.cte("matched_leads").prefix_with("MATERIALIZED")
    return Lead.id.in_(select(ids.c.id))


class PostgresStorage(Storage):
    """One pool for sessions and for the new leads written in autocommit."""

    name = "postgresql"
    notifies_other_processes = True
    # New leads written at once per process (docs/BENCHMARKS.md, "Form submit"): one business's
    # serialize on its counter row anyway, and more only add lock waiters competing for CPU.
    AUTOCOMMIT_SLOTS = 3

    def __init__(
        self,
        url: str,
        announce: Announce,
        *,
        session_class: type[Session],
        echo: bool = False,
        pool_size: int = 10,
    ) -> None:
        self.url = url
        self.announce = announce
        self.origin = uuid.uuid4().hex  # signs this process's job notifications
        self.session_class = session_class
        # No ping before each checkout (a round trip per request): after a restart the first
        # statement on a dead connection fails (503 or a job retry) and SQLAlchemy then drops
        # every older pooled connection at once.
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )
        self.read_engine = self.engine
        self._compiled: dict[ClauseElement, Prepared] = {}  # the hot statements, compiled once
        # Another driver (psycopg) goes through SQLAlchemy's ``Connection``, in autocommit.
        self._on_asyncpg = self.engine.dialect.driver == "asyncpg"
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

        @event.listens_for(self.engine.sync_engine, "connect")
        def _utc(dbapi_connection: Any, _record: Any) -> None:
            # Dates computed in SQL (``func.date`` of a timestamp) are UTC days, as on SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.close()
            dbapi_connection.commit()  # the drivers began a transaction for it

        # First come first served, and never beyond the pool into overflow connections.
        self._turns = asyncio.Semaphore(min(self.AUTOCOMMIT_SLOTS, pool_size))

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """``work(session, *args)`` in one transaction (``run_sync``); versions and queued jobs
        are announced after the commit."""
        async with AsyncSession(
            self.engine,
            expire_on_commit=False,
            sync_session_class=self.session_class,
            info={STORAGE_KEY: self},
        ) as session:
            result = await session.run_sync(work, *args)
            await session.commit()
            info = dict(session.info)
        self.announce(info)
        return result

    async def insert_new_lead(self, plan: Plan[T], *args: Any) -> T:
        """In autocommit: the intake query, then the new lead's one statement, which commits by
        itself (no ``BEGIN``/``COMMIT`` round trips, and the counter's lock ends with it).

        Both run straight on the pooled asyncpg connection (``_Autocommit``), compiled once:
        SQLAlchemy's ``Connection`` and its per-statement execution cost the submit more CPU
        than PostgreSQL spent on the statements (docs/BENCHMARKS.md, "The storage layer")."""
        out: NewLead[T] | T
        async with self._turns:
            if self._on_asyncpg:
                out = await greenlet_spawn(self._on_a_pooled_connection, plan, args)
            else:
                async with self._autocommit.connect() as conn:
                    out = await conn.run_sync(self._plan_and_write, plan, args)
        if not isinstance(out, NewLead):
            return out
        self.announce(out.info)
        return out.result

    def _on_a_pooled_connection(self, plan: Plan[T], args: tuple[Any, ...]) -> NewLead[T] | T:
        # Straight from the pool, no ``Connection``: nothing begins a transaction, so each
        # statement commits by itself, and the pool's reset on return has nothing to roll back.
        pooled = self.engine.sync_engine.raw_connection()
        try:
            conn: Any = _Autocommit(pooled.driver_connection, self._prepared)
            return self._plan_and_write(conn, plan, args)
        except sa_exc.DBAPIError as error:
            if error.connection_invalidated:  # lost: the pool opens a new one next time
                pooled.invalidate(error)
            raise
        finally:
            pooled.close()

    def _plan_and_write(
        self, conn: Connection, plan: Plan[T], args: tuple[Any, ...], /
    ) -> NewLead[T] | T:
        out = plan(conn, *args)
        if isinstance(out, NewLead):
            self.write_new_lead(conn, out, out.info)
        return out

    def _prepared(self, statement: ClauseElement) -> Prepared:
        found = self._compiled.get(statement)
        if found is None:
            found = self._compiled[statement] = Prepared(statement, self.engine.dialect)
        return found

    def write_new_lead(self, conn: Connection, new: NewLead[Any], info: dict[str, Any]) -> None:
        business_id = new.lead["business_id"]
        values: dict[str, Any] = dict.fromkeys(_FIELDS)
        values |= {
            "counter_business_id": business_id,
            "channel": sync_versions.PG_CHANNEL,
            "prefix": f"{business_id}:",
            "origin": self.origin,
        }
        rows = (("l", new.lead), ("m", new.message), ("a", new.received), ("s", new.claim))
        for prefix, row in (*rows, ("j", new.job or {})):
            values.update({f"{prefix}_{key}": value for key, value in row.items()})
        for n, hit in enumerate(new.hits, start=1):
            values.update({f"h{n}_{key}": value for key, value in hit.items()})
        claimed, head, _notified, _workers_woken = conn.execute(_NEW_LEAD, values).one()
        if not claimed:
            raise Repeat(new.result)
        info.setdefault(sync_versions.BUMPS_KEY, {})[business_id] = int(head)
        if new.job is not None:
            info[JOBS_ENQUEUED_KEY] = True

    def version_rows(
        self,
        conn: Connection,
        business_id: uuid.UUID,
        count: int,
        rows: Sequence[tuple[Table, Sequence[uuid.UUID]]],
        *,
        bumps: dict[uuid.UUID, int],
    ) -> int:
        # Parameter names are no column's: in a DML statement those would become SET values.
        values: dict[str, Any] = {"counter_business_id": business_id, "count": count}
        values["channel"] = sync_versions.PG_CHANNEL
        for n, (_table, ids) in enumerate(rows):
            values[f"v_ids_{n}"] = list(ids)
            values[f"v_before_{n}"] = sum(len(earlier) for _t, earlier in rows[:n])
        statement = _versions_statement(tuple(table for table, _ids in rows))
        last: int = conn.execute(statement, values).scalar_one()
        bumps[business_id] = last
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
        """The GIN-indexed tsvector (``_DOCUMENT``). Few matches, and phone searches: the
        matching ids are collected first in a materialised CTE; left to itself the planner walks
        the ``last_activity_at`` index and recomputes the tsvector of every lead until it has a
        page, which for a rare word is most of the table. For a common word that walk is the
        fastest plan, so it is kept."""
        query = listed.where(_matching(business_id, q, rare=False))
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = int((await session.execute(counted)).scalar_one())
        if total < rare_below:
            query = listed.where(_matching(business_id, q, rare=True))
        rows = (await session.execute(query.limit(limit).offset(offset))).all()
        return rows, total

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
        """A transaction advisory lock on each key, held until the caller commits."""
        for key in keys:
            await session.execute(_LOCK_KEY, {"key": key})

    def wake_other_workers(self, session: Session) -> None:
        """``pg_notify`` on ``JOBS_CHANNEL``, delivered at the commit, signed with this
        process's ``origin`` (its own worker was woken in the process)."""
        session.execute(_NOTIFY_JOBS, {"origin": self.origin})

    async def listen(
        self, channel: str, heard: Callable[[str], None], stopping: asyncio.Event
    ) -> None:
        # A connection of its own, outside the pool: it stays parked in LISTEN.
        url = make_url(self.url).set(drivername="postgresql")  # asyncpg's own DSN
        dsn = url.render_as_string(hide_password=False)

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            heard(payload)

        while not stopping.is_set():
            connection = None
            try:
                connection = await asyncpg.connect(dsn)
                await connection.add_listener(channel, on_notify)
                while not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), timeout=1.0)
                    if stopping.is_set():
                        break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("LISTEN %s connection lost; reconnecting", channel, exc_info=True)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close()
            if not stopping.is_set():
                await asyncio.sleep(RELISTEN_S)

    async def listen_for_jobs(self, wake: Callable[[], None], stopping: asyncio.Event) -> None:
        def heard(origin: str) -> None:
            if origin != self.origin:
                wake()

        await self.listen(JOBS_CHANNEL, heard, stopping)

    async def dispose(self) -> None:
        await self.engine.dispose()


class _Autocommit:
    """A pooled asyncpg connection outside any transaction, for the synchronous plan (run in
    a greenlet: each statement awaits the driver, as SQLAlchemy's own adapter does). It offers
    the part of ``Connection`` the plans use: ``execute(statement, values)``."""

    def __init__(self, driver: Any, prepared: Callable[[ClauseElement], Prepared]) -> None:
        self.driver = driver
        self._prepared = prepared

    def execute(self, statement: ClauseElement, values: dict[str, Any] | None = None) -> Rows:
        prepared = self._prepared(statement)
        parameters = prepared.parameters(values or {})
        try:
            if prepared.returns_rows:
                rows = await_(self.driver.fetch(prepared.sql, *parameters))
                return Rows([prepared.row(row) for row in rows], len(rows))
            status: str = await_(self.driver.execute(prepared.sql, *parameters))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            lost = not isinstance(error, asyncpg.PostgresError) or self.driver.is_closed()
            raise _sqlalchemy_error(prepared.sql, parameters, error, lost=lost) from error
        count = status.rsplit(" ", 1)[-1]  # "INSERT 0 1", "UPDATE 3"
        return Rows([], int(count) if count.isdigit() else -1)


# SQLSTATE classes of a database that is down or refusing work: connection exceptions,
# insufficient resources, operator intervention (a shutdown), transaction rollback (deadlock).
_UNAVAILABLE_CLASSES = ("08", "53", "57", "40")


def _sqlalchemy_error(
    sql: str, parameters: Any, error: Exception, *, lost: bool
) -> sa_exc.DBAPIError:
    """An asyncpg error as SQLAlchemy raises it through ``Connection``: a constraint is an
    ``IntegrityError`` (409), a lost connection or a database refusing work an
    ``OperationalError`` (503; a lost connection is marked invalidated, for the pool)."""
    if lost:
        return sa_exc.OperationalError(sql, parameters, error, connection_invalidated=True)
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return sa_exc.IntegrityError(sql, parameters, error)
    if str(getattr(error, "sqlstate", "") or "")[:2] in _UNAVAILABLE_CLASSES:
        return sa_exc.OperationalError(sql, parameters, error)
    return sa_exc.DBAPIError(sql, parameters, error)

"""The storage layer: the measured hot paths, written once per database.

Everything else goes through the ORM on one unit of work (``Database.session``; a returning
customer's submission, whose plan is the same synchronous code, on ``Database.run_write``).
The app picks one ``Storage`` when it builds its ``Database`` (``storage_for``); services call
it and never ask which database runs. docs/ARCHITECTURE.md ("The storage layer") is the tour.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, Table
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as _insert_on_conflict
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeEngine

from server.models.base import table_of
from server.models.lead import Submission
from shared.models.follow_ups import FollowUpDay

T = TypeVar("T")
R = TypeVar("R", covariant=True)
JOBS_ENQUEUED_KEY = "jobs_enqueued"  # in a session's ``info``: wake the workers after commit
JOBS_CHANNEL = "leadflow_jobs"  # PostgreSQL's NOTIFY channel of queued jobs
STORAGE_KEY = "storage"  # in every session's ``info``: the storage of its database
Announce = Callable[[dict[str, Any]], None]  # what a commit recorded in its ``info``


@dataclass(frozen=True)
class NewLead(Generic[R]):
    """Every row of a new lead, as plain column values, and what the caller answers once they
    are stored. Built by ``server.intake.service``; written by ``Storage.write_new_lead``."""

    lead: dict[str, Any]  # every column but ``version``
    message: dict[str, Any]  # every column but ``version``
    received: dict[str, Any]  # the ``lead.received`` audit row
    job: dict[str, Any] | None  # ``process_lead``; ``None`` for spam and held submissions
    hits: list[dict[str, Any]]  # the rate-limit hits it counts
    claim: dict[str, Any]  # the ``submissions`` row that makes a retry a repeat
    result: R
    info: dict[str, Any] = field(default_factory=dict)  # versions moved, job queued


class Repeat(Exception):
    """The same submission was stored by a request that committed first: nothing of this one
    stays (the counter may have moved on: versions may have gaps). ``result`` is what the
    submission would have answered."""

    def __init__(self, result: Any) -> None:
        super().__init__("repeat submission")
        self.result = result


Plan = Callable[..., "NewLead[T] | T"]


class Storage(ABC):
    """The hot paths of one database. Synchronous work (``plan``) gets a SQLAlchemy
    ``Connection``: the same Core statements run on either database."""

    name: str  # "sqlite" or "postgresql"
    engine: AsyncEngine  # the writers' (sessions, ``run_write``)
    read_engine: AsyncEngine  # read sessions
    # PostgreSQL tells every process of a commit (``pg_notify``, heard by ``LISTEN``); SQLite
    # has no such channel, so only this process's listeners hear of its own commits.
    notifies_other_processes: bool

    @abstractmethod
    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(session, *args)`` (synchronous code on a sync ORM session) in one write
        transaction, committed when it returns, rolled back when it raises; the versions moved
        and the jobs queued are announced after the commit."""

    @abstractmethod
    async def insert_new_lead(self, plan: Plan[T], *args: Any) -> T:
        """Run ``plan(conn, *args)`` (the intake query and the checks); if it returns a
        ``NewLead``, write it (``write_new_lead``), committed before this returns, and answer its
        ``result``; anything else it returns is answered as is, with nothing written. Raises
        ``Repeat`` if the submission was stored already."""

    @abstractmethod
    def write_new_lead(self, conn: Connection, new: NewLead[Any], info: dict[str, Any]) -> None:
        """Write every row of ``new`` in ``conn``'s transaction (or as one statement in
        autocommit), recording the versions moved and the job queued in ``info`` (a session's
        ``info``) so they are announced after the commit. The one way a new lead is written."""

    @abstractmethod
    def version_rows(
        self,
        conn: Connection,
        business_id: uuid.UUID,
        count: int,
        rows: Sequence[tuple[Table, Sequence[uuid.UUID]]],
        *,
        bumps: dict[uuid.UUID, int],
    ) -> int:
        """Move the business's counter ``count`` versions on, taking its lock, and give the
        ``rows`` (ids per table) the first of them in the order given; the new head, recorded
        in ``bumps``. PostgreSQL also tells every process at commit (``pg_notify``). The
        counter is the last lock a transaction takes: it is held until the commit, so the
        fewer round trips after it, the shorter other writers of the business wait."""

    @abstractmethod
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
        """One page of ``listed`` (the business's lead list, filtered and sorted) restricted to
        the leads matching ``q`` (which has ``search_words``), and how many match in all.
        Fewer than ``rare_below`` matches are collected first rather than found by walking
        the list in date order."""

    @abstractmethod
    async def pull_page(
        self,
        session: AsyncSession,
        business_id: uuid.UUID,
        cursor: int,
        limit: int,
        day: FollowUpDay,
    ) -> Sequence[Any]:
        """The rows of ``server.sync.page_sql``'s page statement for this database, follow-up
        states on the business's ``day``."""

    @abstractmethod
    async def lock_keys(self, session: AsyncSession, keys: list[str]) -> None:
        """Order the rate-limit counts of ``keys`` with every other transaction's until this
        one commits, so a count and its hit are exact under concurrency."""

    @abstractmethod
    def wake_other_workers(self, session: Session) -> None:
        """In the transaction of a session that queued jobs, before its commit: have the
        workers of other processes claim them at the commit, not at their next poll (this
        process's own are woken after the commit, on either database)."""

    @abstractmethod
    async def listen(
        self, channel: str, heard: Callable[[str], None], stopping: asyncio.Event
    ) -> None:
        """Until ``stopping`` is set, call ``heard(payload)`` for each notification on
        ``channel``, from any process, reconnecting after a lost connection. Where nothing
        ``notifies_other_processes`` (SQLite) nothing comes: in-process listeners hear it all."""

    @abstractmethod
    async def listen_for_jobs(self, wake: Callable[[], None], stopping: asyncio.Event) -> None:
        """``listen`` for the jobs other processes queue (``wake_other_workers``): ``wake()``
        at each of their commits."""

    @abstractmethod
    async def dispose(self) -> None:
        """Close what this storage opened."""


def storage_of(session: Session | AsyncSession) -> Storage:
    """The storage of the database a session of ``Database`` (or of ``run_write``) runs on."""
    storage: Storage = session.info[STORAGE_KEY]
    return storage


def insert_ignoring_conflicts(table: Table, *index_elements: str) -> Insert:
    """``INSERT … ON CONFLICT [(index_elements)] DO NOTHING``: the same SQL on SQLite (3.24 and
    later) and PostgreSQL; SQLAlchemy's SQLite compiler renders this construct as written."""
    return _insert_on_conflict(table).on_conflict_do_nothing(
        index_elements=list(index_elements) or None
    )


# The submission id, recorded last: a request with the same id that committed first makes
# this one a repeat (it inserts nothing), and everything it wrote is rolled back.
CLAIM_SUBMISSION = insert_ignoring_conflicts(table_of(Submission))

WORD = re.compile(r"\w+", re.UNICODE)  # a word as both databases' indexes split text
_PHONE_QUERY = re.compile(r"[\d\s()+.\-/]+")


def search_words(q: str) -> list[str]:
    """The words of a lead search (at most eight), as both databases' indexes split them."""
    return WORD.findall(q.lower())[:8]


def phone_digits(q: str) -> str | None:
    """The digits of a query that looks like a phone number, else ``None``. Only such a query
    searches inside phone numbers; otherwise "flat 305" would match every lead whose phone
    contains 305."""
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3 and _PHONE_QUERY.fullmatch(q.strip()) is not None:
        return digits
    return None


_REQUIRED = object()  # a parameter the statement holds no value for


class Prepared:
    """A hot statement compiled once for one dialect, with SQLAlchemy's public API: the SQL,
    its parameters in the order of its placeholders (each with its type's bind processor and
    the value bound into the statement, if any) and its columns' result processors. Values go
    to the driver and come back exactly as through ``Connection.execute``, without its
    per-execution work (docs/BENCHMARKS.md, "The storage layer")."""

    __slots__ = ("_binds", "_results", "returns_rows", "sql")

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] = ()
    ) -> None:
        # An INSERT takes the columns named by its values (``column_keys``), as in SQLAlchemy.
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(column_keys) or None)
        names = compiled.positiontup
        if names is None or "POSTCOMPILE" in compiled.string:
            raise ValueError("only statements with plain positional parameters are prepared")
        self.sql: str = compiled.string
        binds = compiled.binds
        self._binds: tuple[tuple[str, Any, Any], ...] = tuple(
            (
                name,
                _processor(binds[name].type, dialect, bind=True),
                _REQUIRED if binds[name].required else binds[name].effective_value,
            )
            for name in names
        )
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a column defaulted in Python needs its value given")
        columns = list(getattr(statement, "exported_columns", ()))  # selected or RETURNING
        self._results = tuple(_processor(c.type, dialect, bind=False) for c in columns)
        self.returns_rows = bool(columns)

    def parameters(self, values: dict[str, Any]) -> list[Any]:
        """The driver's positional parameters; as in SQLAlchemy, a value left out takes the
        one bound into the statement and a parameter without one is an error."""
        out = []
        for name, process, default in self._binds:
            value = values.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"a value is required for the parameter {name!r}")
            out.append(value if process is None else process(value))  # None too: JSON null
        return out

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """A result row with the columns' result processors applied."""
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self._results, raw, strict=True)
        )


def _processor(type_: TypeEngine[Any], dialect: Dialect, *, bind: bool) -> Any:
    impl = type_.dialect_impl(dialect)
    return impl.bind_processor(dialect) if bind else impl.result_processor(dialect, None)


class Rows:
    """What a prepared statement answered, with the part of SQLAlchemy's ``Result`` that the
    plans use (``first``, ``one``, ``scalar``, ``scalar_one``, ``rowcount``)."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]


def storage_for(url: str, announce: Announce, **options: Any) -> Storage:
    """The storage of the database at ``url``, chosen once, when the ``Database`` is built;
    ``announce`` is told what each of its commits recorded (versions moved, jobs queued)."""
    if url.startswith("sqlite"):
        from server.storage.sqlite import SqliteStorage

        return SqliteStorage(url, announce, **options)
    from server.storage.postgres import PostgresStorage

    return PostgresStorage(url, announce, **options)

"""PostgreSQL: one pool; a new lead is one statement in autocommit.

docs/ARCHITECTURE.md ("The storage layer") says why; docs/BENCHMARKS.md has the measurements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import String, bindparam, cast, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from server import sync_versions
from server.models.base import table_of
from server.models.lead import Lead, Message, Submission
from server.models.ops import AuditLog, Job
from server.models.sync import SyncCounter
from server.models.user import RateLimitHit
from server.storage import JOBS_ENQUEUED_KEY, Announce, NewLead, Plan, Repeat, Storage

T = TypeVar("T")

_CLAIM = pg_insert(table_of(Submission)).on_conflict_do_nothing()
_FIELDS: list[str] = []  # every column parameter of ``_NEW_LEAD`` (unset ones are NULL)


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
    return select(
        select(func.count()).select_from(claim).scalar_subquery().label("claimed"),
        head.label("head"),
        notified.label("notified"),
    ).add_cte(message, audit_row, job, *hits)


_NEW_LEAD = _new_lead_statement()


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
        self.announce = announce
        self.session_class = session_class
        # No ping before each checkout (a round trip per request): after a restart the first
        # statement on a dead connection fails (503 or a job retry) and SQLAlchemy then drops
        # every older pooled connection at once.
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )
        self.read_engine = self.engine
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # First come first served, and never beyond the pool into overflow connections.
        self._turns = asyncio.Semaphore(min(self.AUTOCOMMIT_SLOTS, pool_size))

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """``work(session, *args)`` in one transaction (``run_sync``); versions and queued jobs
        are announced after the commit."""
        async with AsyncSession(
            self.engine, expire_on_commit=False, sync_session_class=self.session_class
        ) as session:
            result = await session.run_sync(work, *args)
            await session.commit()
            info = dict(session.info)
        self.announce(info)
        return result

    async def insert_new_lead(self, plan: Plan[T], *args: Any) -> T:
        """In autocommit: the intake query, then the new lead's one statement, which commits by
        itself (no ``BEGIN``/``COMMIT`` round trips, and the counter's lock ends with it)."""
        async with self._turns, self._autocommit.connect() as conn:
            out: NewLead[T] | T = await conn.run_sync(self._plan_and_write, plan, args)
        if not isinstance(out, NewLead):
            return out
        self.announce(out.info)
        return out.result

    def _plan_and_write(
        self, conn: Connection, plan: Plan[T], args: tuple[Any, ...], /
    ) -> NewLead[T] | T:
        out = plan(conn, *args)
        if isinstance(out, NewLead):
            self.write_new_lead(conn, out, out.info)
        return out

    def write_new_lead(self, conn: Connection, new: NewLead[Any], info: dict[str, Any]) -> None:
        business_id = new.lead["business_id"]
        values: dict[str, Any] = dict.fromkeys(_FIELDS)
        values |= {
            "counter_business_id": business_id,
            "channel": sync_versions.PG_CHANNEL,
            "prefix": f"{business_id}:",
        }
        rows = (("l", new.lead), ("m", new.message), ("a", new.received), ("s", new.claim))
        for prefix, row in (*rows, ("j", new.job or {})):
            values.update({f"{prefix}_{key}": value for key, value in row.items()})
        for n, hit in enumerate(new.hits, start=1):
            values.update({f"h{n}_{key}": value for key, value in hit.items()})
        claimed, head, _notified = conn.execute(_NEW_LEAD, values).one()
        if not claimed:
            raise Repeat(new.result)
        info.setdefault(sync_versions.BUMPS_KEY, {})[business_id] = int(head)
        if new.job is not None:
            info[JOBS_ENQUEUED_KEY] = True

    def claim_submission(self, conn: Connection, values: dict[str, Any]) -> bool:
        return bool(conn.execute(_CLAIM, values).rowcount)

    async def dispose(self) -> None:
        await self.engine.dispose()

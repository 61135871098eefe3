"""The jobs table as a queue: enqueue in the caller's transaction, claim with a lease, retry.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never take one job; on
SQLite the claiming transaction holds the write lock (``BEGIN IMMEDIATE``), which is as exclusive.
A claimed job carries a lease (``locked_until``); a job whose worker died is claimed again once its
lease has expired, and counts as an attempt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.db import JOBS_ENQUEUED_KEY
from server.models.base import table_of, utcnow
from server.models.ops import Job
from server.rawsql import RawConnection

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"

# Built once (bound parameters): enqueueing runs in every form submit's transaction.
_INSERT = insert(table_of(Job))
_INSERT_ONCE = {
    "postgresql": pg_insert(table_of(Job)).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "sqlite": sqlite_insert(table_of(Job)).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}

BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 900.0


def backoff_s(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failures: 2 s, 4 s, 8 s … capped at 15 min."""
    return float(min(BACKOFF_CAP_S, BACKOFF_BASE_S ** max(1, attempts)))


def _job(
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "payload": payload,
        "status": QUEUED,
        "dedupe_key": dedupe_key,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "created_at": now,
    }


def _statement(session: AsyncSession | Session, dedupe_key: str | None) -> Any:
    if dedupe_key is None:
        return _INSERT
    return _INSERT_ONCE[session.get_bind().dialect.name]


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Add a job in the caller's transaction; a job with the same ``dedupe_key`` is added once."""
    values = _job(kind, payload, run_at=run_at, dedupe_key=dedupe_key, max_attempts=max_attempts)
    # A job row references nothing the ORM holds, so adding one does not first flush the
    # caller's pending rows: they go out together, batched, at the next flush or the commit.
    with session.no_autoflush:
        await session.execute(_statement(session, dedupe_key), values)
    session.info[JOBS_ENQUEUED_KEY] = True  # wakes this process's worker after commit


def enqueue_now(session: Session, kind: str, payload: dict[str, Any], **options: Any) -> None:
    """``enqueue`` for synchronous code (``Database.run_write``), with the same options."""
    values = _job(kind, payload, **options)
    with session.no_autoflush:
        session.execute(_statement(session, values["dedupe_key"]), values)
    session.info[JOBS_ENQUEUED_KEY] = True


def job_row(kind: str, payload: dict[str, Any], *, max_attempts: int = 8) -> dict[str, Any]:
    """The columns of a job due now, for a caller that inserts it itself (``enqueue_row``)."""
    return _job(kind, payload, max_attempts=max_attempts)


def enqueue_row(session: Session | RawConnection, row: dict[str, Any]) -> None:
    """Insert a ``job_row`` now, on the session's connection or a ``RawConnection`` (a Core
    row: no ORM layer)."""
    conn = session.connection() if isinstance(session, Session) else session
    conn.execute(_INSERT, row)
    session.info[JOBS_ENQUEUED_KEY] = True


@dataclass(frozen=True)
class Claimed:
    """A job this worker has just taken."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


async def claim(
    session: AsyncSession, worker_id: str, *, limit: int, lease_s: int
) -> list[Claimed]:
    """Take up to ``limit`` due jobs (queued, or running with an expired lease) for this worker.

    One statement: ``UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING``.
    """
    now = utcnow()
    due = or_(
        and_(Job.status == QUEUED, Job.run_at <= now),
        and_(Job.status == RUNNING, Job.locked_until < now),
    )
    pick = select(Job.id).where(due).order_by(Job.run_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    jobs = table_of(Job)
    taken = await session.execute(
        update(jobs)
        .where(jobs.c.id.in_(pick.scalar_subquery()))
        .values(
            status=RUNNING,
            attempts=jobs.c.attempts + 1,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_s),
        )
        .returning(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
    )
    return [Claimed(*row) for row in taken]


async def finish(session: AsyncSession, job_id: uuid.UUID, worker_id: str) -> None:
    """Mark the job done, unless its lease expired and another worker has taken it over."""
    await finish_many(session, [job_id], worker_id)


async def finish_many(session: AsyncSession, job_ids: list[uuid.UUID], worker_id: str) -> None:
    """Mark several jobs done at once (those this worker still holds)."""
    if not job_ids:
        return
    await session.execute(_finished(job_ids, worker_id))


def finish_now(session: Session, job_id: uuid.UUID, worker_id: str) -> None:
    """``finish`` for synchronous code (``Database.run_write``)."""
    session.execute(_finished([job_id], worker_id))


def _finished(job_ids: list[uuid.UUID], worker_id: str) -> Any:
    return (
        update(table_of(Job))
        .where(Job.id.in_(job_ids), Job.locked_by == worker_id, Job.status == RUNNING)
        .values(status=DONE, finished_at=utcnow(), locked_until=None, last_error=None)
    )


async def fail(
    session: AsyncSession,
    job_id: uuid.UUID,
    worker_id: str,
    error: str,
    *,
    permanent: bool,
    max_attempts: int | None = None,
) -> Job | None:
    """Record a failed attempt: retry later with backoff, or fail for good.

    ``max_attempts`` (``LEADFLOW_JOB_MAX_ATTEMPTS``) caps the job's own limit.
    """
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None or job.locked_by != worker_id:
        return None
    job.last_error = error[:4000]
    job.locked_until = None
    limit = job.max_attempts if max_attempts is None else min(job.max_attempts, max_attempts)
    if permanent or job.attempts >= limit:
        job.status = FAILED
        job.finished_at = utcnow()
    else:
        job.status = QUEUED
        job.run_at = utcnow() + timedelta(seconds=backoff_s(job.attempts))
    return job

"""The jobs table as a queue: enqueue in the caller's transaction, claim with a lease, retry.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never take one job; on
SQLite the claiming transaction holds the write lock (``BEGIN IMMEDIATE``), which is as exclusive.
A claimed job carries a lease (``locked_until``) that its worker renews while the handler runs
(``renew``); a job whose worker died is claimed again once its lease has expired, and that claim
counts as an attempt. A job whose lease expires on its last attempt is dead: ``failed``, kept with
its last error, never run again.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import JOBS_ENQUEUED_KEY
from server.models.base import table_of, utcnow
from server.models.ops import Job
from server.storage import insert_ignoring_conflicts

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"

# Built once (bound parameters): enqueueing runs in every form submit's transaction.
INSERT_JOB = insert(table_of(Job))
_INSERT_ONCE = insert_ignoring_conflicts(table_of(Job), "dedupe_key")

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


def _statement(dedupe_key: str | None) -> Any:
    return INSERT_JOB if dedupe_key is None else _INSERT_ONCE


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
        await session.execute(_statement(dedupe_key), values)
    session.info[JOBS_ENQUEUED_KEY] = True  # wakes this process's worker after commit


def job_row(kind: str, payload: dict[str, Any], *, max_attempts: int = 8) -> dict[str, Any]:
    """The columns of a job due now, for a caller that inserts it itself (``INSERT_JOB``) on a
    connection: a new lead's job, or a returning customer's (``server.intake``)."""
    return _job(kind, payload, max_attempts=max_attempts)


@dataclass(frozen=True)
class Claimed:
    """A job this worker has just taken (or, from ``bury_expired``, one that died)."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def _limit(cap: int | None) -> Any:
    """The job's own attempt limit, lowered to ``cap`` (``LEADFLOW_JOB_MAX_ATTEMPTS``)."""
    if cap is None:
        return Job.max_attempts
    return case((Job.max_attempts < cap, Job.max_attempts), else_=cap)  # SQLite has no least()


def _pick(where: Any, limit: int) -> Any:
    # SQLite renders no FOR UPDATE: its claiming transaction holds the write lock already.
    pick = select(Job.id).where(where).order_by(Job.run_at).limit(limit)
    return pick.with_for_update(skip_locked=True).scalar_subquery()


_RETURNED = ("id", "kind", "payload", "attempts", "max_attempts")


async def bury_expired(
    session: AsyncSession, *, max_attempts: int | None = None, limit: int = 100
) -> list[Claimed]:
    """Fail for good the jobs whose lease expired on their last attempt (their worker died or
    stalled each time), keeping the last error; the caller runs their give-up handlers."""
    now = utcnow()
    expired_last = and_(
        Job.status == RUNNING, Job.locked_until < now, Job.attempts >= _limit(max_attempts)
    )
    jobs = table_of(Job)
    note = "the lease expired: the worker stopped or stalled during its last attempt"
    dead = await session.execute(
        update(jobs)
        .where(jobs.c.id.in_(_pick(expired_last, limit)))
        .values(
            status=FAILED,
            finished_at=now,
            locked_until=None,
            last_error=case(
                (jobs.c.last_error.is_(None), note),
                else_=func.substr(jobs.c.last_error + " / " + note, 1, 4000),
            ),
        )
        .returning(*(jobs.c[name] for name in _RETURNED))
    )
    return [Claimed(*row) for row in dead]


async def claim(
    session: AsyncSession,
    worker_id: str,
    *,
    limit: int,
    lease_s: int,
    max_attempts: int | None = None,
    skip_kinds: Collection[str] = (),
) -> list[Claimed]:
    """Take up to ``limit`` due jobs (queued, or running with an expired lease and attempts
    left) for this worker, other than ``skip_kinds``; each claim counts as an attempt.

    One statement: ``UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING``.
    """
    now = utcnow()
    due = or_(
        and_(Job.status == QUEUED, Job.run_at <= now),
        and_(
            Job.status == RUNNING,
            Job.locked_until < now,
            Job.attempts < _limit(max_attempts),
        ),
    )
    if skip_kinds:
        due = and_(due, Job.kind.not_in(list(skip_kinds)))
    jobs = table_of(Job)
    taken = await session.execute(
        update(jobs)
        .where(jobs.c.id.in_(_pick(due, limit)))
        .values(
            status=RUNNING,
            attempts=jobs.c.attempts + 1,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_s),
        )
        .returning(*(jobs.c[name] for name in _RETURNED))
    )
    return [Claimed(*row) for row in taken]


async def renew(
    session: AsyncSession, worker_id: str, held: dict[uuid.UUID, int], *, lease_s: int
) -> set[uuid.UUID]:
    """Extend the leases of the jobs this worker still holds (id → the attempt it claimed);
    the ids it still holds. A job missing from the answer was taken over: its handler's result
    will not commit (``JobRun.owned``)."""
    if not held:
        return set()
    jobs = table_of(Job)
    renewed = await session.execute(
        update(jobs)
        .where(_held(held, worker_id))
        .values(locked_until=utcnow() + timedelta(seconds=lease_s))
        .returning(jobs.c.id)
    )
    return set(renewed.scalars())


def _held(held: dict[uuid.UUID, int], worker_id: str) -> Any:
    """The jobs that are still this worker's own claims: running, locked by it, on the attempt
    it claimed (a re-claim by the same worker after its lease expired is another claim)."""
    return and_(
        Job.status == RUNNING,
        Job.locked_by == worker_id,
        or_(*(and_(Job.id == job_id, Job.attempts == attempt) for job_id, attempt in held.items())),
    )


# One job marked done; built once, as every job runs it.
_FINISH = (
    update(table_of(Job))
    .where(
        Job.id == bindparam("job_id", type_=Job.id.type),
        Job.attempts == bindparam("attempt", type_=Integer()),
        Job.status == RUNNING,
        Job.locked_by == bindparam("worker_id", type_=String()),
    )
    .values(
        status=DONE,
        finished_at=bindparam("now", type_=Job.finished_at.type),
        locked_until=None,
        last_error=None,
    )
)


async def finish(session: AsyncSession, job_id: uuid.UUID, worker_id: str, attempt: int) -> bool:
    """Mark the job done (locking its row) unless its lease expired and another claim has taken
    it over; True if it was still this worker's."""
    values = {"job_id": job_id, "attempt": attempt, "worker_id": worker_id, "now": utcnow()}
    done = await session.execute(_FINISH, values)
    return bool(done.rowcount)  # type: ignore[attr-defined]


_OWNED = (
    select(Job.id)
    .where(
        Job.id == bindparam("job_id", type_=Job.id.type),
        Job.attempts == bindparam("attempt", type_=Integer()),
        Job.status == RUNNING,
        Job.locked_by == bindparam("worker_id", type_=String()),
    )
    .with_for_update()
)


async def owns(session: AsyncSession, job_id: uuid.UUID, worker_id: str, attempt: int) -> bool:
    """Lock the job's row if this worker still holds it (on the attempt it claimed); False if
    its lease expired and another claim has taken it over."""
    values = {"job_id": job_id, "attempt": attempt, "worker_id": worker_id}
    return (await session.execute(_OWNED, values)).first() is not None


async def finish_many(session: AsyncSession, held: dict[uuid.UUID, int], worker_id: str) -> None:
    """Mark several jobs done at once (id → claimed attempt; those this worker still holds)."""
    if held:
        now = utcnow()
        rows = [
            {"job_id": job_id, "attempt": attempt, "worker_id": worker_id, "now": now}
            for job_id, attempt in held.items()
        ]
        await session.execute(_FINISH, rows)


async def defer(
    session: AsyncSession, job_id: uuid.UUID, worker_id: str, attempt: int, run_at: datetime
) -> None:
    """Put a job this worker holds back in the queue until ``run_at`` without counting the
    attempt its claim took: it ran into nothing it could do yet (it waits on another job)."""
    await session.execute(
        update(table_of(Job))
        .where(_held({job_id: attempt}, worker_id))
        .values(
            status=QUEUED,
            attempts=table_of(Job).c.attempts - 1,
            run_at=run_at,
            locked_by=None,
            locked_until=None,
        )
    )


async def wake(session: AsyncSession, dedupe_key: str) -> bool:
    """Make the queued job with this ``dedupe_key`` due now if it was waiting for later; True
    if it was (this process's worker is woken after the commit).

    The row is locked first: a transaction of the job's own handler that is putting it back
    (``defer``) commits before the check, which a plain update would skip as running."""
    job_id = await session.scalar(
        select(Job.id).where(Job.dedupe_key == dedupe_key).with_for_update()
    )
    if job_id is None:
        return False
    now = utcnow()
    woken = await session.execute(
        update(table_of(Job))
        .where(Job.id == job_id, Job.status == QUEUED, Job.run_at > now)
        .values(run_at=now)
    )
    if woken.rowcount:  # type: ignore[attr-defined]
        session.info[JOBS_ENQUEUED_KEY] = True
    return bool(woken.rowcount)  # type: ignore[attr-defined]


async def fail(
    session: AsyncSession,
    job_id: uuid.UUID,
    worker_id: str,
    attempt: int,
    error: str,
    *,
    permanent: bool,
    max_attempts: int | None = None,
    retry_after_s: float | None = None,
) -> Job | None:
    """Record a failed attempt: retry later with backoff (``retry_after_s`` if given), or fail
    for good. ``max_attempts`` (``LEADFLOW_JOB_MAX_ATTEMPTS``) caps the job's own limit.
    """
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None or (job.status, job.locked_by, job.attempts) != (RUNNING, worker_id, attempt):
        return None  # taken over: the new claim records its own outcome
    job.last_error = error[:4000]
    job.locked_until = None
    limit = job.max_attempts if max_attempts is None else min(job.max_attempts, max_attempts)
    if permanent or job.attempts >= limit:
        job.status = FAILED
        job.finished_at = utcnow()
    else:
        job.status = QUEUED
        delay = backoff_s(job.attempts) if retry_after_s is None else retry_after_s
        job.run_at = utcnow() + timedelta(seconds=delay)
    return job

"""Runs due jobs: claims a batch, runs each handler, records success or a retry with backoff."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.context import ServerContext
from server.jobs import queue
from server.models.base import utcnow
from server.models.ops import Job, WorkerHeartbeat

log = logging.getLogger(__name__)


class JobError(Exception):
    """A handler's failure; ``permanent`` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class JobRun:
    """What a handler gets: the job's id, payload and attempt number, and a way to finish it.

    A handler that writes its result in a transaction calls ``await run.complete(session)`` in
    that same transaction, so the result and the job's completion commit together.
    """

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    worker_id: str
    completed: bool = False

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts

    async def owned(self, session: AsyncSession) -> bool:
        """Lock the job row; False if the lease expired and another worker has taken it over."""
        return await session.run_sync(self.owned_now)

    async def complete(self, session: AsyncSession) -> None:
        await queue.finish(session, self.id, self.worker_id)
        self.completed = True

    def owned_now(self, session: Session) -> bool:
        """``owned`` for synchronous code (``Database.run_write``)."""
        job = session.get(Job, self.id, with_for_update=True, populate_existing=True)
        return job is not None and job.status == queue.RUNNING and job.locked_by == self.worker_id

    def complete_now(self, session: Session) -> None:
        """``complete`` for synchronous code: the job is done when this transaction commits."""
        queue.finish_now(session, self.id, self.worker_id)
        self.completed = True


Handler = Callable[[ServerContext, JobRun], Awaitable[None]]
GiveUp = Callable[[ServerContext, JobRun, str], Awaitable[None]]


class Worker:
    def __init__(
        self,
        ctx: ServerContext,
        handlers: dict[str, Handler],
        *,
        give_up: dict[str, GiveUp] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.handlers = handlers
        self.give_up = give_up or {}
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.concurrency = ctx.settings.worker_concurrency
        self.lease_s = ctx.settings.job_lease_s
        self._lock = asyncio.Lock()
        self._stopping = False
        self.started_at = utcnow()

    def stop_claiming(self) -> None:
        """Take no new jobs (the process is stopping); running ones finish their step."""
        self._stopping = True

    async def tick(self) -> int:
        """Run due jobs until none is left; the number run. Overlapping ticks wait their turn.

        Up to ``concurrency`` jobs run at once, and a free slot is filled as soon as a job ends
        (a slow AI call does not hold back the jobs beside it). Jobs that succeeded are marked
        done in the same transaction that claims the next ones.
        """
        async with self._lock:
            total = 0
            running: dict[asyncio.Task[bool], JobRun] = {}
            succeeded: list[uuid.UUID] = []
            try:
                while True:
                    free = 0 if self._stopping else self.concurrency - len(running)
                    if free > 0:
                        async with self.ctx.db.session() as session:
                            await queue.finish_many(session, succeeded, self.worker_id)
                            succeeded = []
                            batch = await queue.claim(
                                session, self.worker_id, limit=free, lease_s=self.lease_s
                            )
                            runs = [
                                JobRun(
                                    job.id,
                                    job.kind,
                                    dict(job.payload),
                                    job.attempts,
                                    job.max_attempts,
                                    self.worker_id,
                                )
                                for job in batch
                            ]
                        for run in runs:
                            running[asyncio.create_task(self._run(run))] = run
                        total += len(runs)
                    if not running:
                        return total
                    finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in finished:
                        run = running.pop(task)
                        if task.result() and not run.completed:
                            succeeded.append(run.id)
            finally:
                if running:  # cancelled (shutdown): the leases of unfinished jobs expire
                    for task in running:
                        task.cancel()
                    await asyncio.gather(*running, return_exceptions=True)
                if succeeded:
                    async with self.ctx.db.session() as session:
                        await queue.finish_many(session, succeeded, self.worker_id)

    async def _run(self, run: JobRun) -> bool:
        """Run one job; True if it succeeded (the caller marks it done unless it did itself)."""
        handler = self.handlers.get(run.kind)
        try:
            if handler is None:
                raise JobError(f"no handler for job kind {run.kind!r}", permanent=True)
            await handler(self.ctx, run)
        except Exception as error:
            permanent = isinstance(error, JobError) and error.permanent
            message = f"{type(error).__name__}: {error}"
            if not isinstance(error, JobError):
                log.exception("job %s (%s) failed", run.id, run.kind)
            else:
                log.warning("job %s (%s) failed: %s", run.id, run.kind, message)
            await self._record_failure(run, message, permanent=permanent)
            return False
        return True

    async def _record_failure(self, run: JobRun, message: str, *, permanent: bool) -> None:
        try:
            async with self.ctx.db.session() as session:
                job = await queue.fail(
                    session,
                    run.id,
                    self.worker_id,
                    message,
                    permanent=permanent,
                    max_attempts=self.ctx.settings.job_max_attempts,
                )
            if job is not None and job.status == queue.FAILED and run.kind in self.give_up:
                await self.give_up[run.kind](self.ctx, run, message)
        except Exception:
            # The lease will expire and the job will be tried again; nothing is lost.
            log.exception("could not record the failure of job %s", run.id)

    async def heartbeat(self) -> None:
        async with self.ctx.db.session() as session:
            row = await session.get(WorkerHeartbeat, self.worker_id)
            if row is None:
                session.add(
                    WorkerHeartbeat(
                        worker_id=self.worker_id, seen_at=utcnow(), started_at=self.started_at
                    )
                )
            else:
                row.seen_at = utcnow()

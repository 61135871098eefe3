"""Runs due jobs: claims a batch, runs each handler, records success or a retry with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.context import ServerContext
from server.jobs import queue
from server.models.base import utcnow
from server.models.ops import WorkerHeartbeat

log = logging.getLogger(__name__)


class JobError(Exception):
    """A handler's failure; ``permanent`` ones are not retried. ``retry_after_s`` replaces the
    queue's default backoff for this retry (a kind with its own schedule, e.g. mail)."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


@dataclass
class JobRun:
    """What a handler gets: the job's id, payload and attempt number, and a way to finish it.

    A handler that writes its result in a transaction calls ``await run.complete(session)``
    first in that transaction, so the result and the job's completion commit together, and
    writes nothing if it answers False (the lease expired and another claim took the job over).
    One that must look before it knows whether it is done checks ``owned`` first instead.
    """

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    worker_id: str
    completed: bool = False
    slots: Slots | None = field(default=None, repr=False, compare=False)
    holds_slot: bool = field(default=False, repr=False, compare=False)

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts

    @contextlib.asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Around a call that only waits on another service (the AI): the job's slot, which
        bounds database work, goes to another job meanwhile, and is taken back afterwards."""
        if self.slots is None:
            yield
            return
        async with self.slots.released(self):
            yield

    async def owned(self, session: AsyncSession) -> bool:
        """Lock the job row; False if the lease expired and another claim has taken it over."""
        return await queue.owns(session, self.id, self.worker_id, self.attempts)

    async def complete(self, session: AsyncSession) -> bool:
        """The job is done when this transaction commits (its row is locked until then);
        False, and nothing changes, if it was taken over."""
        self.completed = await queue.finish(session, self.id, self.worker_id, self.attempts)
        return self.completed

    async def defer(self, session: AsyncSession, run_at: datetime) -> None:
        """Give the job back to the queue until ``run_at``, its attempt not counted (it waits on
        another job); the worker then neither completes nor retries it."""
        await queue.defer(session, self.id, self.worker_id, self.attempts, run_at)
        self.completed = True


class Slots:
    """A worker's job slots: ``size`` jobs at a time do database work. A job waiting on an
    outside call (``JobRun.waiting``) gives its slot back for the call; up to ``calls_max`` such
    calls run at once (``LEADFLOW_AI_CONCURRENCY``), later ones queue for a place without a slot.
    With ``calls_max`` 0 a waiting job keeps its slot (the bench's "before")."""

    def __init__(self, size: int, calls_max: int, on_free: Callable[[], None]) -> None:
        self.size = size
        self.calls_max = calls_max
        self.waiting = 0  # jobs without a slot: in an outside call or queued for a place
        # Kinds seen waiting: while every call place is taken, claims leave them queued, so a
        # burst of leads on a hanging AI never takes the slots other jobs (mail) need.
        self.waiting_kinds: set[str] = set()
        self._semaphore = asyncio.Semaphore(size)
        self._calls = asyncio.Semaphore(calls_max) if calls_max > 0 else None
        self._on_free = on_free

    async def take(self, run: JobRun) -> None:
        await self._semaphore.acquire()
        run.holds_slot = True

    def give_back(self, run: JobRun) -> None:
        if run.holds_slot:
            run.holds_slot = False
            self._semaphore.release()

    def free(self, running: int) -> int:
        """How many more jobs to claim with ``running`` jobs in hand."""
        return max(0, self.size - (running - self.waiting))

    def skip_kinds(self) -> frozenset[str]:
        """Job kinds not to claim now: those that wait, while every call place is taken."""
        if self._calls is None or self.waiting < self.calls_max:
            return frozenset()
        return frozenset(self.waiting_kinds)

    @contextlib.asynccontextmanager
    async def released(self, run: JobRun) -> AsyncIterator[None]:
        if self._calls is None or not run.holds_slot:
            yield
            return
        self.waiting_kinds.add(run.kind)
        self.waiting += 1
        run.holds_slot = False
        self._semaphore.release()
        self._on_free()
        try:
            async with self._calls:
                yield
        finally:
            self.waiting -= 1
            await self._semaphore.acquire()  # cancelled here (shutdown): it holds none
            run.holds_slot = True


Handler = Callable[[ServerContext, JobRun], Awaitable[None]]
GiveUp = Callable[[ServerContext, JobRun, str], Awaitable[None]]

POLL_S = 1.0  # how often a busy worker looks for due jobs to fill its free slots


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
        self.slots = Slots(self.concurrency, ctx.settings.ai_concurrency, self.wake)
        self.lease_s = ctx.settings.job_lease_s
        # Renewed three times per lease: one late renewal (a busy database) does not lose it.
        self.renew_s = max(0.2, self.lease_s / 3)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False
        self.started_at = utcnow()

    def wake(self) -> None:
        """A job was queued or a slot freed: a running ``tick`` claims at once."""
        self._wake.set()

    def stop_claiming(self) -> None:
        """Take no new jobs (the process is stopping); running ones finish their step."""
        self._stopping = True

    async def tick(self) -> int:
        """Run due jobs until none is left; the number run.

        Up to ``concurrency`` jobs run at once. A free slot is filled as soon as a job ends, when
        a job is queued (a ``tick`` while one is running wakes it: the runtime calls it for this
        process's jobs and, on PostgreSQL, for other processes') and every ``POLL_S`` (what a
        lost notification or a job falling due leaves). While handlers run, their leases are
        renewed every third of a lease. Jobs that succeeded are marked done in the same
        transaction that claims the next ones.
        """
        if self._lock.locked():
            self._wake.set()  # the running tick claims at once; it returns only when idle
            return 0
        async with self._lock:
            total = 0
            running: dict[asyncio.Task[bool], JobRun] = {}
            succeeded: dict[uuid.UUID, int] = {}
            loop = asyncio.get_running_loop()
            next_poll = next_renew = claim_after = 0.0
            try:
                while True:
                    self._wake.clear()
                    now = loop.time()
                    free = 0 if self._stopping else self.slots.free(len(running))
                    if free > 0 and now >= claim_after:
                        try:
                            runs = await self._claim(free, succeeded, bury=now >= next_poll)
                        except Exception:
                            if not running:
                                raise  # nothing in hand: the next poll starts a new tick
                            # The database is unreachable (restarting): the running handlers
                            # go on; cancelling them would drop results they are still
                            # recording, such as a mail the SMTP server has already accepted.
                            log.warning(
                                "could not claim jobs; %d running jobs go on",
                                len(running),
                                exc_info=True,
                            )
                            runs = []
                            claim_after = now + POLL_S
                        else:
                            succeeded = {}
                        next_poll = now + POLL_S
                        for run in runs:
                            running[asyncio.create_task(self._run(run))] = run
                        total += len(runs)
                        if not runs and not running and not self._wake.is_set():
                            return total
                    if running and now >= next_renew:
                        await self._renew(list(running.values()))
                        next_renew = now + self.renew_s
                    if not running:
                        if self._stopping:
                            return total
                        if claim_after > now:  # the last claim failed: try once more, then
                            await asyncio.sleep(claim_after - now)  # end the tick if it fails
                        continue  # woken while claiming: look again
                    waker = asyncio.create_task(self._wake.wait())
                    timeout = max(0.0, min(next_poll, next_renew) - loop.time())
                    try:
                        finished, _ = await asyncio.wait(
                            [*running, waker], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                        )
                    finally:
                        waker.cancel()
                    for task in finished - {waker}:
                        run = running.pop(task)
                        if task.result() and not run.completed:
                            succeeded[run.id] = run.attempts
            finally:
                if running:  # cancelled (shutdown): the leases of unfinished jobs expire
                    for task in running:
                        task.cancel()
                    await asyncio.gather(*running, return_exceptions=True)
                if succeeded:
                    async with self.ctx.db.session() as session:
                        await queue.finish_many(session, succeeded, self.worker_id)

    async def _claim(
        self, free: int, succeeded: dict[uuid.UUID, int], *, bury: bool
    ) -> list[JobRun]:
        """Mark finished jobs done, bury dead ones (on a poll) and claim up to ``free`` jobs."""
        cap = self.ctx.settings.job_max_attempts
        async with self.ctx.db.session() as session:
            await queue.finish_many(session, succeeded, self.worker_id)
            dead = await queue.bury_expired(session, max_attempts=cap) if bury else []
            batch = await queue.claim(
                session,
                self.worker_id,
                limit=free,
                lease_s=self.lease_s,
                max_attempts=cap,
                skip_kinds=self.slots.skip_kinds(),
            )
        for job in dead:
            log.error(
                "job %s (%s) is dead: its lease expired on attempt %d of %d",
                job.id,
                job.kind,
                job.attempts,
                job.max_attempts,
            )
            await self._gave_up(self._run_of(job), "the worker stopped during its last attempt")
        return [self._run_of(job) for job in batch]

    def _run_of(self, job: queue.Claimed) -> JobRun:
        return JobRun(
            job.id, job.kind, dict(job.payload), job.attempts, job.max_attempts, self.worker_id
        )

    async def _renew(self, runs: list[JobRun]) -> None:
        """Extend the leases of the running jobs; a failure here only shortens them."""
        held = {run.id: run.attempts for run in runs if not run.completed}
        try:
            async with self.ctx.db.session() as session:
                kept = await queue.renew(session, self.worker_id, held, lease_s=self.lease_s)
        except Exception:
            log.warning("could not renew the leases of %d running jobs", len(held), exc_info=True)
            return
        for run in runs:
            if run.id in held and run.id not in kept and not run.completed:
                log.warning(
                    "job %s was taken over by another worker; its result is dropped", run.id
                )

    async def _run(self, run: JobRun) -> bool:
        """Run one job in a slot; True if it succeeded (the caller marks it done unless it did)."""
        run.slots = self.slots
        await self.slots.take(run)
        try:
            return await self._run_in_slot(run)
        finally:
            self.slots.give_back(run)

    async def _run_in_slot(self, run: JobRun) -> bool:
        handler = self.handlers.get(run.kind)
        try:
            if handler is None:
                raise JobError(f"no handler for job kind {run.kind!r}", permanent=True)
            await handler(self.ctx, run)
        except Exception as error:
            job_error = error if isinstance(error, JobError) else None
            message = f"{type(error).__name__}: {error}"
            if job_error is None:
                log.exception("job %s (%s) failed", run.id, run.kind)
            else:
                log.warning("job %s (%s) failed: %s", run.id, run.kind, message)
            await self._record_failure(
                run,
                message,
                permanent=job_error is not None and job_error.permanent,
                retry_after_s=job_error.retry_after_s if job_error else None,
            )
            return False
        return True

    async def _record_failure(
        self, run: JobRun, message: str, *, permanent: bool, retry_after_s: float | None
    ) -> None:
        try:
            async with self.ctx.db.session() as session:
                job = await queue.fail(
                    session,
                    run.id,
                    self.worker_id,
                    run.attempts,
                    message,
                    permanent=permanent,
                    max_attempts=self.ctx.settings.job_max_attempts,
                    retry_after_s=retry_after_s,
                )
            if job is not None and job.status == queue.FAILED:
                await self._gave_up(run, message)
        except Exception:
            # The lease will expire and the job will be tried again; nothing is lost.
            log.exception("could not record the failure of job %s", run.id)

    async def _gave_up(self, run: JobRun, message: str) -> None:
        if run.kind not in self.give_up:
            return
        try:
            await self.give_up[run.kind](self.ctx, run, message)
        except Exception:
            log.exception("the give-up step of job %s (%s) failed", run.id, run.kind)

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

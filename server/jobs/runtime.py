"""The background side of a server process: the worker and its APScheduler ticks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from server.context import ServerContext
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker

log = logging.getLogger(__name__)

JOB_POLL_S = 1.0
# Jobs other processes queue wake this worker at once, then at most once per gap, so a burst
# of notifications costs at most ten claims a second (docs/BENCHMARKS.md weighs the gap).
HEARD_JOBS_GAP_S = 0.1
FOLLOW_UP_TICK_S = 30.0
HEARTBEAT_S = 15.0
SWEEP_S = 3600.0


class BackgroundRuntime:
    """Runs due jobs every second and as soon as they are queued (by this process; on
    PostgreSQL by any), due follow-ups every 30 s, and the worker heartbeat; several processes
    may run it on one database."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.worker = Worker(ctx, handlers(), give_up=give_up_handlers())
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._kick_task: asyncio.Task[None] | None = None
        self._pending_kick = False
        self._inbound: Any = None  # the IMAP channel, when LEADFLOW_IMAP_HOST is set
        self._inbound_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._listen_task: asyncio.Task[None] | None = None
        self._last_heard = -HEARD_JOBS_GAP_S
        self._heard_later: asyncio.TimerHandle | None = None

    def start(self) -> None:
        from server.ratelimit import sweep
        from server.workflow.follow_ups import queue_due_follow_ups

        async def follow_up_tick() -> None:
            async with self.ctx.db.session() as session:
                queued = await queue_due_follow_ups(session)
            if queued:
                await self.worker.tick()

        async def sweep_tick() -> None:
            async with self.ctx.db.session() as session:
                await sweep(session)

        options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
        self.scheduler.add_job(
            self._safe(self.worker.tick), "interval", seconds=JOB_POLL_S, id="jobs", **options
        )
        self.scheduler.add_job(
            self._safe(follow_up_tick),
            "interval",
            seconds=FOLLOW_UP_TICK_S,
            id="follow_ups",
            **options,
        )
        self.scheduler.add_job(
            self._safe(self.worker.heartbeat),
            "interval",
            seconds=HEARTBEAT_S,
            id="heartbeat",
            **options,
        )
        self.scheduler.add_job(
            self._safe(sweep_tick), "interval", seconds=SWEEP_S, id="sweep", **options
        )
        self.ctx.db.job_listeners.append(self.kick)
        storage = self.ctx.db.storage
        if storage.notifies_other_processes:
            self._listen_task = asyncio.get_running_loop().create_task(
                storage.listen_for_jobs(self._heard_jobs, self._stopping)
            )
        self.scheduler.start()
        if self.ctx.settings.inbound_enabled and self.ctx.settings.imap_host:
            from server.inbound.imap import ImapChannel

            self._inbound = ImapChannel(self.ctx)
            self._inbound_task = asyncio.get_running_loop().create_task(self._inbound.run())
        log.info("background worker %s started", self.worker.worker_id)

    def kick(self) -> None:
        """Run due jobs now (called after this process commits a new job)."""
        if self._kick_task is not None and not self._kick_task.done():
            self._pending_kick = True
            self.worker.wake()  # that tick may be busy with long jobs: it claims now
            return
        try:
            self._kick_task = asyncio.get_running_loop().create_task(self._kicked())
        except RuntimeError:
            pass  # no loop in this thread: the next poll picks the job up

    def _heard_jobs(self) -> None:
        """Another process queued jobs: run due jobs now, or at the end of the gap since the
        last such wake."""
        if self._heard_later is not None or self._stopping.is_set():
            return  # a wake is due already
        loop = asyncio.get_running_loop()
        wait = self._last_heard + HEARD_JOBS_GAP_S - loop.time()
        if wait > 0:
            self._heard_later = loop.call_later(wait, self._kick_heard)
        else:
            self._kick_heard()

    def _kick_heard(self) -> None:
        self._heard_later = None
        self._last_heard = asyncio.get_running_loop().time()
        self.kick()

    async def _kicked(self) -> None:
        while True:
            self._pending_kick = False
            await self._safe(self.worker.tick)()
            if not self._pending_kick:
                return

    def _safe(self, fn: Any) -> Any:
        async def run() -> None:
            try:
                await fn()
            except Exception:
                log.exception("background tick %s failed", getattr(fn, "__name__", fn))

        run.__name__ = getattr(fn, "__name__", "tick")
        return run

    async def stop(self) -> None:
        """Claim no more jobs, let the running ones finish, then stop the scheduler (whose
        shutdown would cancel a tick in the middle of its jobs; their leases cover a hard stop)."""
        if self.kick in self.ctx.db.job_listeners:
            self.ctx.db.job_listeners.remove(self.kick)
        self._stopping.set()
        if self._heard_later is not None:
            self._heard_later.cancel()
        if self._listen_task is not None:  # it may be waiting to reconnect: no need
            self._listen_task.cancel()
            await asyncio.gather(self._listen_task, return_exceptions=True)
        self.worker.stop_claiming()
        if self._inbound_task is not None:
            await self._inbound.stop()
            await asyncio.gather(self._inbound_task, return_exceptions=True)
        if self._kick_task is not None:
            await asyncio.gather(self._kick_task, return_exceptions=True)
        async with self.worker._lock:
            pass
        self.scheduler.shutdown(wait=False)

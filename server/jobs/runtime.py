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
FOLLOW_UP_TICK_S = 30.0
HEARTBEAT_S = 15.0
SWEEP_S = 3600.0


class BackgroundRuntime:
    """Runs due jobs every second (and at once when this process queues one), due follow-ups
    every 30 s, and the worker heartbeat; several processes may run it on one database."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.worker = Worker(ctx, handlers(), give_up=give_up_handlers())
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._kick_task: asyncio.Task[None] | None = None
        self._pending_kick = False
        self._inbound: Any = None  # the IMAP channel, when LEADFLOW_IMAP_HOST is set
        self._inbound_task: asyncio.Task[None] | None = None

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
        self.worker.stop_claiming()
        if self._inbound_task is not None:
            await self._inbound.stop()
            await asyncio.gather(self._inbound_task, return_exceptions=True)
        if self._kick_task is not None:
            await asyncio.gather(self._kick_task, return_exceptions=True)
        async with self.worker._lock:
            pass
        self.scheduler.shutdown(wait=False)

"""The job queue: retries with backoff, lease expiry after a dead worker, one run per job."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from server.context import build_context
from server.jobs import queue
from server.jobs.worker import JobError, JobRun, Worker
from server.models import Job
from server.models.base import utcnow
from tests.server.conftest import make_settings


async def _job(ctx, kind: str = "count") -> Job:
    async with ctx.db.session() as session:
        await queue.enqueue(session, kind, {"n": 1})
    async with ctx.db.session() as session:
        return (await session.execute(select(Job).where(Job.kind == kind))).scalar_one()


async def _make_due(ctx) -> None:
    async with ctx.db.session() as session:
        await session.execute(update(Job).where(Job.status == "queued").values(run_at=utcnow()))


async def test_failed_job_is_retried_with_growing_backoff_then_fails_for_good(ctx):
    calls = []

    async def flaky(_ctx, run: JobRun) -> None:
        calls.append(run.attempts)
        raise JobError("provider down")

    worker = Worker(ctx, {"count": flaky}, worker_id="w1")
    await _job(ctx)
    delays = []
    for _ in range(3):
        await worker.tick()
        async with ctx.db.session() as session:
            job = (await session.execute(select(Job))).scalar_one()
        delays.append((job.run_at - utcnow()).total_seconds())
        await _make_due(ctx)
    assert calls == [1, 2, 3]
    assert delays[0] < delays[1] < delays[2] and delays[0] > 0
    assert job.status == "queued" and job.last_error.endswith("provider down")
    async with ctx.db.session() as session:
        await session.execute(update(Job).values(max_attempts=4))
    await worker.tick()
    async with ctx.db.session() as session:
        job = (await session.execute(select(Job))).scalar_one()
    assert job.status == "failed" and calls == [1, 2, 3, 4]


async def test_job_max_attempts_setting_caps_the_retries(db_url, tmp_path):
    ctx = build_context(make_settings(db_url, tmp_path / "data", None, job_max_attempts=2))

    async def down(_ctx, _run) -> None:
        raise JobError("down")

    try:
        await _job(ctx)
        worker = Worker(ctx, {"count": down}, worker_id="w1")
        await worker.tick()
        await _make_due(ctx)
        await worker.tick()
        async with ctx.db.session() as session:
            job = (await session.execute(select(Job))).scalar_one()
        assert job.status == "failed" and job.attempts == 2
    finally:
        await ctx.db.dispose()


async def test_permanent_error_is_not_retried(ctx):
    async def broken(_ctx, _run) -> None:
        raise JobError("bad address", permanent=True)

    await _job(ctx)
    await Worker(ctx, {"count": broken}, worker_id="w1").tick()
    async with ctx.db.session() as session:
        job = (await session.execute(select(Job))).scalar_one()
    assert job.status == "failed" and job.attempts == 1


async def test_a_job_whose_worker_died_is_taken_again_after_its_lease(ctx):
    done = []

    async def work(_ctx, run: JobRun) -> None:
        done.append(run.worker_id)

    await _job(ctx)
    async with ctx.db.session() as session:  # worker "dead" claims the job, then vanishes
        claimed = await queue.claim(session, "dead", limit=5, lease_s=60)
    assert len(claimed) == 1
    survivor = Worker(ctx, {"count": work}, worker_id="alive")
    assert await survivor.tick() == 0  # the lease still holds
    async with ctx.db.session() as session:
        await session.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert await survivor.tick() == 1
    assert done == ["alive"]
    async with ctx.db.session() as session:
        job = (await session.execute(select(Job))).scalar_one()
    assert job.status == "done" and job.attempts == 2


async def test_late_finish_of_a_taken_over_job_is_ignored(ctx):
    await _job(ctx)
    async with ctx.db.session() as session:
        [job] = await queue.claim(session, "slow", limit=1, lease_s=60)
    async with ctx.db.session() as session:
        await session.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    async with ctx.db.session() as session:
        [_taken] = await queue.claim(session, "fast", limit=1, lease_s=60)
    async with ctx.db.session() as session:
        await queue.finish(
            session, job.id, "slow", job.attempts
        )  # the first worker wakes up too late
    async with ctx.db.session() as session:
        row = await session.get(Job, job.id)
    assert row.status == "running" and row.locked_by == "fast"


async def test_dedupe_key_adds_a_job_once(ctx):
    async with ctx.db.session() as session:
        await queue.enqueue(session, "count", {}, dedupe_key="k")
        await queue.enqueue(session, "count", {}, dedupe_key="k")
    async with ctx.db.session() as session:
        await queue.enqueue(session, "count", {}, dedupe_key="k")
        assert len((await session.execute(select(Job))).scalars().all()) == 1


async def test_two_worker_processes_on_postgresql_run_each_job_once(pg_url, tmp_path):
    """Two workers with their own engines (as two processes) drain one queue concurrently."""
    runs: list[tuple[str, str]] = []

    async def record(_ctx, run: JobRun) -> None:
        runs.append((run.worker_id, run.payload["i"]))
        await asyncio.sleep(0.002)

    contexts = [build_context(make_settings(pg_url, tmp_path / f"d{n}", None)) for n in range(2)]
    try:
        async with contexts[0].db.session() as session:
            for i in range(200):
                await queue.enqueue(session, "record", {"i": str(i)})
        workers = [Worker(c, {"record": record}, worker_id=f"w{n}") for n, c in enumerate(contexts)]
        await asyncio.gather(*(w.tick() for w in workers))
    finally:
        for c in contexts:
            await c.db.dispose()
    done = sorted(int(i) for _w, i in runs)
    assert done == list(range(200))
    assert {w for w, _i in runs} == {"w0", "w1"}


async def test_a_slow_job_does_not_hold_back_the_jobs_beside_it(ctx):
    """A free slot is refilled as soon as a job ends, not when the whole batch has ended."""
    ctx.settings.worker_concurrency = 2
    release = asyncio.Event()
    fast_done: list[int] = []

    async def slow(_ctx, _run: JobRun) -> None:
        await release.wait()

    async def fast(_ctx, run: JobRun) -> None:
        fast_done.append(run.payload["n"])

    worker = Worker(ctx, {"slow": slow, "fast": fast}, worker_id="w-slots")
    async with ctx.db.session() as session:
        await queue.enqueue(session, "slow", {"n": 0})
    async with ctx.db.session() as session:
        for n in range(6):
            await queue.enqueue(session, "fast", {"n": n})
    tick = asyncio.create_task(worker.tick())
    for _ in range(200):  # every fast job runs in the second slot while the slow one waits
        if len(fast_done) == 6:
            break
        await asyncio.sleep(0.02)
    assert sorted(fast_done) == list(range(6)) and not tick.done()
    release.set()
    assert await tick == 7
    async with ctx.db.session() as session:
        statuses = (await session.execute(select(Job.status))).scalars().all()
    assert statuses == ["done"] * 7


async def test_a_claim_failing_while_jobs_run_does_not_cancel_them(ctx, monkeypatch):
    """The database lost while a job runs (a restart): the worker's next claim fails, and the
    running handler goes on to its end (a mail sender records its mail once the database is
    back) instead of being cancelled half-way, its result dropped and the job run again."""
    ctx.settings.worker_concurrency = 2
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[int] = []
    failed_claims = 0
    real_claim = queue.claim

    async def step(_ctx, run: JobRun) -> None:
        started.set()
        await release.wait()
        finished.append(run.payload["n"])

    async def claim(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal failed_claims
        if started.is_set() and not release.is_set():
            failed_claims += 1
            raise OperationalError("UPDATE jobs", {}, ConnectionRefusedError(111, "refused"))
        return await real_claim(session, *args, **kwargs)

    monkeypatch.setattr(queue, "claim", claim)
    worker = Worker(ctx, {"step": step}, worker_id="w-outage")
    async with ctx.db.session() as session:
        await queue.enqueue(session, "step", {"n": 7})
    tick = asyncio.create_task(worker.tick())
    await asyncio.wait_for(started.wait(), 10)
    for _ in range(500):  # the next poll (a second away) fails to claim
        if failed_claims:
            break
        await asyncio.sleep(0.01)
    assert failed_claims and not tick.done()
    release.set()
    assert await asyncio.wait_for(tick, 10) == 1
    assert finished == [7]
    async with ctx.db.session() as session:
        statuses = (await session.execute(select(Job.status))).scalars().all()
    assert statuses == ["done"]


async def test_a_stopping_worker_finishes_running_jobs_and_claims_no_more(ctx):
    ctx.settings.worker_concurrency = 1
    started = asyncio.Event()
    release = asyncio.Event()
    ran: list[int] = []

    async def step(_ctx, run: JobRun) -> None:
        ran.append(run.payload["n"])
        started.set()
        await release.wait()

    worker = Worker(ctx, {"step": step}, worker_id="w-stop")
    async with ctx.db.session() as session:
        for n in range(3):
            await queue.enqueue(session, "step", {"n": n})
    tick = asyncio.create_task(worker.tick())
    await asyncio.wait_for(started.wait(), 10)
    worker.stop_claiming()
    release.set()
    assert await tick == 1 and len(ran) == 1
    async with ctx.db.session() as session:
        statuses = sorted((await session.execute(select(Job.status))).scalars().all())
    assert statuses == ["done", "queued", "queued"]


async def test_a_job_queued_while_another_runs_starts_at_once_in_a_free_slot(ctx, monkeypatch):
    """Committing a job wakes this process's busy worker: it does not wait for the running job
    to end, nor for the next poll (pushed out of the test's reach here)."""
    from server.jobs import runtime as runtime_module
    from server.jobs.runtime import BackgroundRuntime

    monkeypatch.setattr(runtime_module, "JOB_POLL_S", 60)

    release = asyncio.Event()
    started: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    async def slow(_ctx, _run: JobRun) -> None:
        started["slow"] = loop.time()
        await release.wait()

    async def fast(_ctx, _run: JobRun) -> None:
        started["fast"] = loop.time()

    runtime = BackgroundRuntime(ctx)
    runtime.worker = Worker(ctx, {"slow": slow, "fast": fast}, worker_id="w-wake")
    runtime.start()
    try:
        async with ctx.db.session() as session:
            await queue.enqueue(session, "slow", {})
        for _ in range(200):
            if "slow" in started:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # the worker is now waiting on its running job
        async with ctx.db.session() as session:
            await queue.enqueue(session, "fast", {})
        for _ in range(1000):
            if "fast" in started:
                break
            await asyncio.sleep(0.01)
        assert "fast" in started, "the queued job waited for the running one or the next poll"
        assert not release.is_set()
    finally:
        release.set()
        await runtime.stop()


async def test_jobs_waiting_on_an_outside_call_do_not_hold_the_slots(ctx):
    """Ten jobs that each wait 1 s on "the AI" run side by side on two slots, while no more
    than two are ever inside their database work at once."""
    ctx.settings.worker_concurrency = 2
    inside = 0
    most_inside = 0

    async def database_work() -> None:
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        await asyncio.sleep(0.01)
        inside -= 1

    async def analyse(_ctx, run: JobRun) -> None:
        await database_work()
        async with run.waiting():
            await asyncio.sleep(1.0)
        await database_work()

    async with ctx.db.session() as session:
        for n in range(10):
            await queue.enqueue(session, "analyse", {"n": n})
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await Worker(ctx, {"analyse": analyse}, worker_id="w-wait").tick() == 10
    elapsed = loop.time() - started
    assert elapsed < 3.0  # holding its slot while waiting, this would take 5 s
    assert most_inside <= 2
    async with ctx.db.session() as session:
        statuses = (await session.execute(select(Job.status))).scalars().all()
    assert statuses == ["done"] * 10


async def test_a_burst_of_hanging_calls_never_takes_the_slots_other_jobs_need(ctx):
    """Twenty jobs whose outside call hangs, on two slots and two call places: at most two
    calls at once, the others wait for a place without a slot (or stay queued), and a mail
    job queued behind them runs at once."""
    ctx.settings.worker_concurrency = 2
    ctx.settings.ai_concurrency = 2
    hang = asyncio.Event()
    in_call = 0
    most_in_call = 0
    mailed = asyncio.Event()

    async def analyse(_ctx, run: JobRun) -> None:
        nonlocal in_call, most_in_call
        async with run.waiting():
            in_call += 1
            most_in_call = max(most_in_call, in_call)
            await hang.wait()
            in_call -= 1

    async def mail(_ctx, run: JobRun) -> None:
        mailed.set()

    async with ctx.db.session() as session:
        for n in range(20):
            await queue.enqueue(session, "analyse", {"n": n})
    worker = Worker(ctx, {"analyse": analyse, "mail": mail}, worker_id="w-hang")
    tick = asyncio.create_task(worker.tick())
    try:
        for _ in range(500):
            if in_call == 2:
                break
            await asyncio.sleep(0.01)
        assert in_call == 2
        async with ctx.db.session() as session:
            await queue.enqueue(session, "mail", {})
        worker.wake()
        await asyncio.wait_for(mailed.wait(), 10)  # the hanging calls hold no slot
        assert most_in_call == 2
        async with ctx.db.session() as session:
            waiting = select(Job).where(Job.kind == "analyse", Job.status == "queued")
            queued = (await session.execute(waiting)).scalars().all()
        assert len(queued) >= 20 - 2 - 2  # no more claimed than two calls and two slots hold
    finally:
        hang.set()
    assert await asyncio.wait_for(tick, 30) >= 21
    async with ctx.db.session() as session:
        statuses = (await session.execute(select(Job.status))).scalars().all()
    assert statuses == ["done"] * 21

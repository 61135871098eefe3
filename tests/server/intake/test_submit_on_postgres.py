"""PostgreSQL: a new lead is one statement on a connection in autocommit (no BEGIN/COMMIT).

The statement commits by itself, so what holds for the transaction must hold for it: the lead
and all of its rows are committed before the 202, a double click stores one lead and counts
one submission, the sync counter orders the business's commits, and this process's worker and
event listeners hear of the commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import make_url

from server import ratelimit
from server.config import Settings
from server.context import build_context
from server.intake.statements import INTAKE
from server.jobs import queue
from server.jobs import runtime as runtime_module
from server.jobs import worker as worker_module
from server.jobs.runtime import BackgroundRuntime
from server.jobs.worker import JobRun, Worker
from server.models.base import utcnow
from server.models.lead import Lead, Message, Submission
from server.models.ops import Job
from server.models.sync import SyncCounter
from server.models.user import RateLimitHit
from server.storage import JOBS_CHANNEL
from server.sync.events import Listener
from server.sync_versions import PG_CHANNEL
from tests.server.conftest import make_settings
from tests.server.factories import submit
from tests.server.intake.probes import announcements, new_email, row_count
from tests.server.support import SmtpSink


@pytest.fixture
def driver() -> str:
    return "asyncpg"


@pytest.fixture
def settings(pg_url: str, driver: str, tmp_path: Path, smtp: SmtpSink) -> Settings:
    url = str(make_url(pg_url).set(drivername=f"postgresql+{driver}"))
    return make_settings(url, tmp_path / "data", smtp)


async def test_a_new_lead_and_all_its_rows_are_committed_before_the_202(ctx, client, tenant):
    published, woken = announcements(ctx)
    response = await submit(client, tenant.slug, customer_email=new_email())
    assert response.status_code == 202
    # Read on another connection from the pool: committed, not merely written.
    async with ctx.db.session() as session:
        lead = (await session.execute(select(Lead))).scalar_one()
        message = (await session.execute(select(Message).where(Message.lead_id == lead.id))).one()
        head = await session.get(SyncCounter, lead.business_id)
        jobs = list((await session.execute(select(Job.kind))).scalars())
    assert message[0].version == lead.version + 1
    assert head is not None and head.version == message[0].version
    assert "process_lead" in jobs
    assert await row_count(ctx, Submission) == 1
    assert await row_count(ctx, RateLimitHit) == 2  # per address and per form
    assert published == [{lead.business_id: head.version}]
    assert woken == [True]


@pytest.mark.parametrize("driver", ["psycopg"])
async def test_through_another_driver_a_new_lead_is_stored_the_same_way(ctx, app, client, tenant):
    """The storage speaks SQLAlchemy, not a driver: through psycopg a submit stores the same
    rows and announcements (not a 500), and the ``/events`` hub still hears of it from
    PostgreSQL."""
    published, woken = announcements(ctx)
    heard = app.state.events.subscribe(uuid.UUID(tenant.id), 0)
    await _until_listening(ctx)
    response = await submit(client, tenant.slug, customer_email=new_email())
    assert response.status_code == 202
    async with ctx.db.session() as session:
        lead = (await session.execute(select(Lead))).scalar_one()
        head = await session.get(SyncCounter, lead.business_id)
    assert head is not None and head.version == lead.version + 1
    # The tenant's setup may still be heard first (its last commit notifies too).
    version = await asyncio.wait_for(_heard_up_to(heard, head.version), timeout=5)
    assert version == head.version
    assert await row_count(ctx, Message) == 1
    assert await row_count(ctx, Submission) == 1
    assert published == [{lead.business_id: head.version}]
    assert woken == [True]


async def test_a_double_click_racing_on_the_counter_stores_one_lead_and_counts_once(
    ctx, client, tenant
):
    """Both requests pass the intake query while the counter is locked, then race: the second
    inserts nothing, answers 202, and leaves no rate-limit hit behind."""
    email, submission_id = new_email(), str(uuid.uuid4())
    business_id = uuid.UUID(tenant.id)
    async with ctx.db.session() as blocker:
        await blocker.execute(
            select(SyncCounter).where(SyncCounter.business_id == business_id).with_for_update()
        )
        racing = [
            asyncio.create_task(
                submit(client, tenant.slug, customer_email=email, submission_id=submission_id)
            )
            for _ in range(2)
        ]
        other = asyncio.create_task(submit(client, tenant.slug, customer_email=new_email()))
        await _until_waiting_on_locks(ctx, 3)
        assert not any(task.done() for task in (*racing, other))
    responses = await asyncio.gather(*racing, other)
    assert [r.status_code for r in responses] == [202, 202, 202]
    assert await row_count(ctx, Lead) == 2
    assert await row_count(ctx, Submission) == 2
    assert await row_count(ctx, RateLimitHit) == 4  # two per stored submission, none for the repeat


async def _heard_up_to(heard: Listener, version: int) -> int:
    """The first version heard that is at least ``version``."""
    while heard.version < version:
        await heard.wait(heard.version, 5)
    return heard.version


async def _until_listening(ctx, channel: str = PG_CHANNEL) -> None:  # type: ignore[no-untyped-def]
    """Wait until a connection has run its ``LISTEN`` on ``channel`` (by default the
    ``/events`` hub's)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE query = :listen AND datname = current_database()"
    )
    for _ in range(500):
        async with ctx.db.read_session() as session:
            if int((await session.execute(query, {"listen": f'LISTEN "{channel}"'})).scalar_one()):
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no connection listened on {channel}")


async def test_a_worker_in_another_process_claims_new_jobs_at_their_commit(
    ctx, client, tenant, settings, monkeypatch
):
    """The jobs of a new lead (its one statement) and of an ORM transaction wake the worker of
    another process at once, not at its next poll (pushed out of the test's reach); its own
    process's jobs wake it once, in the process, not a second time through the database."""
    monkeypatch.setattr(runtime_module, "JOB_POLL_S", 60)
    monkeypatch.setattr(worker_module, "POLL_S", 60)
    async with ctx.db.session() as session:  # what onboarding queued is not this test's
        await session.execute(update(Job).values(status="done"))
    ran: list[str] = []

    async def record(_ctx, run: JobRun) -> None:  # type: ignore[no-untyped-def]
        ran.append(run.kind)

    other = build_context(settings)  # another process: its own pool and origin
    runtime = BackgroundRuntime(other)
    runtime.worker = Worker(other, {"process_lead": record, "ping": record}, worker_id="other")
    kicks: list[str] = []
    kick = runtime.kick
    runtime.kick = lambda: (kicks.append("kick"), kick())[1]  # type: ignore[method-assign]
    runtime.start()
    try:
        await _until_listening(ctx, JOBS_CHANNEL)
        assert (await submit(client, tenant.slug, customer_email=new_email())).status_code == 202
        await _until(lambda: ran == ["process_lead"])
        async with ctx.db.session() as session:
            await queue.enqueue(session, "ping", {})
        await _until(lambda: ran == ["process_lead", "ping"])

        kicks.clear()
        async with other.db.session() as session:
            await queue.enqueue(session, "ping", {})
        await _until(lambda: len(ran) == 3)
        await asyncio.sleep(runtime_module.HEARD_JOBS_GAP_S + 0.3)  # a late second wake
        assert kicks == ["kick"]
    finally:
        await runtime.stop()
        await other.db.dispose()


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the jobs waited for a poll"
        await asyncio.sleep(0.01)


async def _until_waiting_on_locks(ctx, count: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``count`` backends wait for a lock (the submits queued on the counter)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    for _ in range(500):
        async with ctx.db.read_session() as session:
            if int((await session.execute(query)).scalar_one()) >= count:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} submits waited on the counter")


async def test_rate_limit_hits_are_counted_through_the_index(ctx, tenant):
    """PostgreSQL runs prepared queries with a generic plan (parameters unknown). For the
    rate-limit windows (the intake query's two, and the sign-in limit's) that plan must walk
    the ``(key, at)`` index, not read every hit of the last day: on a busy form (here two keys
    and thousands of hits, as in the bench) a sequential scan made every submit slower than
    the last."""
    now = utcnow()
    keys = ["intake:ip:203.0.113.9", f"intake:form:{tenant.slug}"]
    hits = [
        {"id": uuid.uuid4(), "key": key, "at": now - timedelta(seconds=n % 600)}
        for n in range(4000)
        for key in keys
    ]
    async with ctx.db.session() as session:
        await session.execute(insert(RateLimitHit), hits)
    since = now - timedelta(seconds=60)
    intake_values = {
        "slug": tenant.slug,
        "ip_key": keys[0],
        "ip_since": since,
        "ip_limit": 20,
        "form_key": keys[1],
        "form_since": since,
        "form_limit": 300,
        "email": None,
        "phone": None,
        "submission_id": uuid.uuid4(),
    }
    login_values = {"key": keys[0], "since": since, "limit": 20}
    async with ctx.db.engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE rate_limit_hits")
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        for name, statement, values, windows in (
            ("intake", INTAKE, intake_values, 2),
            ("login", ratelimit.COUNT_HITS, login_values, 1),
        ):
            compiled = statement.compile(dialect=ctx.db.engine.dialect)
            await conn.exec_driver_sql(f"PREPARE {name} AS {compiled.string}")
            given = compiled.construct_params(values)
            arguments = ", ".join(_sql_literal(given[n]) for n in compiled.positiontup or ())
            explained = await conn.exec_driver_sql(f"EXPLAIN EXECUTE {name}({arguments})")
            plan = "\n".join(row[0] for row in explained)
            assert "Seq Scan on rate_limit_hits" not in plan, plan
            assert plan.count("ix_rate_limit_hits_key_at") == windows, plan


def _sql_literal(value: object) -> str:
    """A test's parameter value written into SQL (the values here are our own)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(value).lower()
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return "'" + str(value).replace("'", "''") + "'"

"""Leases: a running handler keeps its job, a job runs out of attempts even when its workers die,
and a mail is sent once however its delivery job changes hands."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from server.jobs import queue
from server.jobs.worker import JobRun, Worker
from server.mail.service import DELIVER_EMAIL, deliver_email
from server.models.ops import EmailEvent, Job
from server.workflow.pipeline import PROCESS_LEAD
from tests.server.factories import submit
from tests.server.foundation.test_mail import _queue
from tests.server.intake import ai_stand_in as stand_in
from tests.server.intake.probes import (
    expire_leases,
    jobs,
    make_jobs_due,
    messages,
    named_worker,
    new_email,
    only_lead_id,
    subjects,
    types_of,
)

REPLY = "Re: Your request — Sparkle Cleaning"  # no service of the business was named


# A 3 s lease renewed every second: a busy CI machine can stall the loop for a second, not three.
@pytest.mark.settings(openai=True, ai_timeout_s=15.0, job_lease_s=3)
async def test_a_handler_slower_than_its_lease_keeps_its_job_and_the_lead_is_analysed_once(
    ctx, client, tenant, smtp, ai
):
    """The reproduction: a short lease, two workers, an AI that keeps the response open."""
    ai.script, ai.delay_s = [stand_in.SLOW], 7.0
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    first = asyncio.create_task(named_worker(ctx, "worker-a").tick())
    second = named_worker(ctx, "worker-b")
    while not first.done():  # the other worker keeps looking for jobs whose lease expired
        await second.tick()
        await asyncio.sleep(0.2)
    await first
    await second.tick()

    assert ai.calls == 1
    [job] = await jobs(ctx, PROCESS_LEAD)
    assert job.status == "done" and job.attempts == 1
    assert subjects(smtp, email) == [REPLY]
    thread = await messages(client, tenant, await only_lead_id(ctx))
    assert types_of(thread).count("ai_draft") == 1 and types_of(thread).count("auto_reply") == 1


async def test_a_job_whose_lease_expires_on_its_last_attempt_is_dead_and_shown_to_the_admin(
    ctx, client, admin
):
    ran: list[int] = []

    async def count(_ctx, run: JobRun) -> None:
        ran.append(run.attempts)

    async with ctx.db.session() as session:
        await queue.enqueue(session, "count", {}, max_attempts=2)
    for gone in ("gone-1", "gone-2"):  # two workers die in turn while running it
        async with ctx.db.session() as session:
            assert len(await queue.claim(session, gone, limit=5, lease_s=60)) == 1
        await expire_leases(ctx)
    assert await Worker(ctx, {"count": count}, worker_id="alive").tick() == 0

    assert ran == []
    async with ctx.db.session() as session:
        job = (await session.execute(select(Job))).scalar_one()
    assert job.status == "failed" and job.attempts == 2 and job.locked_until is None
    assert "lease expired" in job.last_error
    health = (await client.get("/api/v1/admin/settings", headers=admin)).json()["queue"]
    assert health["failed"] == 1
    [dead] = health["dead"]
    assert (
        dead["kind"] == "count" and dead["attempts"] == 2 and "lease expired" in dead["last_error"]
    )


async def test_a_mail_whose_delivery_job_dies_on_its_last_attempt_is_failed(ctx, smtp):
    event = await _queue(ctx)
    async with ctx.db.session() as session:
        await session.execute(update(Job).values(max_attempts=1))
        assert len(await queue.claim(session, "gone", limit=5, lease_s=60)) == 1
    await expire_leases(ctx)
    await named_worker(ctx, "alive").tick()
    async with ctx.db.session() as session:
        row = await session.get(EmailEvent, event.id)
    assert row.status == "failed" and "worker stopped" in row.error
    assert smtp.messages == []


async def test_two_workers_racing_on_an_expired_lease_send_one_mail(ctx, smtp):
    """Worker A stalls inside the SMTP conversation past its lease; worker B takes the job over
    and must not send the mail A is sending; the job ends done with one mail delivered."""
    event = await _queue(ctx)
    smtp.delay_s = 1.5
    async with ctx.db.session() as session:
        [claimed] = await queue.claim(session, "worker-a", limit=1, lease_s=60)
    stalled = JobRun(
        claimed.id,
        claimed.kind,
        claimed.payload,
        claimed.attempts,
        claimed.max_attempts,
        "worker-a",
    )
    sending = asyncio.create_task(deliver_email(ctx, stalled))  # no heartbeat: A is stalled
    for _ in range(100):
        async with ctx.db.session() as session:
            if (await session.get(EmailEvent, event.id)).sending_until is not None:
                break
        await asyncio.sleep(0.02)
    await expire_leases(ctx)
    taker = named_worker(ctx, "worker-b")
    await taker.tick()  # claims the job (attempt 2) while A is still in the conversation
    await sending
    await make_jobs_due(ctx, DELIVER_EMAIL)
    await taker.tick()

    assert len(smtp.to("casey@example.net")) == 1
    async with ctx.db.session() as session:
        row = await session.get(EmailEvent, event.id)
        job = (await session.execute(select(Job))).scalar_one()
    assert row.status == "sent" and row.attempts == 1 and row.sending_until is None
    assert job.status == "done" and job.locked_by == "worker-b"

"""Mail and worker failures: an SMTP outage that recovers, one that does not, and a worker that
dies or stalls in the middle of a job. Every lead is answered exactly once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from server.mail import service as mail_service
from server.mail.service import DELIVER_EMAIL
from server.models.ops import Job
from server.workflow.pipeline import PROCESS_LEAD
from tests.server.factories import submit
from tests.server.intake import ai_stand_in as stand_in
from tests.server.intake.probes import (
    detail,
    email_events,
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

REPLY = "Re: Your request — Sparkle Cleaning"


async def test_mail_waits_out_an_smtp_outage_and_is_delivered_once(
    ctx, client, tenant, smtp, worker
):
    email = new_email()
    smtp.fail_with = 421
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()

    assert smtp.messages == []
    [reply] = await email_events(ctx, kind="auto_reply")
    assert reply.status == "queued" and "421" in str(reply.error)
    waiting = [j for j in await jobs(ctx, DELIVER_EMAIL) if j.status == "queued"]
    assert len(waiting) == 2 and all(j.attempts == 1 for j in waiting)  # reply and alert

    smtp.fail_with = None
    await make_jobs_due(ctx, DELIVER_EMAIL)
    await worker.tick()
    await worker.tick()  # nothing is left to deliver twice
    assert subjects(smtp, email) == [REPLY]
    assert len(smtp.to(tenant.business["contact_email"])) == 1
    [reply] = await email_events(ctx, kind="auto_reply")
    assert reply.status == "sent" and reply.error is None and reply.attempts == 2
    assert reply.provider == "smtp" and reply.sent_at is not None
    thread = await messages(client, tenant, await only_lead_id(ctx))
    assert next(m for m in thread if m["type"] == "auto_reply")["email_status"] == "sent"


@pytest.mark.parametrize(("code", "attempts"), [(421, 3), (550, 1)])
async def test_mail_that_cannot_be_delivered_ends_failed_with_its_error(
    ctx, client, tenant, smtp, worker, monkeypatch, code, attempts
):
    smtp.fail_with = code
    await submit(client, tenant.slug)
    await worker.tick()  # the first attempt; a temporary failure waits for its backoff
    async with ctx.db.session() as session:
        # A short limit on the mail jobs only (the other jobs keep theirs).
        await session.execute(update(Job).where(Job.kind == DELIVER_EMAIL).values(max_attempts=3))
    monkeypatch.setattr(mail_service, "retry_after_s", lambda attempts, first_s: 0.0)
    await make_jobs_due(ctx, DELIVER_EMAIL)
    await worker.tick()

    events = [e for e in await email_events(ctx) if e.lead_id is not None]
    assert {e.kind for e in events} == {"auto_reply", "owner_alert"}
    for event in events:
        assert event.status == "failed" and str(code) in str(event.error)
    failed = [j for j in await jobs(ctx, DELIVER_EMAIL) if j.status == "failed"]
    assert len(failed) == 2 and {j.attempts for j in failed} == {attempts}
    thread = await messages(client, tenant, await only_lead_id(ctx))
    assert next(m for m in thread if m["type"] == "auto_reply")["email_status"] == "failed"
    smtp.fail_with = None
    await make_jobs_due(ctx)
    await worker.tick()
    assert smtp.messages == []  # a failed mail is not retried behind the owner's back


async def _wait_for_ai_call(ai: stand_in.AIStandIn, count: int = 1) -> None:
    for _ in range(200):
        if ai.calls >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the worker never called the AI")


@pytest.mark.settings(openai=True, ai_timeout_s=10.0, job_lease_s=1)
async def test_a_job_whose_worker_died_is_finished_by_another_worker_once(
    ctx, client, tenant, smtp, ai
):
    ai.script, ai.delay_s = [stand_in.SLOW], 5.0
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    doomed = asyncio.create_task(named_worker(ctx, "worker-a").tick())
    await _wait_for_ai_call(ai)
    doomed.cancel()  # the process dies while the AI is thinking
    await asyncio.gather(doomed, return_exceptions=True)

    survivor = named_worker(ctx, "worker-b")
    assert await survivor.tick() == 0  # the dead worker's lease still holds the job
    await expire_leases(ctx)
    await survivor.tick()

    [job] = await jobs(ctx, PROCESS_LEAD)
    assert job.status == "done" and job.locked_by == "worker-b" and job.attempts == 2
    assert subjects(smtp, email) == [REPLY]
    lead = await detail(client, tenant, await only_lead_id(ctx))
    assert lead["auto_sent"] is True


@pytest.mark.settings(openai=True, ai_timeout_s=10.0, job_lease_s=1)
async def test_a_stalled_worker_that_lost_its_lease_sends_nothing(ctx, client, tenant, smtp, ai):
    ai.script, ai.delay_s = [stand_in.SLOW], 1.0
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    stalled = asyncio.create_task(named_worker(ctx, "worker-a").tick())
    await _wait_for_ai_call(ai)
    await expire_leases(ctx)
    await named_worker(ctx, "worker-b").tick()  # takes the job over and answers the lead
    await stalled  # the stalled worker wakes up with an answer of its own

    assert subjects(smtp, email) == [REPLY]
    assert len(smtp.to(tenant.business["contact_email"])) == 1
    thread = await messages(client, tenant, await only_lead_id(ctx))
    assert types_of(thread).count("ai_draft") == 1
    assert types_of(thread).count("auto_reply") == 1

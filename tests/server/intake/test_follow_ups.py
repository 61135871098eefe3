"""Automatic follow-ups: scheduled after the first answer, sent once by several workers,
canceled by what the owner does."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.models.base import utcnow
from server.models.lead import FollowUp
from server.workflow.follow_ups import queue_due_follow_ups
from tests.server.factories import submit
from tests.server.intake.probes import email_events, new_email, only_lead_id, subjects

FOLLOW_UP = "Following up on your request — Sparkle Cleaning"


async def _follow_ups(client, tenant) -> list[dict]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/owner/follow-ups", headers=tenant.owner_headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def _make_due(ctx) -> None:  # type: ignore[no-untyped-def]
    async with ctx.db.session() as session:  # through the ORM, so sync versions move
        for follow_up in (await session.execute(select(FollowUp))).scalars():
            follow_up.scheduled_at = utcnow() - timedelta(minutes=1)


async def _scheduler_runs(ctx, *workers: Worker) -> None:  # type: ignore[no-untyped-def]
    """Every process's scheduler queues the due follow-ups, then every worker runs jobs."""
    for _ in workers:
        async with ctx.db.session() as session:
            await queue_due_follow_ups(session)
    await asyncio.gather(*(w.tick() for w in workers))


def _workers(ctx) -> tuple[Worker, Worker]:  # type: ignore[no-untyped-def]
    return (
        Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="worker-a"),
        Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="worker-b"),
    )


async def test_a_follow_up_is_scheduled_after_the_configured_delay(ctx, client, tenant, worker):
    before = utcnow()
    await submit(client, tenant.slug)
    await worker.tick()
    [follow_up] = await _follow_ups(client, tenant)
    assert follow_up["lead_id"] == await only_lead_id(ctx)
    assert follow_up["status"] == "scheduled"
    at = datetime.fromisoformat(follow_up["scheduled_at"])
    assert before + timedelta(hours=24) <= at <= utcnow() + timedelta(hours=24)


async def test_a_lead_without_email_gets_no_follow_up(ctx, client, tenant, worker):
    await submit(client, tenant.slug, customer_email=None, customer_phone="+1 202 555 0111")
    await worker.tick()
    assert await _follow_ups(client, tenant) == []


@pytest.mark.settings(follow_up_delay_h=0)
async def test_a_due_follow_up_is_sent_exactly_once_by_two_workers(ctx, client, tenant, smtp):
    first, second = _workers(ctx)
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await first.tick()
    await _scheduler_runs(ctx, first, second)
    await _scheduler_runs(ctx, second, first)  # later ticks find nothing more to do

    assert subjects(smtp, email).count(FOLLOW_UP) == 1
    assert len(await email_events(ctx, kind="follow_up")) == 1
    [follow_up] = await _follow_ups(client, tenant)
    assert follow_up["status"] == "sent"


async def test_an_owner_reply_cancels_the_follow_up(ctx, client, tenant, smtp, worker):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    lead_id = await only_lead_id(ctx)
    reply = await client.post(
        f"/api/v1/owner/leads/{lead_id}/messages",
        json={"content": "Hi Casey, Tuesday works for us."},
        headers=tenant.owner_headers,
    )
    assert reply.status_code == 201, reply.text
    [follow_up] = await _follow_ups(client, tenant)
    assert follow_up["status"] == "canceled"
    await _make_due(ctx)
    await _scheduler_runs(ctx, worker)
    assert FOLLOW_UP not in subjects(smtp, email)


@pytest.mark.parametrize("status", ["booked", "lost", "archived", "spam"])
async def test_a_closing_status_cancels_the_follow_up(ctx, client, tenant, smtp, worker, status):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    response = await client.patch(
        f"/api/v1/owner/leads/{await only_lead_id(ctx)}",
        json={"status": status},
        headers=tenant.owner_headers,
    )
    assert response.status_code == 200
    [follow_up] = await _follow_ups(client, tenant)
    assert follow_up["status"] == "canceled"
    await _make_due(ctx)
    await _scheduler_runs(ctx, worker)
    assert FOLLOW_UP not in subjects(smtp, email)


@pytest.mark.settings(follow_up_delay_h=0)
async def test_an_owner_reply_wins_over_a_follow_up_job_already_queued(
    ctx, client, tenant, smtp, worker
):
    email = new_email()
    await submit(client, tenant.slug, customer_email=email)
    await worker.tick()
    async with ctx.db.session() as session:
        assert await queue_due_follow_ups(session) == 1  # the job is waiting for a worker
    reply = await client.post(
        f"/api/v1/owner/leads/{await only_lead_id(ctx)}/messages",
        json={"content": "Hi Casey, see you soon."},
        headers=tenant.owner_headers,
    )
    assert reply.status_code == 201
    await worker.tick()
    assert FOLLOW_UP not in subjects(smtp, email)
    assert subjects(smtp, email)[-1] == "Re: Your request — Sparkle Cleaning"

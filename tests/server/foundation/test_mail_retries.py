"""Mail retries like an MTA (CONTRACT §9): 4xx waits and tries again, 5xx fails at once, and a
temporary failure is retried for 24 hours of the clock before the mail is failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.jobs import queue
from server.jobs import worker as worker_module
from server.mail import service as mail_service
from server.models import EmailEvent, Job
from tests.server.foundation.test_mail import _queue


class Clock:
    """The time every queue and mail decision reads, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in (queue, worker_module, mail_service):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


async def _state(ctx, event_id):  # type: ignore[no-untyped-def]
    async with ctx.db.session() as session:
        event = await session.get(EmailEvent, event_id)
        job = (await session.execute(select(Job))).scalar_one()
    return event, job


async def _retry_until(ctx, worker, clock, event_id, until: datetime) -> int:  # type: ignore[no-untyped-def]
    """Move the clock to each retry and run it, while the clock is before ``until``."""
    tries = 0
    while True:
        _event, job = await _state(ctx, event_id)
        if job.status != "queued" or job.run_at >= until:
            return tries
        clock.now = job.run_at
        await worker.tick()
        tries += 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
async def test_a_450_answer_is_retried_and_the_next_250_delivers_the_mail_once(
    ctx, smtp, worker, clock, stage
):
    answers = smtp.rcpt_answers if stage == "rcpt" else smtp.data_answers
    answers.extend([450, 250])
    event = await _queue(ctx)
    await worker.tick()
    event_row, job = await _state(ctx, event.id)
    assert event_row.status == "queued" and "450" in event_row.error
    assert job.status == "queued" and job.run_at == clock.now + timedelta(minutes=1)
    assert smtp.messages == []

    clock.now += timedelta(minutes=1)
    await worker.tick()
    await worker.tick()
    event_row, job = await _state(ctx, event.id)
    assert event_row.status == "sent" and event_row.attempts == 2 and job.status == "done"
    assert len(smtp.to("casey@example.net")) == 1


async def test_a_550_answer_to_rcpt_fails_the_mail_at_once(ctx, smtp, worker, clock):
    smtp.rcpt_answers.append(550)
    event = await _queue(ctx)
    await worker.tick()
    event_row, job = await _state(ctx, event.id)
    assert event_row.status == "failed" and "550" in event_row.error
    assert job.status == "failed" and job.attempts == 1


async def test_mail_queued_through_an_hour_long_outage_is_delivered_once_after_it(
    ctx, smtp, worker, clock
):
    smtp.fail_with = 421
    start = clock.now
    event = await _queue(ctx)
    await worker.tick()
    tries = 1 + await _retry_until(ctx, worker, clock, event.id, start + timedelta(hours=1))
    event_row, job = await _state(ctx, event.id)
    assert event_row.status == "queued" and job.status == "queued"
    assert 4 <= tries <= 8  # backing off: 1, 2, 4, 8, 16, 32 min
    assert smtp.messages == []

    smtp.fail_with = None
    clock.now = job.run_at
    await worker.tick()
    clock.now += timedelta(hours=2)
    await worker.tick()
    event_row, job = await _state(ctx, event.id)
    assert event_row.status == "sent" and job.status == "done"
    assert job.run_at - start < timedelta(hours=2)  # the retry after the outage came within 1 h
    assert len(smtp.to("casey@example.net")) == 1


async def test_mail_is_failed_with_its_reason_after_24_hours_of_temporary_failures(
    ctx, smtp, worker, clock
):
    smtp.fail_with = 451
    start = clock.now
    event = await _queue(ctx)
    await worker.tick()
    await _retry_until(ctx, worker, clock, event.id, start + timedelta(days=3))
    event_row, job = await _state(ctx, event.id)
    assert event_row.status == "failed" and job.status == "failed"
    assert event_row.error.startswith("gave up after 24 hours") and "451" in event_row.error
    assert timedelta(hours=24) <= clock.now - start < timedelta(hours=25)
    assert smtp.messages == []

"""A lead's mails to one recipient reach it in the order they were queued, through an SMTP
outage too: a later mail waits while an earlier one is still queued (its attempt not counted),
and goes as soon as the earlier one is sent or has failed for good. Owner alerts, to another
recipient, do not wait for customer mail."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from server.jobs import queue
from server.jobs import worker as worker_module
from server.mail import service as mail_service
from server.models import Business, EmailEvent, Job, Lead
from shared.models.enums import EmailKind
from tests.server.foundation.test_mail import _queue
from tests.server.foundation.test_mail_retries import Clock

CUSTOMERS = ("ann@customers.example", "bob@customers.example")
OWNER = "desk@acme.example"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in (queue, worker_module, mail_service):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


async def _leads(ctx, clock) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:  # type: ignore[no-untyped-def]
    async with ctx.db.session() as session:
        business = Business(name="Acme", slug="acme", contact_email=OWNER)
        session.add(business)
        await session.flush()
        leads = {
            email: Lead(
                business_id=business.id,
                submission_id=uuid.uuid4(),
                customer_name=email.split("@")[0],
                customer_email=email,
                last_activity_at=clock.now,
            )
            for email in CUSTOMERS
        }
        session.add_all(leads.values())
    return business.id, {email: lead.id for email, lead in leads.items()}


async def _mail(ctx, clock, business_id, lead_id, to, kind):  # type: ignore[no-untyped-def]
    """Queue one mail of the lead, a second after the last (mails of one instant are unordered)."""
    clock.now += timedelta(seconds=1)
    return await _queue(ctx, to=to, kind=kind, lead_id=lead_id, business_id=business_id)


async def _drive(ctx, worker, clock, before) -> None:  # type: ignore[no-untyped-def]
    """Move the clock to each next due job and run the due jobs, while that is before ``before``."""
    while True:
        async with ctx.db.session() as session:
            due = await session.scalar(select(func.min(Job.run_at)).where(Job.status == "queued"))
        if due is None or due >= before:
            return
        clock.now = max(clock.now, due)
        await worker.tick()


async def _rows(ctx, event_id):  # type: ignore[no-untyped-def]
    async with ctx.db.session() as session:
        event = await session.get(EmailEvent, event_id)
        job = await session.scalar(select(Job).where(Job.dedupe_key == f"email:{event_id}"))
    return event, job


async def test_mail_queued_through_an_outage_reaches_each_customer_in_the_order_it_was_queued(
    ctx, smtp, worker, clock
):
    smtp.fail_with = 421
    start = clock.now
    business_id, leads = await _leads(ctx, clock)
    queued: dict[str, list[str]] = {email: [] for email in (*CUSTOMERS, OWNER)}
    alerts, acks = [], {}
    for email, lead_id in leads.items():
        ack = acks[email] = await _mail(
            ctx, clock, business_id, lead_id, email, EmailKind.ACKNOWLEDGEMENT
        )
        alert = await _mail(ctx, clock, business_id, lead_id, OWNER, EmailKind.OWNER_ALERT)
        queued[email].append(ack.message_id)
        alerts.append(alert.message_id)
    await worker.tick()
    # Later mail is queued while the first is between retries (1, 3, 7, 15, 31, 63 minutes):
    # each on its own schedule, the owner's reply at 45 minutes would retry at 60, before the
    # acknowledgement's 63, and reach the customer first.
    follow_ups = {}
    for at, kind in ((20, EmailKind.FOLLOW_UP), (45, EmailKind.OWNER_REPLY)):
        await _drive(ctx, worker, clock, start + timedelta(minutes=at))
        clock.now = start + timedelta(minutes=at)
        for email, lead_id in leads.items():
            event = await _mail(ctx, clock, business_id, lead_id, email, kind)
            queued[email].append(event.message_id)
            if kind == EmailKind.FOLLOW_UP:
                follow_ups[email] = event
        await worker.tick()
        if kind == EmailKind.FOLLOW_UP:
            # Held back without an attempt: it looks again just after the acknowledgement's retry.
            for email, event in follow_ups.items():
                row, job = await _rows(ctx, event.id)
                _ack_row, ack_job = await _rows(ctx, acks[email].id)
                assert row.status == "queued" and row.attempts == 0 and row.error is None
                assert job.status == "queued" and job.attempts == 0
                assert ack_job.run_at > clock.now
                gap = timedelta(seconds=mail_service.ORDER_GAP_S)
                assert job.run_at == ack_job.run_at + gap

    await _drive(ctx, worker, clock, start + timedelta(hours=1))
    assert smtp.messages == []
    smtp.fail_with = None
    await _drive(ctx, worker, clock, start + timedelta(days=1))

    for email in CUSTOMERS:
        assert [str(m["Message-ID"]) for m in smtp.to(email)] == queued[email]
    assert sorted(str(m["Message-ID"]) for m in smtp.to(OWNER)) == sorted(alerts)
    async with ctx.db.session() as session:
        events = (await session.execute(select(EmailEvent))).scalars().all()
        jobs = (await session.execute(select(Job))).scalars().all()
    assert {event.status for event in events} == {"sent"} and len(events) == 8
    assert {job.status for job in jobs} == {"done"}
    assert clock.now - start < timedelta(hours=2)


async def test_a_mail_refused_for_good_lets_the_next_one_go_at_once(ctx, smtp, worker, clock):
    smtp.rcpt_answers.append(550)  # the first mail to reach the server is refused for good
    business_id, leads = await _leads(ctx, clock)
    email, lead_id = CUSTOMERS[0], leads[CUSTOMERS[0]]
    first = await _mail(ctx, clock, business_id, lead_id, email, EmailKind.ACKNOWLEDGEMENT)
    second = await _mail(ctx, clock, business_id, lead_id, email, EmailKind.OWNER_REPLY)
    for _ in range(5):  # the clock stands still: only the first one's outcome can free the second
        await worker.tick()
        if smtp.messages:
            break
    assert [str(m["Message-ID"]) for m in smtp.to(email)] == [second.message_id]
    first_row, _job = await _rows(ctx, first.id)
    second_row, second_job = await _rows(ctx, second.id)
    assert first_row.status == "failed" and "550" in first_row.error
    assert second_row.status == "sent" and second_row.attempts == 1
    assert second_job.status == "done"


async def test_a_mail_stuck_queued_without_a_live_job_does_not_hold_the_next_one(
    ctx, smtp, worker, clock
):
    business_id, leads = await _leads(ctx, clock)
    email, lead_id = CUSTOMERS[0], leads[CUSTOMERS[0]]
    stuck = await _mail(ctx, clock, business_id, lead_id, email, EmailKind.ACKNOWLEDGEMENT)
    async with ctx.db.session() as session:  # its job died before its give-up step ran
        await session.execute(
            update(Job).where(Job.dedupe_key == f"email:{stuck.id}").values(status="failed")
        )
    later = await _mail(ctx, clock, business_id, lead_id, email, EmailKind.OWNER_REPLY)
    await worker.tick()
    assert [str(m["Message-ID"]) for m in smtp.to(email)] == [later.message_id]
    assert (await _rows(ctx, stuck.id))[0].status == "queued"


async def test_owner_alerts_do_not_wait_for_customer_mail(ctx, smtp, worker, clock):
    smtp.refused[CUSTOMERS[0]] = 451
    business_id, leads = await _leads(ctx, clock)
    lead_id = leads[CUSTOMERS[0]]
    ack = await _mail(ctx, clock, business_id, lead_id, CUSTOMERS[0], EmailKind.ACKNOWLEDGEMENT)
    alert = await _mail(ctx, clock, business_id, lead_id, OWNER, EmailKind.OWNER_ALERT)
    await worker.tick()
    assert [str(m["Message-ID"]) for m in smtp.to(OWNER)] == [alert.message_id]
    row, job = await _rows(ctx, ack.id)
    assert row.status == "queued" and "451" in row.error and job.status == "queued"

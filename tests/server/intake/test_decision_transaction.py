"""The ``process_lead`` decision is one transaction (a unit of work on ``Database.session``).

The analysis, the gate's outcome, the mails and the job's completion commit together; a worker
whose lease was taken over while the AI answered writes nothing at all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from server.jobs.worker import JobRun
from server.models.base import utcnow
from server.models.lead import AIAnalysis, Lead, Message
from server.models.ops import EmailEvent, Job
from server.workflow.pipeline import process_lead
from tests.server.factories import submit
from tests.server.intake.probes import new_email


def _statements(engine) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()[:3]))

    return seen


def _commits(engine) -> list[bool]:  # type: ignore[no-untyped-def]
    seen: list[bool] = []

    @event.listens_for(engine, "commit")
    def _record(_conn):  # type: ignore[no-untyped-def]
        seen.append(True)

    return seen


async def _claim_process_lead(ctx, worker_id: str) -> JobRun:  # type: ignore[no-untyped-def]
    async with ctx.db.session() as session:
        job = (await session.execute(select(Job).where(Job.kind == "process_lead"))).scalar_one()
        job.status, job.locked_by = "running", worker_id
        job.locked_until, job.attempts = utcnow() + timedelta(seconds=60), 1
    return JobRun(job.id, job.kind, dict(job.payload), 1, job.max_attempts, worker_id)


async def test_the_decision_is_written_in_one_transaction(ctx, client, tenant):
    email = new_email()
    assert (await submit(client, tenant.slug, customer_email=email)).status_code == 202
    run = await _claim_process_lead(ctx, "decider")
    writer = ctx.db.engine.sync_engine
    statements = _statements(writer)
    commits = _commits(writer)

    await process_lead(ctx, run)

    assert run.completed
    assert len(commits) == 1  # the analysis, the gate, the mails and the job: one transaction
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
    assert any(s.startswith("INSERT INTO ai_analyses") for s in writes)
    assert any(s.startswith("INSERT INTO email_events") for s in writes)
    assert any(s.startswith("UPDATE jobs") for s in writes)  # completed in that transaction
    async with ctx.db.session() as session:
        job = await session.get(Job, run.id)
        lead = (await session.execute(select(Lead).where(Lead.email_normalized == email))).one()
        mails = await session.execute(
            select(func.count()).where(EmailEvent.lead_id.is_not(None)).select_from(EmailEvent)
        )
    assert job is not None and job.status == "done"
    assert lead[0].gate_reasons is not None and lead[0].urgency is not None
    assert int(mails.scalar_one()) >= 2  # the customer's mail and the owner alert


@pytest.mark.settings(openai=True)
async def test_a_decision_whose_job_was_taken_over_writes_nothing(ctx, client, tenant, ai):
    await submit(client, tenant.slug, customer_email=new_email())
    run = await _claim_process_lead(ctx, "slow-worker")
    async with ctx.db.session() as session:  # another worker took the job over meanwhile
        await session.execute(update(Job).values(locked_by="other-worker"))

    await process_lead(ctx, run)

    assert not run.completed
    async with ctx.db.session() as session:
        analyses = await session.execute(select(func.count()).select_from(AIAnalysis))
        lead_mails = await session.execute(
            select(func.count()).where(EmailEvent.lead_id.is_not(None)).select_from(EmailEvent)
        )
        drafts = await session.execute(
            select(func.count()).where(Message.type == "ai_draft").select_from(Message)
        )
        job = await session.get(Job, run.id)
    assert int(analyses.scalar_one()) == 0 and int(lead_mails.scalar_one()) == 0
    assert int(drafts.scalar_one()) == 0
    assert job is not None and job.status == "running" and job.locked_by == "other-worker"

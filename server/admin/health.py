"""Platform health for the admin's settings page: database, AI, email, queue and workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.admin.metrics import count_if
from server.config import Settings
from server.inbound.health import inbound_health
from server.jobs import queue
from server.migrate import head_revision
from server.models.business import Business
from server.models.lead import AIAnalysis, Lead
from server.models.ops import AuditLog, EmailEvent, Job, WorkerHeartbeat
from server.models.user import User
from shared.models.admin import (
    AIHealth,
    DatabaseHealth,
    DeadJob,
    EmailHealth,
    LastAnalysis,
    LastDelivery,
    PlatformHealth,
    PlatformTotals,
    QueueHealth,
    WorkerOut,
    WorkersHealth,
)
from shared.models.enums import AnalysisStatus, EmailStatus

WORKER_ALIVE_S = 60.0  # heartbeats come every 15 s; four missed ones mean the worker is gone
MAX_WORKERS_SHOWN = 50
MAX_DEAD_JOBS_SHOWN = 20


async def platform_health(session: AsyncSession, settings: Settings) -> PlatformHealth:
    now = datetime.now(UTC)
    return PlatformHealth(
        checked_at=now,
        env=settings.env,
        public_url=settings.public_url,
        database=await _database(session),
        ai=await _ai(session, settings, now),
        email=await _email(session, settings),
        queue=await _queue(session, now),
        workers=await _workers(session, now),
        totals=await _totals(session),
        inbound=await inbound_health(session, settings),
    )


async def _database(session: AsyncSession) -> DatabaseHealth:
    connection = await session.connection()
    current = await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )
    head = head_revision()
    return DatabaseHealth(
        kind=connection.dialect.name,
        head_revision=head,
        current_revision=current,
        up_to_date=head == current,
    )


def _ai_configured(settings: Settings) -> bool:
    if settings.ai_provider == "local":
        return True
    return bool(settings.ai_api_key.get_secret_value() and settings.ai_base_url)


async def _ai(session: AsyncSession, settings: Settings, now: datetime) -> AIHealth:
    last = (
        (
            await session.execute(
                select(
                    AIAnalysis.created_at,
                    AIAnalysis.status,
                    AIAnalysis.provider,
                    AIAnalysis.model,
                    AIAnalysis.latency_ms,
                    AIAnalysis.error,
                )
                .order_by(AIAnalysis.created_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    average = (
        await session.execute(
            select(func.avg(AIAnalysis.latency_ms)).where(
                AIAnalysis.created_at >= now - timedelta(hours=24)
            )
        )
    ).scalar_one_or_none()
    return AIHealth(
        provider=settings.ai_provider,
        model=settings.ai_model if settings.ai_provider == "openai" else "local",
        configured=_ai_configured(settings),
        last_analysis=LastAnalysis(
            at=last["created_at"],
            **{k: last[k] for k in ("status", "provider", "model", "latency_ms", "error")},
        )
        if last
        else None,
        last_ok=(last["status"] == AnalysisStatus.OK.value) if last else None,
        avg_latency_ms_24h=round(float(average), 1) if average is not None else None,
    )


def _email_configured(settings: Settings) -> bool:
    if settings.email_provider == "smtp":
        return bool(settings.smtp_host)
    if settings.email_provider == "resend":
        return bool(settings.resend_api_key.get_secret_value())
    return True


async def _email(session: AsyncSession, settings: Settings) -> EmailHealth:
    settled = (EmailStatus.SENT.value, EmailStatus.FAILED.value)
    last = (
        (
            await session.execute(
                select(
                    EmailEvent.created_at,
                    EmailEvent.sent_at,
                    EmailEvent.status,
                    EmailEvent.provider,
                    EmailEvent.error,
                )
                .where(EmailEvent.status.in_(settled))
                .order_by(EmailEvent.created_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    queued = (
        await session.execute(
            select(func.count())
            .select_from(EmailEvent)
            .where(EmailEvent.status == EmailStatus.QUEUED.value)
        )
    ).scalar_one()
    delivery = None
    if last is not None:
        delivery = LastDelivery(
            at=last["sent_at"] or last["created_at"],
            status=last["status"],
            provider=last["provider"],
            error=last["error"],
        )
    return EmailHealth(
        provider=settings.email_provider,
        configured=_email_configured(settings),
        last_delivery=delivery,
        last_ok=(last["status"] == EmailStatus.SENT.value) if last else None,
        queued=int(queued),
    )


async def _queue(session: AsyncSession, now: datetime) -> QueueHealth:
    queued = Job.status == queue.QUEUED
    row = (
        await session.execute(
            select(
                count_if(queued),
                count_if(Job.status == queue.RUNNING),
                count_if(Job.status == queue.FAILED),
                count_if(queued & (Job.run_at <= now)),
            ).where(Job.status.in_((queue.QUEUED, queue.RUNNING, queue.FAILED)))
        )
    ).one()
    oldest: Any = (
        await session.execute(select(func.min(Job.run_at)).where(queued, Job.run_at <= now))
    ).scalar_one_or_none()
    if isinstance(oldest, str):  # SQLite aggregates bypass the column type
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    dead = (
        await session.execute(
            select(Job)
            .where(Job.status == queue.FAILED)
            .order_by(Job.finished_at.desc())
            .limit(MAX_DEAD_JOBS_SHOWN)
        )
    ).scalars()
    return QueueHealth(
        dead=[
            DeadJob(
                id=j.id,
                kind=j.kind,
                attempts=j.attempts,
                max_attempts=j.max_attempts,
                last_error=j.last_error,
                finished_at=j.finished_at,
            )
            for j in dead
        ],
        queued=int(row[0]),
        running=int(row[1]),
        failed=int(row[2]),
        due=int(row[3]),
        oldest_due_age_s=round((now - oldest).total_seconds(), 1) if oldest else None,
    )


async def _workers(session: AsyncSession, now: datetime) -> WorkersHealth:
    beats = (
        (
            await session.execute(
                select(WorkerHeartbeat)
                .order_by(WorkerHeartbeat.seen_at.desc())
                .limit(MAX_WORKERS_SHOWN)
            )
        )
        .scalars()
        .all()
    )
    workers = [
        WorkerOut(
            worker_id=b.worker_id,
            started_at=b.started_at,
            seen_at=b.seen_at,
            age_s=round((now - b.seen_at).total_seconds(), 1),
            alive=(now - b.seen_at).total_seconds() <= WORKER_ALIVE_S,
        )
        for b in beats
    ]
    return WorkersHealth(
        alive=sum(w.alive for w in workers),
        latest_seen_at=beats[0].seen_at if beats else None,
        workers=workers,
    )


async def _totals(session: AsyncSession) -> PlatformTotals:
    def count(model: Any) -> Any:
        return select(func.count()).select_from(model).scalar_subquery()

    row = (
        await session.execute(
            select(count(Business), count(User), count(Lead), count(EmailEvent), count(AuditLog))
        )
    ).one()
    return PlatformTotals(
        businesses=row[0], users=row[1], leads=row[2], emails=row[3], audit_logs=row[4]
    )

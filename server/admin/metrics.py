"""Platform KPIs for the admin dashboard, each one an aggregate computed in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.business import Business
from server.models.lead import Lead
from server.models.ops import EmailEvent
from shared.models.admin import AdminKpis, AdminMetrics
from shared.models.enums import BusinessStatus, EmailKind, EmailStatus
from shared.models.leads import DailyCount

CHART_DAYS = 14


def count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def utc_day(column: Any) -> Any:
    """The UTC calendar day of a timestamp column: SQLite stores UTC text, and PostgreSQL's
    sessions run in UTC (``PostgresStorage``)."""
    return func.date(column)


async def platform_metrics(session: AsyncSession, now: datetime | None = None) -> AdminMetrics:
    now = now or datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = today - timedelta(days=today.weekday())
    chart_start = today - timedelta(days=CHART_DAYS - 1)

    businesses = (
        await session.execute(
            select(
                func.count(),
                count_if(Business.status == BusinessStatus.ACTIVE.value),
            ).select_from(Business)
        )
    ).one()
    leads = (
        await session.execute(
            select(
                func.count(),
                count_if(Lead.created_at >= today),
                count_if(Lead.created_at >= week_start),
            ).select_from(Lead)
        )
    ).one()
    sent = EmailEvent.status == EmailStatus.SENT.value
    emails = (
        await session.execute(
            select(
                count_if(sent),
                count_if(EmailEvent.status == EmailStatus.FAILED.value),
                count_if(EmailEvent.status == EmailStatus.QUEUED.value),
                count_if(sent & (EmailEvent.kind == EmailKind.AUTO_REPLY.value)),
                count_if(sent & (EmailEvent.kind == EmailKind.ACKNOWLEDGEMENT.value)),
            ).select_from(EmailEvent)
        )
    ).one()
    day = utc_day(Lead.created_at)
    per_day = {
        str(value)[:10]: int(count)
        for value, count in (
            await session.execute(
                select(day, func.count()).where(Lead.created_at >= chart_start).group_by(day)
            )
        ).all()
    }
    first: date = chart_start.date()
    daily = [
        DailyCount(
            date=(first + timedelta(days=n)).isoformat(),
            count=per_day.get((first + timedelta(days=n)).isoformat(), 0),
        )
        for n in range(CHART_DAYS)
    ]
    settled = int(emails[0]) + int(emails[1])
    return AdminMetrics(
        kpis=AdminKpis(
            businesses_total=int(businesses[0]),
            businesses_active=int(businesses[1]),
            leads_total=int(leads[0]),
            leads_today=int(leads[1]),
            leads_this_week=int(leads[2]),
            emails_sent=int(emails[0]),
            emails_failed=int(emails[1]),
            emails_queued=int(emails[2]),
            delivery_rate=round(int(emails[0]) / settled, 4) if settled else None,
            ai_replies=int(emails[3]),
            acknowledgements=int(emails[4]),
        ),
        daily_leads=daily,
    )

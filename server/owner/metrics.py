"""Owner KPIs and the 14-day chart, aggregated in the database in the business's time zone."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.base import utcnow
from server.models.lead import FollowUp, Lead
from shared.models.enums import CLOSED_LEAD_STATUSES, CommStatus, FollowUpStatus, LeadStatus
from shared.models.follow_ups import business_zone, end_of_today
from shared.models.leads import DailyCount, MetricsKpis, OwnerMetrics

DAYS = 14


def day_starts(now: datetime, timezone: str, days: int = DAYS) -> list[datetime]:
    """UTC instants of the local midnights of the last ``days`` days (today last) and tomorrow."""
    zone = business_zone(timezone)
    today = now.astimezone(zone).date()
    starts = []
    for offset in range(days - 1, -2, -1):
        day = today - timedelta(days=offset)
        local = datetime(day.year, day.month, day.day, tzinfo=zone)
        starts.append(local.astimezone(ZoneInfo("UTC")))
    return starts


async def owner_metrics(
    session: AsyncSession, business_id: uuid.UUID, timezone: str
) -> OwnerMetrics:
    now = utcnow()
    starts = day_starts(now, timezone)
    closed = [s.value for s in CLOSED_LEAD_STATUSES]

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    lead_row = (
        await session.execute(
            select(
                count_if(Lead.status == LeadStatus.NEW.value),
                count_if(Lead.status == LeadStatus.BOOKED.value),
                func.count(),
                count_if(Lead.auto_sent.is_(True)),
                count_if(
                    and_(
                        Lead.gate_allowed.is_(False),
                        Lead.status.not_in(closed),
                        Lead.comm_status.in_([CommStatus.NEW.value, CommStatus.ACKNOWLEDGED.value]),
                    )
                ),
                *[
                    count_if(and_(Lead.created_at >= starts[i], Lead.created_at < starts[i + 1]))
                    for i in range(DAYS)
                ],
            ).where(Lead.business_id == business_id)
        )
    ).one()
    due = (
        await session.execute(
            select(func.count())
            .select_from(FollowUp)
            .where(
                FollowUp.business_id == business_id,
                FollowUp.status == FollowUpStatus.SCHEDULED.value,
                FollowUp.scheduled_at < end_of_today(now, timezone),
            )
        )
    ).scalar_one()
    new, booked, total, ai_replied, awaiting, *daily = (int(v) for v in lead_row)
    zone = business_zone(timezone)
    zone_days = [starts[i].astimezone(zone).date().isoformat() for i in range(DAYS)]
    return OwnerMetrics(
        kpis=MetricsKpis(
            new_leads=new,
            follow_ups_due=int(due),
            booked=booked,
            total_leads=total,
            ai_replied=ai_replied,
            awaiting_approval=awaiting,
        ),
        daily=[DailyCount(date=d, count=c) for d, c in zip(zone_days, daily, strict=True)],
    )

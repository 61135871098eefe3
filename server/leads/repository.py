"""Queries of the owner's lead views; every one filters by the caller's business."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.leads import wire
from server.models.lead import LEAD_LOCK, AIAnalysis, FollowUp, Lead, Message
from server.storage import search_words, storage_of
from shared.models.enums import FollowUpState, FollowUpStatus
from shared.models.follow_ups import FollowUpDay, window_of

RARE_MATCHES = 2000  # below this many matches, collect them first (``Storage.search_leads``)


def lead_list_query(
    business_id: uuid.UUID, *, status: str | None = None, oldest_first: bool = False
) -> Select[Any]:
    """The wire columns of the business's leads (``wire.lead_row``), filtered and sorted."""
    query = select(*wire.lead_columns(sync=False)).where(Lead.business_id == business_id)
    if status:
        query = query.where(Lead.status == status)
    order = Lead.last_activity_at.asc() if oldest_first else Lead.last_activity_at.desc()
    return query.order_by(order, Lead.id)


async def lead_page(
    session: AsyncSession,
    business_id: uuid.UUID,
    *,
    status: str | None,
    q: str | None,
    oldest_first: bool,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """One page of the lead list (``Page[LeadOut]`` as plain JSON values) and its total."""
    listed = lead_list_query(business_id, status=status, oldest_first=oldest_first)
    if q and search_words(q):
        rows, total = await storage_of(session).search_leads(
            session,
            listed,
            business_id,
            q,
            status=status,
            oldest_first=oldest_first,
            limit=limit,
            offset=offset,
            rare_below=RARE_MATCHES,
        )
    else:
        total = await count(session, listed)
        rows = (await session.execute(listed.limit(limit).offset(offset))).all()
    return {
        "items": [wire.lead_row(row) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


async def lead_in_business(
    session: AsyncSession, business_id: uuid.UUID, lead_id: uuid.UUID, *, lock: bool = False
) -> Lead | None:
    query = select(Lead).where(Lead.id == lead_id, Lead.business_id == business_id)
    if lock:
        query = query.with_for_update(key_share=LEAD_LOCK["key_share"])
    return (await session.execute(query)).scalar_one_or_none()


async def latest_analysis(session: AsyncSession, lead_id: uuid.UUID) -> AIAnalysis | None:
    return (
        await session.execute(
            select(AIAnalysis)
            .where(AIAnalysis.lead_id == lead_id)
            .order_by(AIAnalysis.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def latest_draft(session: AsyncSession, lead_id: uuid.UUID) -> Message | None:
    return (
        await session.execute(
            select(Message)
            .where(Message.lead_id == lead_id, Message.type == "ai_draft")
            .order_by(Message.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def messages(session: AsyncSession, lead_id: uuid.UUID) -> list[Message]:
    return list(
        (
            await session.execute(
                select(Message)
                .where(Message.lead_id == lead_id)
                .order_by(Message.created_at, Message.id)
            )
        ).scalars()
    )


async def message_by_client_id(
    session: AsyncSession, lead_id: uuid.UUID, client_id: str
) -> Message | None:
    return (
        await session.execute(
            select(Message).where(Message.lead_id == lead_id, Message.client_id == client_id)
        )
    ).scalar_one_or_none()


async def follow_up_in_business(
    session: AsyncSession, business_id: uuid.UUID, follow_up_id: uuid.UUID
) -> FollowUp | None:
    return (
        await session.execute(
            select(FollowUp)
            .where(FollowUp.id == follow_up_id, FollowUp.business_id == business_id)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def count(session: AsyncSession, query: Select[Any]) -> int:
    return int(
        (
            await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
        ).scalar_one()
    )


def follow_up_list_query(
    business_id: uuid.UUID, state: FollowUpState | None, day: FollowUpDay
) -> Select[FollowUp, Lead]:
    """Follow-ups with their lead, those in ``state`` on the business's ``day`` (the rule of
    ``shared.models.follow_ups``, as range conditions on ``scheduled_at``), soonest first."""
    query = (
        select(FollowUp, Lead)
        .join(Lead, Lead.id == FollowUp.lead_id)
        .where(FollowUp.business_id == business_id)
    )
    window = window_of(state) if state is not None else None
    if window is not None:
        since, until = window
        query = query.where(FollowUp.status == FollowUpStatus.SCHEDULED.value)
        if since is not None:
            query = query.where(FollowUp.scheduled_at >= day.moment(since))
        if until is not None:
            query = query.where(FollowUp.scheduled_at < day.moment(until))
    elif state is not None:
        query = query.where(FollowUp.status == state.value)
    return query.order_by(FollowUp.scheduled_at, FollowUp.id)

"""Queries of the owner's lead views; every one filters by the caller's business."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Select, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.lead import AIAnalysis, FollowUp, Lead, Message

_TOKEN = re.compile(r"\w+", re.UNICODE)
PG_DOCUMENT = text(
    "to_tsvector('simple', coalesce(leads.customer_name, '') || ' ' || "
    "coalesce(leads.customer_email, '') || ' ' || coalesce(leads.customer_phone, '') || ' ' || "
    "coalesce(leads.service_needed, '') || ' ' || coalesce(leads.message, ''))"
)


def search_tokens(q: str) -> list[str]:
    return _TOKEN.findall(q.lower())[:8]


def search_condition(dialect: str, q: str) -> Any | None:
    """Full-text match over name, email, phone, service and message (prefix match per word).

    SQLite uses the FTS5 table ``leads_fts``; PostgreSQL the GIN-indexed tsvector expression.
    A query of digits also matches inside normalised phone numbers.
    """
    tokens = search_tokens(q)
    if not tokens:
        return None
    digits = re.sub(r"\D", "", q)
    phone = Lead.phone_normalized.like(f"%{digits}%") if len(digits) >= 3 else None
    if dialect == "postgresql":
        query = " & ".join(f"{token}:*" for token in tokens)
        fts = text(f"{PG_DOCUMENT.text} @@ to_tsquery('simple', :lead_q)").bindparams(lead_q=query)
    else:
        match = " AND ".join('"' + token.replace('"', "") + '"*' for token in tokens)
        fts = literal_column("leads.rowid").in_(
            text("SELECT rowid FROM leads_fts WHERE leads_fts MATCH :lead_q").bindparams(
                lead_q=match
            )
        )
    return or_(fts, phone) if phone is not None else fts


def lead_list_query(
    dialect: str,
    business_id: uuid.UUID,
    *,
    status: str | None = None,
    q: str | None = None,
    oldest_first: bool = False,
) -> Select[tuple[Lead]]:
    query = select(Lead).where(Lead.business_id == business_id)
    if status:
        query = query.where(Lead.status == status)
    if q:
        condition = search_condition(dialect, q)
        if condition is not None:
            query = query.where(condition)
    order = Lead.last_activity_at.asc() if oldest_first else Lead.last_activity_at.desc()
    return query.order_by(order, Lead.id)


async def lead_in_business(
    session: AsyncSession, business_id: uuid.UUID, lead_id: uuid.UUID, *, lock: bool = False
) -> Lead | None:
    query = select(Lead).where(Lead.id == lead_id, Lead.business_id == business_id)
    if lock:
        query = query.with_for_update()
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

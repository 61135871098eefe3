"""Queries of the owner's lead views; every one filters by the caller's business."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import (
    Select,
    TextualSelect,
    Uuid,
    bindparam,
    func,
    literal_column,
    select,
    text,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.leads import wire
from server.models.lead import LEAD_LOCK, AIAnalysis, FollowUp, Lead, Message
from shared.models.enums import FollowUpState, FollowUpStatus
from shared.models.follow_ups import FollowUpDay, window_of

_TOKEN = re.compile(r"\w+", re.UNICODE)
PG_DOCUMENT = text(
    "to_tsvector('simple', coalesce(leads.customer_name, '') || ' ' || "
    "coalesce(leads.customer_email, '') || ' ' || coalesce(leads.customer_phone, '') || ' ' || "
    "coalesce(leads.service_needed, '') || ' ' || coalesce(leads.message, ''))"
)


_PHONE_QUERY = re.compile(r"[\d\s()+.\-/]+")


def search_tokens(q: str) -> list[str]:
    return _TOKEN.findall(q.lower())[:8]


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def pg_tsquery(q: str) -> str:
    """A prefix tsquery where each typed word matches as its word parts or as one lexeme.

    PostgreSQL's parser keeps an email address (and similar) as a single lexeme, so
    ``zeb.q@example.org`` or ``casey-12`` must also match as a prefix of a whole lexeme, not
    only as the ``\\w+`` parts that SQLite's FTS5 tokenizer would make of it.
    """
    groups = []
    for word in q.lower().split()[:8]:
        parts = _TOKEN.findall(word)
        if not parts:
            continue
        split = " & ".join(_lexeme(part) for part in parts)
        groups.append(split if parts == [word] else f"( {split} | {_lexeme(word)} )")
    return " & ".join(groups)


RARE_MATCHES = 2000  # below this many matches, collect the ids first (see search_condition)


def _phone_digits(q: str) -> str | None:
    """The digits of a query that looks like a phone number, else ``None``.

    Only such a query searches inside phone numbers; otherwise "flat 305" would match every
    lead whose phone contains 305.
    """
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3 and _PHONE_QUERY.fullmatch(q.strip()) is not None:
        return digits
    return None


_FTS5_TEXT = "{customer_name customer_email customer_phone service_needed message}"


def sqlite_matches(business_id: uuid.UUID, q: str) -> tuple[str, list[Any]] | None:
    """SQL of the rowids of the business's leads that match ``q`` on SQLite, and its bound
    parameters (None: nothing to match).

    ``leads_fts`` also indexes ``business_id`` (migration 0003), so the business is part of the
    FTS query and the words are matched in the text columns only. A phone-like query adds the
    leads whose normalised phone contains its digits, read from the covering
    ``(business_id, phone_normalized)`` index (OR-ed into the match, it would read every lead).
    """
    tokens = search_tokens(q)
    if not tokens:
        return None
    words = " AND ".join('"' + token.replace('"', "") + '"*' for token in tokens)
    match = f'business_id : "{business_id.hex}" AND {_FTS5_TEXT} : ({words})'
    sql = "SELECT rowid FROM leads_fts WHERE leads_fts MATCH :lead_q"
    binds: list[Any] = [bindparam("lead_q", match)]
    digits = _phone_digits(q)
    if digits:
        sql += (
            " UNION SELECT rowid FROM leads"
            " WHERE business_id = :lead_business AND phone_normalized LIKE :lead_phone"
        )
        binds.append(bindparam("lead_business", business_id, type_=Uuid()))
        binds.append(bindparam("lead_phone", f"%{digits}%"))
    return sql, binds


def search_condition(
    dialect: str, business_id: uuid.UUID, q: str, *, rare: bool = False
) -> Any | None:
    """Full-text match over name, email, phone, service and message (prefix match per word).

    SQLite uses the FTS5 table ``leads_fts``; PostgreSQL the GIN-indexed tsvector expression.
    A query that looks like a phone number also matches inside normalised phone numbers.

    On PostgreSQL, for a ``rare`` match (few leads) and for phone searches, the matching ids
    are collected first in a materialised CTE: left to itself the planner walks the
    ``last_activity_at`` index and recomputes the tsvector of every lead until it has a page,
    which for a rare word is most of the table; for a common word that walk is the fastest
    plan, so it is kept. The phone arm is its own branch of a UNION, because OR-ed into the
    text match it makes the tsvector of every row be computed (docs/BENCHMARKS.md).
    """
    tokens = search_tokens(q)
    if not tokens:
        return None
    digits = _phone_digits(q)
    phone = Lead.phone_normalized.like(f"%{digits}%") if digits else None
    if dialect == "postgresql":
        fts: Any = text(f"{PG_DOCUMENT.text} @@ CAST(:lead_q AS tsquery)").bindparams(
            lead_q=pg_tsquery(q)
        )
        if phone is None and not rare:
            return fts
        matched: Any = select(Lead.id).where(Lead.business_id == business_id, fts)
        if phone is not None:
            matched = union(matched, select(Lead.id).where(Lead.business_id == business_id, phone))
        ids = matched.cte("matched_leads").prefix_with("MATERIALIZED")
        return Lead.id.in_(select(ids.c.id))
    matches = sqlite_matches(business_id, q)
    if matches is None:
        return None
    sql, binds = matches
    return literal_column("leads.rowid").in_(text(sql).bindparams(*binds))


def lead_list_query(
    dialect: str,
    business_id: uuid.UUID,
    *,
    status: str | None = None,
    q: str | None = None,
    oldest_first: bool = False,
    rare: bool = False,
) -> Select[Any]:
    """The wire columns of the business's leads (``wire.lead_row``), filtered and sorted."""
    query = select(*wire.lead_columns(sync=False)).where(Lead.business_id == business_id)
    if status:
        query = query.where(Lead.status == status)
    if q:
        condition = search_condition(dialect, business_id, q, rare=rare)
        if condition is not None:
            query = query.where(condition)
    order = Lead.last_activity_at.asc() if oldest_first else Lead.last_activity_at.desc()
    return query.order_by(order, Lead.id)


LIST_INDEX = "ix_leads_business_id_last_activity_at"


def sqlite_common_search(
    business_id: uuid.UUID,
    q: str,
    *,
    status: str | None,
    oldest_first: bool,
    limit: int,
    offset: int,
) -> TextualSelect | None:
    """A page of a search matching many leads on SQLite, walking the list's sort index.

    SQLite's planner drives such a query from the FTS match: it reads and sorts every matching
    lead, where walking ``(business_id, last_activity_at)`` in order stops after one page
    (docs/BENCHMARKS.md). It cannot be talked out of it, hence the
    ``INDEXED BY``, which SQLAlchemy does not render for SQLite. Same rows as
    ``lead_list_query`` (tests/server/owner/test_lead_search.py compares them).
    """
    matches = sqlite_matches(business_id, q)
    if matches is None:
        return None
    found, binds = matches
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    where = f"leads.business_id = :business_id AND leads.rowid IN ({found})"
    if status:
        where += " AND leads.status = :status"
        params["status"] = status
    direction = "ASC" if oldest_first else "DESC"
    columns = wire.lead_columns(sync=False)
    # Only constants go into the text; the user's query, status and paging are bound parameters.
    sql = (
        f"SELECT {', '.join(f'leads.{c.name}' for c in columns)} "  # noqa: S608
        f"FROM leads INDEXED BY {LIST_INDEX} WHERE {where} "
        f"ORDER BY leads.last_activity_at {direction}, leads.id LIMIT :limit OFFSET :offset"
    )
    walk = text(sql).bindparams(bindparam("business_id", business_id, type_=Uuid()), *binds)
    return walk.bindparams(**params).columns(*columns)


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
    dialect = session.get_bind().dialect.name
    filters: dict[str, Any] = {"status": status, "q": q, "oldest_first": oldest_first}
    query: Any = lead_list_query(dialect, business_id, **filters)
    matches = sqlite_matches(business_id, q) if q and dialect == "sqlite" else None
    if matches is not None and not status:
        # Counted in the FTS index (and the phone index) alone, without reading any lead.
        sql, binds = matches
        counted = text(f"SELECT count(*) FROM ({sql})").bindparams(*binds)  # noqa: S608
        total = int((await session.execute(counted)).scalar_one())
    else:
        total = await count(session, query)
    if q and total < RARE_MATCHES:
        # Few matches: find them first rather than walking every lead in date order.
        query = lead_list_query(dialect, business_id, rare=True, **filters)
    elif q and dialect == "sqlite":
        walk = sqlite_common_search(
            business_id, q, status=status, oldest_first=oldest_first, limit=limit, offset=offset
        )
        query = walk if walk is not None else query
    if isinstance(query, Select):
        query = query.limit(limit).offset(offset)
    rows = await session.execute(query)
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

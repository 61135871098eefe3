"""Queries of businesses and forms."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.business import Business, Form


async def slug_taken(
    session: AsyncSession, slug: str, *, except_form: uuid.UUID | None = None
) -> bool:
    """A slug is taken if any business or any other form uses it (form URLs share one namespace)."""
    form_q = select(Form.id).where(Form.slug == slug)
    if except_form is not None:
        form_q = form_q.where(Form.id != except_form)
    business_q = select(Business.id).where(Business.slug == slug)
    if except_form is not None:
        owner = select(Form.business_id).where(Form.id == except_form).scalar_subquery()
        business_q = business_q.where(Business.id != owner)
    query = select(or_(exists(form_q), exists(business_q)))
    return bool((await session.execute(query)).scalar())


def the_form(*columns: Any, business_id: Any) -> Select[Any]:
    """``columns`` of the business's form: its first (a business is created with one).
    ``business_id`` is a value, a bound parameter or a column of an outer query."""
    business_form = select(*columns).where(Form.business_id == business_id)
    return business_form.order_by(Form.created_at).limit(1)


async def form_of(session: AsyncSession, business_id: uuid.UUID) -> Form | None:
    return (await session.execute(the_form(Form, business_id=business_id))).scalar_one_or_none()


async def form_by_slug(session: AsyncSession, slug: str) -> tuple[Form, Business] | None:
    row = (
        await session.execute(
            select(Form, Business)
            .join(Business, Business.id == Form.business_id)
            .where(Form.slug == slug)
        )
    ).first()
    return (row[0], row[1]) if row else None


def business_list_query(q: str | None, status: str | None) -> Select[Business, Form]:
    """Businesses with their form, newest first; ``q`` searches name, slug and contact email."""
    query = select(Business, Form).outerjoin(Form, Form.business_id == Business.id)
    if status is not None:
        query = query.where(Business.status == status)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                Business.name.ilike(like),
                Business.slug.ilike(like),
                Business.contact_email.ilike(like),
            )
        )
    return query.order_by(Business.created_at.desc(), Business.id)

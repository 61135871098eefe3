"""The automation switches of every business: smart auto-reply, approval, threshold, form."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.admin.records import RowQuery
from server.businesses import repository as business_repo
from server.businesses import service as businesses
from server.errors import NotFound
from server.models.business import Business, Form
from server.models.lead import Lead
from server.models.user import User
from shared.models.admin import AutomationOut, AutomationUpdate
from shared.models.enums import BusinessStatus

BUSINESS_SWITCHES = ("smart_auto_reply", "owner_approval_required", "auto_reply_threshold")


def automations_query(
    *,
    q: str | None = None,
    status: BusinessStatus | None = None,
    business_id: uuid.UUID | None = None,
) -> RowQuery:
    """Each business with its switches, its (first) form's ``active`` and its lead count."""
    lead_counts = (
        select(Lead.business_id, func.count().label("lead_count"))
        .group_by(Lead.business_id)
        .subquery()
    )
    form_active = business_repo.the_form(Form.active, business_id=Business.id).scalar_subquery()
    query = select(
        Business.id.label("business_id"),
        Business.name.label("business_name"),
        Business.status.label("business_status"),
        Business.smart_auto_reply,
        Business.owner_approval_required,
        Business.auto_reply_threshold,
        form_active.label("form_active"),
        func.coalesce(lead_counts.c.lead_count, 0).label("lead_count"),
    ).outerjoin(lead_counts, lead_counts.c.business_id == Business.id)
    if business_id is not None:
        query = query.where(Business.id == business_id)
    if status is not None:
        query = query.where(Business.status == status.value)
    text = (q or "").strip()
    if text:
        query = query.where(Business.name.icontains(text, autoescape=True))
    return query.order_by(Business.name, Business.id)


async def automation_of(session: AsyncSession, business_id: uuid.UUID) -> AutomationOut:
    row = (
        (await session.execute(automations_query(business_id=business_id))).mappings().one_or_none()
    )
    if row is None:
        raise NotFound("No such business.")
    return AutomationOut.model_validate(dict(row))


async def update_automation(
    session: AsyncSession, admin: User, business_id: uuid.UUID, body: AutomationUpdate
) -> AutomationOut:
    """Apply the given switches; one audit row with the old and new value of each change."""
    business = await businesses.get_business(session, business_id)
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    form = await business_repo.form_of(session, business.id)
    if "form_active" in values and form is None:
        raise NotFound("This business has no form.", code="no_form")
    before: dict[str, Any] = {
        key: getattr(business, key) for key in BUSINESS_SWITCHES if key in values
    }
    if form is not None and "form_active" in values:
        before["form_active"] = form.active
    old, new = audit.changes(before, values)
    for key, value in new.items():
        if key == "form_active" and form is not None:
            form.active = value
        else:
            setattr(business, key, value)
    if new:
        audit.record(
            session,
            "automation.updated",
            actor=admin,
            business_id=business.id,
            entity="business",
            entity_id=business.id,
            old=old,
            new=new,
        )
        await session.flush()
    return await automation_of(session, business.id)

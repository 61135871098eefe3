"""Admin routes for the dashboard, platform health and the automation switches."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from server.admin import automations, health, metrics, records
from server.auth.deps import SuperAdmin
from server.deps import Ctx, Session
from server.pagination import Paging
from shared.models.admin import AdminMetrics, AutomationOut, AutomationUpdate, PlatformHealth
from shared.models.common import Page
from shared.models.enums import BusinessStatus

router = APIRouter()


@router.get("/metrics", response_model=AdminMetrics)
async def platform_metrics(admin: SuperAdmin, session: Session) -> AdminMetrics:
    """Businesses, leads, email delivery and AI replies platform-wide, and 14 days of leads."""
    return await metrics.platform_metrics(session)


@router.get("/settings", response_model=PlatformHealth)
async def platform_settings(admin: SuperAdmin, ctx: Ctx, session: Session) -> PlatformHealth:
    """Platform health: database and migrations, AI, email, job queue, workers, totals."""
    return await health.platform_health(session, ctx.settings)


@router.get("/automations", response_model=Page[AutomationOut])
async def list_automations(
    admin: SuperAdmin,
    session: Session,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: BusinessStatus | None = None,
) -> Page[AutomationOut]:
    """Every business's automation switches, form state and lead count, by name."""
    rows, total = await records.page(
        session, automations.automations_query(q=q, status=status), paging
    )
    return Page(
        items=[AutomationOut.model_validate(dict(r)) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/automations/{business_id}", response_model=AutomationOut)
async def get_automation(
    business_id: uuid.UUID, admin: SuperAdmin, session: Session
) -> AutomationOut:
    """One business's automation switches."""
    return await automations.automation_of(session, business_id)


@router.patch("/automations/{business_id}", response_model=AutomationOut)
async def update_automation(
    business_id: uuid.UUID, body: AutomationUpdate, admin: SuperAdmin, session: Session
) -> AutomationOut:
    """Turn smart auto-reply, owner approval or the form on or off, or move the threshold."""
    return await automations.update_automation(session, admin, business_id, body)

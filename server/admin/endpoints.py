"""The super-admin console's API (CONTRACT §8): businesses, their forms, logos and owner invites
here; the other console routes live in sibling modules and are mounted on this router below."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Query, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.admin import console_endpoints, logos, owner_endpoints, records_endpoints
from server.auth.deps import SuperAdmin
from server.auth.service import create_invite
from server.businesses import repository as business_repo
from server.businesses import service
from server.context import ServerContext
from server.deps import Ctx, Session
from server.errors import NotFound
from server.models.business import Business
from server.pagination import Paging, fetch_page
from shared.models.business import (
    BusinessCreate,
    BusinessOut,
    BusinessStatusUpdate,
    BusinessUpdate,
    FormOut,
    FormUpdate,
)
from shared.models.common import Page
from shared.models.enums import BusinessStatus, MemberRole

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


async def _business_out(
    ctx: ServerContext, session: AsyncSession, business: Business
) -> BusinessOut:
    return service.business_out(
        ctx.settings, business, await business_repo.form_of(session, business.id)
    )


@router.get("/businesses", response_model=Page[BusinessOut])
async def list_businesses(
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: BusinessStatus | None = None,
) -> Page[BusinessOut]:
    """Businesses, newest first, with search over name, slug and contact email."""
    query = business_repo.business_list_query(q, status.value if status else None)
    rows, total = await fetch_page(session, query, paging)
    return Page(
        items=[service.business_out(ctx.settings, b, f) for b, f in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/businesses", response_model=BusinessOut, status_code=201)
async def create_business(
    body: BusinessCreate, admin: SuperAdmin, ctx: Ctx, session: Session
) -> BusinessOut:
    """Create a business (pending), its form and its owner's invite in one step."""
    business, form = await service.create_business(session, ctx, admin, body)
    return service.business_out(ctx.settings, business, form)


@router.get("/businesses/{business_id}", response_model=BusinessOut)
async def get_business(
    business_id: uuid.UUID, admin: SuperAdmin, ctx: Ctx, session: Session
) -> BusinessOut:
    """One business."""
    business = await service.get_business(session, business_id)
    return await _business_out(ctx, session, business)


@router.patch("/businesses/{business_id}", response_model=BusinessOut)
async def update_business(
    business_id: uuid.UUID, body: BusinessUpdate, admin: SuperAdmin, ctx: Ctx, session: Session
) -> BusinessOut:
    """Edit a business's profile, branding and automation switches."""
    business = await service.get_business(session, business_id)
    await service.update_business(session, admin, business, body)
    return await _business_out(ctx, session, business)


@router.patch("/businesses/{business_id}/status", response_model=BusinessOut)
async def set_business_status(
    business_id: uuid.UUID,
    body: BusinessStatusUpdate,
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
) -> BusinessOut:
    """Activate, pause or archive a business."""
    business = await service.get_business(session, business_id)
    await service.set_status(session, admin, business, body.status)
    return await _business_out(ctx, session, business)


@router.post("/businesses/{business_id}/resend-invite", status_code=202)
async def resend_invite(
    business_id: uuid.UUID, admin: SuperAdmin, ctx: Ctx, session: Session
) -> Response:
    """Send the owner a fresh invite link (earlier links stop working)."""
    business = await service.get_business(session, business_id)
    owners = [u for u in await service.owners_of(session, business.id) if u.password_hash is None]
    if not owners:
        raise NotFound("This business has no owner waiting for an invite.", code="no_pending_owner")
    for owner in owners:
        await create_invite(
            session, ctx, user=owner, business=business, role=MemberRole.OWNER, invited_by=admin
        )
        audit.record(
            session,
            "owner.invite_resent",
            actor=admin,
            business_id=business.id,
            entity="user",
            entity_id=owner.id,
            details={"email": owner.email, "role": MemberRole.OWNER.value},
        )
    return Response(status_code=202)


@router.post("/businesses/{business_id}/logo", response_model=BusinessOut)
async def upload_logo(
    business_id: uuid.UUID,
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP, at most 2 MB")],
) -> BusinessOut:
    """Set the business's logo (stored as a cleaned PNG); SVG and non-images are refused."""
    business = await service.get_business(session, business_id)
    data = await file.read(logos.MAX_LOGO_BYTES + 1)
    old = await logos.replace_logo(session, ctx.data_dir, admin, business, data)
    background.add_task(logos.remove, ctx.data_dir, old)  # runs after the commit
    return await _business_out(ctx, session, business)


@router.delete("/businesses/{business_id}/logo", response_model=BusinessOut)
async def delete_logo(
    business_id: uuid.UUID,
    admin: SuperAdmin,
    ctx: Ctx,
    session: Session,
    background: BackgroundTasks,
) -> BusinessOut:
    """Remove the business's logo."""
    business = await service.get_business(session, business_id)
    old = await logos.clear_logo(session, admin, business)
    background.add_task(logos.remove, ctx.data_dir, old)
    return await _business_out(ctx, session, business)


@router.get("/businesses/{business_id}/form", response_model=FormOut)
async def get_form(
    business_id: uuid.UUID, admin: SuperAdmin, ctx: Ctx, session: Session
) -> FormOut:
    """The business's public form."""
    await service.get_business(session, business_id)
    return service.form_out(ctx.settings, await service.get_form(session, business_id))


@router.patch("/businesses/{business_id}/form", response_model=FormOut)
async def update_form(
    business_id: uuid.UUID, body: FormUpdate, admin: SuperAdmin, ctx: Ctx, session: Session
) -> FormOut:
    """Edit the business's public form (slug taken → 409)."""
    await service.get_business(session, business_id)
    form = await service.get_form(session, business_id)
    return service.form_out(ctx.settings, await service.update_form(session, admin, form, body))


for _module in (console_endpoints, owner_endpoints, records_endpoints):
    router.include_router(_module.router)

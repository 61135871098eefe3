"""Owner routes for the business profile, the form, the team and the metrics (CONTRACT §6)."""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, File, UploadFile

from server.admin import logos
from server.auth.deps import Scope
from server.businesses import service as businesses
from server.deps import Ctx, Session
from server.errors import Forbidden, ValidationFailed
from server.owner import team
from server.owner.metrics import owner_metrics
from shared.models.business import BusinessOut, BusinessUpdate, FormOut, FormUpdate
from shared.models.leads import OwnerMetrics

router = APIRouter(prefix="/api/v1/owner", tags=["owner"])

OWNER_ONLY_BUSINESS_FIELDS = {
    "smart_auto_reply",
    "owner_approval_required",
    "auto_reply_threshold",
    "brand_color",
    "contact_email",
    "follow_up_enabled",
    "follow_up_delay_h",
    "reply_alerts",
}


@router.get("/business", response_model=BusinessOut)
async def get_business(scope: Scope, ctx: Ctx, session: Session) -> BusinessOut:
    """The business's profile, branding and automation switches."""
    form = await businesses.get_form(session, scope.business_id)
    return businesses.business_out(ctx.settings, scope.business, form)


@router.patch("/business", response_model=BusinessOut)
async def update_business(
    body: BusinessUpdate, scope: Scope, ctx: Ctx, session: Session
) -> BusinessOut:
    """Edit the profile; automation, branding and the contact email are the owner's to change."""
    touched = set(body.model_dump(exclude_unset=True))
    if touched & OWNER_ONLY_BUSINESS_FIELDS and not scope.is_owner:
        raise Forbidden(
            "Only the business owner can change automation, branding or the contact email."
        )
    if body.timezone is not None and not _known_zone(body.timezone):
        # The metrics and follow-up states are computed in this zone; an unknown one would
        # silently fall back to UTC.
        raise ValidationFailed(
            details=[
                {
                    "field": "timezone",
                    "type": "value_error",
                    "message": "Give an IANA time zone such as Europe/London.",
                }
            ]
        )
    business = await businesses.update_business(session, scope.user, scope.business, body)
    return businesses.business_out(
        ctx.settings, business, await businesses.get_form(session, scope.business_id)
    )


@router.post("/business/logo", response_model=BusinessOut)
async def upload_logo(
    scope: Scope,
    ctx: Ctx,
    session: Session,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP, at most 2 MB")],
) -> BusinessOut:
    """Set the business's logo (owners only; stored as a cleaned PNG, SVG refused)."""
    scope.require_owner("change the logo")
    data = await file.read(logos.MAX_LOGO_BYTES + 1)
    old = await logos.replace_logo(session, ctx.data_dir, scope.user, scope.business, data)
    background.add_task(logos.remove, ctx.data_dir, old)  # runs after the commit
    form = await businesses.get_form(session, scope.business_id)
    return businesses.business_out(ctx.settings, scope.business, form)


@router.delete("/business/logo", response_model=BusinessOut)
async def delete_logo(
    scope: Scope, ctx: Ctx, session: Session, background: BackgroundTasks
) -> BusinessOut:
    """Remove the business's logo (owners only)."""
    scope.require_owner("change the logo")
    old = await logos.clear_logo(session, scope.user, scope.business)
    background.add_task(logos.remove, ctx.data_dir, old)  # runs after the commit
    form = await businesses.get_form(session, scope.business_id)
    return businesses.business_out(ctx.settings, scope.business, form)


@router.get("/form", response_model=FormOut)
async def get_form(scope: Scope, ctx: Ctx, session: Session) -> FormOut:
    """The public form."""
    return businesses.form_out(ctx.settings, await businesses.get_form(session, scope.business_id))


@router.patch("/form", response_model=FormOut)
async def update_form(body: FormUpdate, scope: Scope, ctx: Ctx, session: Session) -> FormOut:
    """Edit the public form; a slug in use answers 409."""
    if body.slug is not None and not scope.is_owner:
        raise Forbidden("Only the business owner can change the form address.")
    form = await businesses.get_form(session, scope.business_id)
    return businesses.form_out(
        ctx.settings, await businesses.update_form(session, scope.user, form, body)
    )


@router.get("/metrics", response_model=OwnerMetrics)
async def metrics(scope: Scope, session: Session) -> OwnerMetrics:
    """KPIs and the 14-day lead chart, in the business's time zone."""
    return await owner_metrics(session, scope.business_id, scope.business.timezone)


@router.get("/team", response_model=list[team.TeamMember])
async def get_team(scope: Scope, session: Session) -> list[team.TeamMember]:
    """The business's owners and staff."""
    return await team.members(session, scope.business_id)


@router.post("/team/invites", response_model=team.TeamMember, status_code=201)
async def invite_member(
    body: team.TeamInvite, scope: Scope, ctx: Ctx, session: Session
) -> team.TeamMember:
    """Invite a staff member (owners only)."""
    scope.require_owner("invite people")
    return await team.invite(session, ctx, scope.business, scope.user, body)


@router.post("/team/{member_id}/deactivate", response_model=team.TeamMember)
async def deactivate_member(
    member_id: uuid.UUID, scope: Scope, session: Session
) -> team.TeamMember:
    """Remove a member's access to this business (owners only)."""
    scope.require_owner("change the team")
    return await team.deactivate(session, scope.business, scope.user, member_id)


@router.post("/team/{member_id}/reactivate", response_model=team.TeamMember)
async def reactivate_member(
    member_id: uuid.UUID, scope: Scope, session: Session
) -> team.TeamMember:
    """Give a deactivated member their access back (owners only)."""
    scope.require_owner("change the team")
    return await team.reactivate(session, scope.business, scope.user, member_id)


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return False
    return True

"""Rules for businesses and forms: creation with owner invite, edits with audit, status, slugs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.auth import repository as auth_repo
from server.auth.service import create_invite
from server.businesses import repository as repo
from server.businesses.slugs import candidates, slugify
from server.config import Settings
from server.context import ServerContext
from server.errors import Conflict, NotFound
from server.models.business import Business, BusinessMember, Form
from server.models.user import User
from shared.models.business import (
    BusinessCreate,
    BusinessOut,
    BusinessUpdate,
    FormOut,
    FormUpdate,
    PublicBusiness,
    PublicForm,
)
from shared.models.enums import BusinessStatus, MemberRole, UserRole

DEFAULT_SUCCESS = "Thanks! We received your request and will get back to you soon."
BUSINESS_FIELDS = (
    "name",
    "industry",
    "phone",
    "contact_email",
    "address",
    "brand_color",
    "smart_auto_reply",
    "owner_approval_required",
    "auto_reply_threshold",
    "facts",
    "timezone",
    "follow_up_enabled",
    "follow_up_delay_h",
    "reply_alerts",
)
FORM_FIELDS = ("slug", "title", "description", "success_message", "services", "active")


def form_url(settings: Settings, slug: str) -> str:
    return f"{settings.public_url}/forms/{slug}"


def logo_url(settings: Settings, business: Business) -> str | None:
    if not business.logo_path:
        return None
    return f"{settings.public_url}/media/logos/{business.logo_path}"


def business_out(settings: Settings, business: Business, form: Form | None) -> BusinessOut:
    out = BusinessOut.model_validate(business)
    out.logo_url = logo_url(settings, business)
    out.inbound_enabled = settings.inbound_enabled
    if form is not None:
        out.form_slug = form.slug
        out.form_url = form_url(settings, form.slug)
    return out


def form_out(settings: Settings, form: Form) -> FormOut:
    out = FormOut.model_validate(form)
    out.url = form_url(settings, form.slug)
    return out


def public_form(settings: Settings, form: Form, business: Business) -> PublicForm:
    return PublicForm(
        slug=form.slug,
        title=form.title,
        description=form.description,
        success_message=form.success_message,
        services=list(form.services or []),
        business=PublicBusiness(
            name=business.name,
            logo_url=logo_url(settings, business),
            brand_color=business.brand_color,
        ),
    )


def form_available(form: Form, business: Business) -> bool:
    return form.active and business.status == BusinessStatus.ACTIVE.value


async def create_business(
    session: AsyncSession, ctx: ServerContext, admin: User, body: BusinessCreate
) -> tuple[Business, Form]:
    """The business (``pending``), its form and its owner's invite, in the caller's transaction."""
    business, form = await _insert_with_unique_slug(session, body)
    owner = await auth_repo.user_by_email(session, body.owner.email)
    if owner is None:
        owner = User(
            id=uuid.uuid4(),
            email=body.owner.email.strip().lower(),
            full_name=body.owner.full_name,
            role=UserRole.BUSINESS_OWNER.value,
            is_active=True,
        )
        session.add(owner)
    session.add(
        BusinessMember(
            id=uuid.uuid4(), business_id=business.id, user_id=owner.id, role=MemberRole.OWNER.value
        )
    )
    await session.flush()
    await create_invite(
        session, ctx, user=owner, business=business, role=MemberRole.OWNER, invited_by=admin
    )
    audit.record(
        session,
        "business.created",
        actor=admin,
        business_id=business.id,
        entity="business",
        entity_id=business.id,
        new={
            **{f: getattr(business, f) for f in BUSINESS_FIELDS},
            "slug": business.slug,
            "owner_email": owner.email,
        },
    )
    return business, form


async def _insert_with_unique_slug(
    session: AsyncSession, body: BusinessCreate
) -> tuple[Business, Form]:
    base = slugify(body.name)
    for slug in candidates(base):
        if await repo.slug_taken(session, slug):
            continue
        business = Business(
            id=uuid.uuid4(),
            name=body.name,
            slug=slug,
            industry=body.industry,
            phone=body.phone,
            contact_email=str(body.contact_email).lower(),
            address=body.address,
            brand_color=body.brand_color or "#2563eb",
            status=BusinessStatus.PENDING.value,
            smart_auto_reply=body.smart_auto_reply,
            owner_approval_required=body.owner_approval_required,
            auto_reply_threshold=(
                body.auto_reply_threshold if body.auto_reply_threshold is not None else 0.75
            ),
            facts=body.facts,
            timezone=body.timezone or "UTC",
        )
        form = Form(
            id=uuid.uuid4(),
            business_id=business.id,
            slug=slug,
            title=f"Request a quote from {body.name}"[:200],
            description="Tell us what you need and we'll get back to you quickly.",
            success_message=DEFAULT_SUCCESS,
            services=list(body.services or []),
            active=True,
        )
        try:
            async with session.begin_nested():  # a concurrent creator may take the slug first
                session.add(business)
                await session.flush()
                session.add(form)
                await session.flush()
        except IntegrityError:
            continue
        return business, form
    raise Conflict("Could not find a free address for this business; try another name.")


async def get_business(session: AsyncSession, business_id: uuid.UUID) -> Business:
    business = await session.get(Business, business_id)
    if business is None:
        raise NotFound("No such business.")
    return business


async def update_business(
    session: AsyncSession, actor: User, business: Business, body: BusinessUpdate
) -> Business:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    if values.get("contact_email"):
        values["contact_email"] = str(values["contact_email"]).lower()
    for required in (
        "name",
        "contact_email",
        "brand_color",
        "smart_auto_reply",
        "owner_approval_required",
        "auto_reply_threshold",
        "timezone",
        "follow_up_enabled",
        "reply_alerts",
    ):
        if required in values and values[required] is None:
            values.pop(required)
    before = {key: getattr(business, key) for key in values}
    for key, value in values.items():
        setattr(business, key, value)
    old, new = audit.changes(before, values)
    if new:
        audit.record(
            session,
            "business.updated",
            actor=actor,
            business_id=business.id,
            entity="business",
            entity_id=business.id,
            old=old,
            new=new,
        )
    await session.flush()
    return business


async def set_status(
    session: AsyncSession, actor: User, business: Business, status: BusinessStatus
) -> Business:
    if business.status != status.value:
        audit.record(
            session,
            "business.status_changed",
            actor=actor,
            business_id=business.id,
            entity="business",
            entity_id=business.id,
            old={"status": business.status},
            new={"status": status.value},
        )
        business.status = status.value
        await session.flush()
    return business


async def get_form(session: AsyncSession, business_id: uuid.UUID) -> Form:
    form = await repo.form_of(session, business_id)
    if form is None:
        raise NotFound("This business has no form.")
    return form


async def update_form(session: AsyncSession, actor: User, form: Form, body: FormUpdate) -> Form:
    values: dict[str, Any] = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None
    }
    if "slug" in values and values["slug"] != form.slug:
        if await repo.slug_taken(session, values["slug"], except_form=form.id):
            raise Conflict("This form address is already taken.", code="slug_taken")
    before = {key: getattr(form, key) for key in values}
    for key, value in values.items():
        setattr(form, key, value)
    old, new = audit.changes(before, values)
    if new:
        audit.record(
            session,
            "form.updated",
            actor=actor,
            business_id=form.business_id,
            entity="form",
            entity_id=form.id,
            old=old,
            new=new,
        )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict("This form address is already taken.", code="slug_taken") from None
    return form


async def owners_of(session: AsyncSession, business_id: uuid.UUID) -> list[User]:
    rows = await session.execute(
        select(User)
        .join(BusinessMember, BusinessMember.user_id == User.id)
        .where(BusinessMember.business_id == business_id, BusinessMember.role == "owner")
    )
    return list(rows.scalars())

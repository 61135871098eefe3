"""Owner and staff accounts as the platform admin sees them: list, switch off and on, re-invite."""

from __future__ import annotations

import uuid

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.admin.records import RowQuery
from server.auth import repository as auth_repo
from server.auth.service import create_invite
from server.context import ServerContext
from server.errors import Conflict, NotFound
from server.models.business import Business, BusinessMember
from server.models.user import User
from shared.models.admin import AccountStatus
from shared.models.enums import BusinessStatus, MemberRole, UserRole

ACCOUNT_STATUS = case(
    (
        or_(User.is_active.is_(False), BusinessMember.is_active.is_(False)),
        AccountStatus.DEACTIVATED.value,
    ),
    (User.password_hash.is_(None), AccountStatus.INVITED.value),
    else_=AccountStatus.ACTIVE.value,
)


def accounts_query(
    *,
    q: str | None = None,
    business_id: uuid.UUID | None = None,
    status: AccountStatus | None = None,
    role: MemberRole | None = None,
) -> RowQuery:
    """One row per membership (an account in two businesses shows twice), newest first."""
    query = (
        select(
            User.id.label("user_id"),
            User.email,
            User.full_name,
            BusinessMember.role,
            ACCOUNT_STATUS.label("status"),
            Business.id.label("business_id"),
            Business.name.label("business_name"),
            Business.status.label("business_status"),
            User.last_login_at,
            BusinessMember.created_at,
        )
        .join(User, User.id == BusinessMember.user_id)
        .join(Business, Business.id == BusinessMember.business_id)
    )
    if business_id is not None:
        query = query.where(BusinessMember.business_id == business_id)
    if status is not None:
        query = query.where(ACCOUNT_STATUS == status.value)
    if role is not None:
        query = query.where(BusinessMember.role == role.value)
    text = (q or "").strip()
    if text:
        query = query.where(
            or_(
                User.email.icontains(text, autoescape=True),
                User.full_name.icontains(text, autoescape=True),
                Business.name.icontains(text, autoescape=True),
            )
        )
    return query.order_by(BusinessMember.created_at.desc(), BusinessMember.id.desc())


async def get_member_account(session: AsyncSession, user_id: uuid.UUID) -> User:
    """An owner or staff account (a user with at least one membership); super-admins are not."""
    user = await session.get(User, user_id)
    if user is None or user.role == UserRole.SUPER_ADMIN.value:
        raise NotFound("No such owner or staff account.")
    member = (
        await session.execute(
            select(BusinessMember.id).where(BusinessMember.user_id == user_id).limit(1)
        )
    ).scalar_one_or_none()
    if member is None:
        raise NotFound("No such owner or staff account.")
    return user


async def set_active(session: AsyncSession, admin: User, user: User, active: bool) -> User:
    """Switch an account off (its access and refresh tokens stop working at once) or back on."""
    if user.is_active != active:
        audit.record(
            session,
            "owner.reactivated" if active else "owner.deactivated",
            actor=admin,
            entity="user",
            entity_id=user.id,
            old={"is_active": user.is_active},
            new={"is_active": active},
            details={"email": user.email},
        )
        user.is_active = active
    if not active:
        await auth_repo.cut_off(session, user.id, None)
    await session.flush()
    return user


async def resend_invite(session: AsyncSession, ctx: ServerContext, admin: User, user: User) -> int:
    """A fresh invite for each business the account belongs to; the number sent."""
    if not user.is_active:
        raise Conflict(
            "This account is deactivated; reactivate it first.", code="account_deactivated"
        )
    if user.password_hash is not None:
        raise Conflict("This account has already set its password.", code="already_active")
    rows = (
        await session.execute(
            select(BusinessMember, Business)
            .join(Business, Business.id == BusinessMember.business_id)
            .where(
                BusinessMember.user_id == user.id,
                BusinessMember.is_active.is_(True),
                Business.status != BusinessStatus.ARCHIVED.value,
            )
            .order_by(BusinessMember.created_at)
        )
    ).all()
    if not rows:
        raise Conflict(
            "This account has no active membership to invite to.", code="no_active_membership"
        )
    for member, business in rows:
        await create_invite(
            session,
            ctx,
            user=user,
            business=business,
            role=MemberRole(member.role),
            invited_by=admin,
        )
        audit.record(
            session,
            "owner.invite_resent",
            actor=admin,
            business_id=business.id,
            entity="user",
            entity_id=user.id,
            details={"email": user.email, "role": member.role},
        )
    return len(rows)

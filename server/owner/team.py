"""The owner's team: staff invites and deactivation."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.auth import repository as auth_repo
from server.auth.service import create_invite
from server.context import ServerContext
from server.errors import Conflict, NotFound
from server.models.business import Business, BusinessMember
from server.models.user import User
from shared.models.enums import MemberRole, UserRole
from shared.models.team import TeamInvite, TeamMember


async def members(session: AsyncSession, business_id: uuid.UUID) -> list[TeamMember]:
    rows = await session.execute(
        select(BusinessMember, User)
        .join(User, User.id == BusinessMember.user_id)
        .where(BusinessMember.business_id == business_id)
        .order_by(BusinessMember.created_at)
    )
    return [
        TeamMember(
            member_id=m.id,
            user_id=u.id,
            email=u.email,
            full_name=u.full_name,
            role=MemberRole(m.role),
            status="deactivated"
            if not (m.is_active and u.is_active)
            else "invited"
            if u.password_hash is None
            else "active",
        )
        for m, u in rows
    ]


async def invite(
    session: AsyncSession, ctx: ServerContext, business: Business, owner: User, body: TeamInvite
) -> TeamMember:
    user = await auth_repo.user_by_email(session, body.email)
    if user is None:
        user = User(
            id=uuid.uuid4(),
            email=body.email.lower(),
            full_name=body.full_name[:160],
            role=UserRole.STAFF.value
            if body.role == MemberRole.STAFF
            else UserRole.BUSINESS_OWNER.value,
            is_active=True,
        )
        session.add(user)
        await session.flush()
    member = (
        await session.execute(
            select(BusinessMember).where(
                BusinessMember.business_id == business.id, BusinessMember.user_id == user.id
            )
        )
    ).scalar_one_or_none()
    if member is not None and member.is_active and user.password_hash is not None:
        raise Conflict("This person is already on the team.", code="already_member")
    if not user.is_active:
        # The platform switched this account off; an owner's invite must not switch it back on.
        raise Conflict(
            "This account has been deactivated by LeadFlow support.", code="account_deactivated"
        )
    if member is None:
        member = BusinessMember(
            id=uuid.uuid4(),
            business_id=business.id,
            user_id=user.id,
            role=body.role.value,
            is_active=True,
        )
        session.add(member)
        await session.flush()
    await create_invite(
        session, ctx, user=user, business=business, role=body.role, invited_by=owner
    )
    audit.record(
        session,
        "team.invited",
        actor=owner,
        business_id=business.id,
        entity="user",
        entity_id=user.id,
        new={"email": user.email, "role": body.role.value},
    )
    return await _one(session, business.id, member.id)


async def _member(
    session: AsyncSession, business: Business, member_id: uuid.UUID
) -> BusinessMember:
    member = (
        await session.execute(
            select(BusinessMember).where(
                BusinessMember.id == member_id, BusinessMember.business_id == business.id
            )
        )
    ).scalar_one_or_none()
    if member is None:
        raise NotFound("No such team member.")
    return member


async def deactivate(
    session: AsyncSession, business: Business, owner: User, member_id: uuid.UUID
) -> TeamMember:
    """End the member's access now: their logins and their pending invites to this business."""
    member = await _member(session, business, member_id)
    if member.user_id == owner.id:
        raise Conflict("You cannot deactivate yourself.", code="cannot_deactivate_self")
    if member.is_active:
        audit.record(
            session,
            "team.deactivated",
            actor=owner,
            business_id=business.id,
            entity="user",
            entity_id=member.user_id,
        )
    member.is_active = False
    await auth_repo.cut_off(session, member.user_id, business.id)
    await session.flush()
    return await _one(session, business.id, member.id)


async def reactivate(
    session: AsyncSession, business: Business, owner: User, member_id: uuid.UUID
) -> TeamMember:
    """Give a deactivated member their access back (they sign in again with their password)."""
    member = await _member(session, business, member_id)
    if not member.is_active:
        audit.record(
            session,
            "team.reactivated",
            actor=owner,
            business_id=business.id,
            entity="user",
            entity_id=member.user_id,
        )
        member.is_active = True
        await session.flush()
    return await _one(session, business.id, member.id)


async def _one(session: AsyncSession, business_id: uuid.UUID, member_id: uuid.UUID) -> TeamMember:
    return next(m for m in await members(session, business_id) if m.member_id == member_id)

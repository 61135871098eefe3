"""Queries of the auth slice."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.models.base import utcnow
from server.models.business import Business, BusinessMember
from server.models.user import Invite, RefreshToken, User
from shared.models.enums import BusinessStatus


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(User.email == email.strip().lower()))
    ).scalar_one_or_none()


async def memberships(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[BusinessMember, Business]]:
    """The user's active memberships of businesses that are not archived, oldest first."""
    rows = await session.execute(
        select(BusinessMember, Business)
        .join(Business, Business.id == BusinessMember.business_id)
        .where(
            BusinessMember.user_id == user_id,
            BusinessMember.is_active.is_(True),
            Business.status != BusinessStatus.ARCHIVED.value,
        )
        .order_by(BusinessMember.created_at)
    )
    return [(member, business) for member, business in rows]


async def user_with_memberships(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[User | None, list[tuple[BusinessMember, Business]]]:
    """The user and what ``memberships`` gives for them, in one query (the request's auth)."""
    counted = and_(
        BusinessMember.user_id == User.id,
        BusinessMember.is_active.is_(True),
        BusinessMember.business_id.in_(
            select(Business.id).where(Business.status != BusinessStatus.ARCHIVED.value)
        ),
    )
    rows = (
        await session.execute(
            select(User, BusinessMember, Business)
            .select_from(User)
            .outerjoin(BusinessMember, counted)
            .outerjoin(Business, Business.id == BusinessMember.business_id)
            .where(User.id == user_id)
            .order_by(BusinessMember.created_at)
        )
    ).all()
    if not rows:
        return None, []
    memberships = [(member, business) for _, member, business in rows if member is not None]
    return rows[0][0], memberships


async def refresh_token_by_digest(session: AsyncSession, digest: str) -> RefreshToken | None:
    return (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == digest).with_for_update()
        )
    ).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def invite_by_digest(session: AsyncSession, digest: str, kind: str) -> Invite | None:
    return (
        await session.execute(
            select(Invite).where(Invite.token_hash == digest, Invite.kind == kind).with_for_update()
        )
    ).scalar_one_or_none()


async def expire_open_invites(
    session: AsyncSession, user_id: uuid.UUID, kind: str, business_id: uuid.UUID | None
) -> None:
    """Older unused links of the same kind stop working when a new one is sent."""
    query = update(Invite).where(
        Invite.user_id == user_id, Invite.kind == kind, Invite.used_at.is_(None)
    )
    if business_id is not None:
        query = query.where(Invite.business_id == business_id)
    await session.execute(query.values(expires_at=utcnow()))


async def cut_off(session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID | None) -> None:
    """What a deactivation ends at once: the user's logins (every device signs out on its next
    refresh) and their unused links, of ``business_id`` only or, for the whole account, all of
    them (password resets too), so no mail sent earlier can bring the person back."""
    await revoke_user_tokens(session, user_id)
    query = update(Invite).where(
        Invite.user_id == user_id, Invite.used_at.is_(None), Invite.expires_at > utcnow()
    )
    if business_id is not None:
        query = query.where(Invite.business_id == business_id)
    await session.execute(query.values(expires_at=utcnow()))

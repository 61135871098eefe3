"""Rules of sign-in: logins with limits, rotating refresh tokens, invites and password resets."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit, ratelimit
from server.auth import repository as repo
from server.auth.security import (
    create_access_token,
    hash_password,
    new_token,
    successor_token,
    token_digest,
    verify_password,
)
from server.context import ServerContext
from server.errors import AppError, NotAuthenticated, RateLimited
from server.mail.service import queue_email
from server.models.base import utcnow
from server.models.business import Business, BusinessMember
from server.models.user import Invite, RefreshToken, User
from shared.models.auth import MembershipOut, MeResponse, TokenResponse, UserOut
from shared.models.enums import EmailKind, MemberRole

INVITE = "invite"
RESET = "reset"
IP_FAILURE_LIMIT_FACTOR = 4
RESET_MAILS_PER_HOUR = 3
REFRESH_REUSE_GRACE_S = 30


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message = "Wrong email or password."
    keep_changes = True  # the failed attempt is counted even though the request fails


class InvalidRefreshToken(NotAuthenticated):
    code = "invalid_refresh_token"
    message = "Your session has ended. Sign in again."
    keep_changes = True  # a reused token revokes its whole login, and that must stick


class AccountDeactivated(NotAuthenticated):
    code = "account_deactivated"
    message = "Your account has been deactivated. Ask the business owner or LeadFlow support."
    keep_changes = True  # the presented token's login is revoked all the same


class InvalidLinkToken(AppError):
    status_code = 400
    code = "invalid_token"
    message = "This link is invalid, used or expired. Ask for a new one."


async def me(session: AsyncSession, user: User) -> MeResponse:
    rows = await repo.memberships(session, user.id)
    return MeResponse(
        user=UserOut.model_validate(user),
        memberships=[
            MembershipOut(business_id=b.id, business_name=b.name, role=MemberRole(m.role))
            for m, b in rows
        ],
    )


async def _issue(
    session: AsyncSession,
    ctx: ServerContext,
    user: User,
    family_id: uuid.UUID | None = None,
    refresh: str | None = None,
) -> TokenResponse:
    now = utcnow()
    row = RefreshToken(
        id=uuid.uuid4(),
        user_id=user.id,
        family_id=family_id or uuid.uuid4(),
        token_hash=token_digest(refresh := refresh or new_token()),
        created_at=now,
        expires_at=now + timedelta(seconds=ctx.settings.refresh_token_ttl_s),
    )
    session.add(row)
    return await _pair(session, ctx, user, row, refresh)


async def _pair(
    session: AsyncSession, ctx: ServerContext, user: User, row: RefreshToken, refresh: str
) -> TokenResponse:
    """The answer for the refresh token ``row``: its access token is made from the row (its
    time and id), so answering for the same row again gives the same pair."""
    settings = ctx.settings
    profile = await me(session, user)
    return TokenResponse(
        access_token=create_access_token(
            settings.secret_key.get_secret_value(),
            user.id,
            settings.access_token_ttl_s,
            issued_at=row.created_at,
            jti=row.id.hex[:16],
        ),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_s,
        user=profile.user,
        memberships=profile.memberships,
    )


async def login(
    session: AsyncSession, ctx: ServerContext, email: str, password: str, ip: str
) -> TokenResponse:
    settings = ctx.settings
    email = email.strip().lower()
    email_key = f"login:email:{email}"
    limits = [
        (email_key, settings.login_max_failures),
        (f"login:ip:{ratelimit.sender(ip)}", settings.login_max_failures * IP_FAILURE_LIMIT_FACTOR),
    ]
    # Each attempt is counted before the password is checked, in a short transaction of its
    # own: parallel guesses cannot all pass a count taken before any of them failed, and no
    # write transaction (on SQLite: the one writer) waits for argon2.
    async with ctx.db.session() as counting:
        attempt = await ratelimit.take(
            counting, limits, settings.login_window_s, "Too many failed sign-ins. Try again later."
        )
    async with ctx.db.read_session() as reading:
        found = await repo.user_by_email(reading, email)
        password_hash = found.password_hash if found is not None and found.is_active else None
    # argon2 is deliberately slow: verify off the event loop so other requests keep moving.
    if not await asyncio.to_thread(verify_password, password_hash, password):
        raise InvalidCredentials()  # the attempt stays counted as a failure
    user = await repo.user_by_email(session, email)
    if user is None or not user.is_active:  # switched off while the password was checked
        raise InvalidCredentials()
    await ratelimit.clear(session, email_key)
    await ratelimit.forget(session, attempt)
    user.last_login_at = utcnow()
    return await _issue(session, ctx, user)


async def refresh(session: AsyncSession, ctx: ServerContext, token: str) -> TokenResponse:
    row = await repo.refresh_token_by_digest(session, token_digest(token))
    if row is None:
        raise InvalidRefreshToken()
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        # Said plainly, so the app signing out tells the person why (only a holder of one of
        # the account's refresh tokens learns it).
        await repo.revoke_family(session, row.family_id)
        raise AccountDeactivated()
    secret = ctx.settings.secret_key.get_secret_value()
    successor = successor_token(secret, token)
    if row.used_at is not None and row.revoked_at is None:
        if utcnow() - row.used_at <= timedelta(seconds=REFRESH_REUSE_GRACE_S):
            # The answer to the trade was lost (a dropped connection): the same pair again.
            # Only the successor that was never used counts, as Auth0's reuse interval does.
            new = await repo.refresh_token_by_digest(session, token_digest(successor))
            if new is not None and new.used_at is None and new.revoked_at is None:
                return await _pair(session, ctx, user, new, successor)
    if row.used_at is not None or row.revoked_at is not None:
        # A used token presented again means it leaked: end that login everywhere.
        await repo.revoke_family(session, row.family_id)
        raise InvalidRefreshToken()
    if row.expires_at <= utcnow():
        raise InvalidRefreshToken()
    row.used_at = utcnow()
    return await _issue(session, ctx, user, family_id=row.family_id, refresh=successor)


async def logout(session: AsyncSession, token: str) -> None:
    row = await repo.refresh_token_by_digest(session, token_digest(token))
    if row is not None:
        await repo.revoke_family(session, row.family_id)


async def create_invite(
    session: AsyncSession,
    ctx: ServerContext,
    *,
    user: User,
    business: Business,
    role: MemberRole,
    invited_by: User | None,
) -> Invite:
    """A fresh single-use invite link for ``user`` to ``business``, mailed in this transaction."""
    await repo.expire_open_invites(session, user.id, INVITE, business.id)
    token = new_token()
    now = utcnow()
    invite = Invite(
        id=uuid.uuid4(),
        kind=INVITE,
        token_hash=token_digest(token),
        user_id=user.id,
        business_id=business.id,
        role=role.value,
        created_by=invited_by.id if invited_by else None,
        created_at=now,
        expires_at=now + timedelta(seconds=ctx.settings.invite_ttl_s),
    )
    session.add(invite)
    await queue_email(
        session,
        ctx.settings,
        kind=EmailKind.INVITE,
        to=user.email,
        subject=f"You're invited to {business.name} on LeadFlow",
        template="invite",
        context={
            "header": business.name,
            "brand_color": business.brand_color,
            "full_name": user.full_name,
            "business_name": business.name,
            "inviter": invited_by.full_name or invited_by.email if invited_by else "LeadFlow",
            "link": f"{ctx.settings.public_url}/invite/{token}",
            "days": max(1, ctx.settings.invite_ttl_s // 86_400),
        },
        business_id=business.id,
    )
    return invite


async def invite_details(session: AsyncSession, token: str) -> tuple[Invite, User, Business]:
    invite = await repo.invite_by_digest(session, token_digest(token), INVITE)
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        raise InvalidLinkToken()
    user = await session.get(User, invite.user_id)
    business = await session.get(Business, invite.business_id) if invite.business_id else None
    if user is None or business is None or not user.is_active:
        # A deactivated account comes back only through an admin's reactivation, never
        # through a link mailed before (deactivation expires those; this is the net).
        raise InvalidLinkToken()
    return invite, user, business


async def accept_invite(
    session: AsyncSession, ctx: ServerContext, token: str, password: str, full_name: str | None
) -> TokenResponse:
    invite, user, business = await invite_details(session, token)
    invite.used_at = utcnow()
    user.password_hash = await asyncio.to_thread(hash_password, password)
    if full_name:
        user.full_name = full_name.strip()
    member = (
        await session.execute(
            select(BusinessMember).where(
                BusinessMember.user_id == user.id, BusinessMember.business_id == business.id
            )
        )
    ).scalar_one_or_none()
    if member is None:
        member = BusinessMember(
            id=uuid.uuid4(), business_id=business.id, user_id=user.id, role=invite.role or "staff"
        )
        session.add(member)
    elif not member.is_active:
        # Deactivation expired every invite it found, so this one was sent after it: the
        # owner's new invite is the decision to take the person back (audited as team.invited).
        member.is_active = True
    audit.record(
        session,
        "invite.accepted",
        actor=user,
        business_id=business.id,
        entity="user",
        entity_id=user.id,
    )
    await session.flush()
    return await _issue(session, ctx, user)


async def forgot_password(session: AsyncSession, ctx: ServerContext, email: str, ip: str) -> None:
    """Mail a reset link if the account exists; the caller answers 202 either way.

    Per client address the route is limited like sign-in (429); per email address at most
    ``RESET_MAILS_PER_HOUR`` links go out, counted whether the account exists or not, and the
    answer is the same past it."""
    settings = ctx.settings
    email = email.strip().lower()
    await ratelimit.take(
        session,
        [
            (
                f"forgot:ip:{ratelimit.sender(ip)}",
                settings.login_max_failures * IP_FAILURE_LIMIT_FACTOR,
            )
        ],
        settings.login_window_s,
        "Too many requests. Try again later.",
    )
    try:
        await ratelimit.take(
            session, [(f"forgot:email:{email}", RESET_MAILS_PER_HOUR)], 3600, "no more mail"
        )
    except RateLimited:
        return
    user = await repo.user_by_email(session, email)
    if user is None or not user.is_active:
        return
    await repo.expire_open_invites(session, user.id, RESET, None)
    token = new_token()
    now = utcnow()
    session.add(
        Invite(
            id=uuid.uuid4(),
            kind=RESET,
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=ctx.settings.reset_ttl_s),
        )
    )
    await queue_email(
        session,
        ctx.settings,
        kind=EmailKind.PASSWORD_RESET,
        to=user.email,
        subject="Reset your LeadFlow password",
        template="password_reset",
        context={
            "header": "LeadFlow",
            "full_name": user.full_name,
            "link": f"{ctx.settings.public_url}/reset/{token}",
            "minutes": max(1, ctx.settings.reset_ttl_s // 60),
        },
    )


async def reset_password(session: AsyncSession, token: str, password: str) -> User:
    invite = await repo.invite_by_digest(session, token_digest(token), RESET)
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        raise InvalidLinkToken()
    user = await session.get(User, invite.user_id)
    if user is None or not user.is_active:
        raise InvalidLinkToken()
    invite.used_at = utcnow()
    user.password_hash = await asyncio.to_thread(hash_password, password)
    await repo.revoke_user_tokens(session, user.id)  # a reset ends every existing login
    audit.record(session, "password.reset", actor=user, entity="user", entity_id=user.id)
    return user


async def reset_link_valid(session: AsyncSession, token: str) -> bool:
    invite = await repo.invite_by_digest(session, token_digest(token), RESET)
    return invite is not None and invite.used_at is None and invite.expires_at > utcnow()

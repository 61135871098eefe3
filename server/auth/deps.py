"""Who is calling: the current user, super-admin only, and the business scope (CONTRACT §3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import repository as repo
from server.auth.security import read_access_token
from server.context import ServerContext
from server.deps import Ctx, ReadSession, Session
from server.errors import AppError, Forbidden, NotAuthenticated, NotFound
from server.models.business import Business
from server.models.user import User
from shared.models.enums import MemberRole, UserRole


class BusinessRequired(AppError):
    status_code = 400
    code = "business_required"
    message = "You belong to several businesses: choose one with the X-Business-Id header."


def _token_user_id(request: Request, ctx: ServerContext) -> uuid.UUID:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    user_id = read_access_token(ctx.settings.secret_key.get_secret_value(), token.strip())
    if user_id is None:
        raise NotAuthenticated("Your session has expired. Sign in again.", code="invalid_token")
    return user_id


def _require_active(user: User | None) -> User:
    if user is None or not user.is_active:
        raise NotAuthenticated("Your account is not active.", code="invalid_token")
    return user


async def current_user(request: Request, ctx: Ctx, session: Session) -> User:
    return _require_active(await session.get(User, _token_user_id(request, ctx)))


CurrentUser = Annotated[User, Depends(current_user)]


async def super_admin(user: CurrentUser) -> User:
    if user.role != UserRole.SUPER_ADMIN.value:
        raise Forbidden("Only platform administrators can do this.")
    return user


SuperAdmin = Annotated[User, Depends(super_admin)]


@dataclass(frozen=True)
class BusinessScope:
    """The business a request acts on, and the caller's role in it; every owner query uses it."""

    user: User
    business: Business
    role: MemberRole

    @property
    def business_id(self) -> uuid.UUID:
        return self.business.id

    @property
    def is_owner(self) -> bool:
        return self.role == MemberRole.OWNER

    def require_owner(self, what: str = "do this") -> None:
        if not self.is_owner:
            raise Forbidden(f"Only the business owner can {what}.")


async def _business_scope(
    request: Request, ctx: ServerContext, session: AsyncSession
) -> BusinessScope:
    """The caller and the business it acts on, from one query (every owner request runs it).

    The same rules as ``current_user`` and ``repo.memberships``: an inactive user is 401; only
    active memberships of businesses that are not archived count.
    """
    user, rows = await repo.user_with_memberships(session, _token_user_id(request, ctx))
    user = _require_active(user)
    if not rows:  # also with X-Business-Id: a removed member's app learns why, and signs out
        raise NotFound("You are not a member of any active business.", code="no_business")
    wanted = request.headers.get("x-business-id")
    if wanted is None:
        if len(rows) == 1:
            member, business = rows[0]
            return BusinessScope(user, business, MemberRole(member.role))
        raise BusinessRequired()
    try:
        wanted_id = uuid.UUID(wanted.strip())
    except ValueError:
        raise NotFound("No such business.") from None
    for member, business in rows:
        if business.id == wanted_id:
            return BusinessScope(user, business, MemberRole(member.role))
    raise NotFound("No such business.")


async def business_scope(request: Request, ctx: Ctx, session: Session) -> BusinessScope:
    return await _business_scope(request, ctx, session)


async def read_business_scope(request: Request, ctx: Ctx, session: ReadSession) -> BusinessScope:
    """The business scope loaded in the request's read session, for routes that only read."""
    return await _business_scope(request, ctx, session)


Scope = Annotated[BusinessScope, Depends(business_scope)]
ReadScope = Annotated[BusinessScope, Depends(read_business_scope)]

"""Auth routes (CONTRACT §4)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server import ratelimit
from server.auth import service
from server.auth.deps import CurrentUser
from server.deps import Ctx, Session
from shared.models.auth import (
    InviteAcceptRequest,
    LoginRequest,
    MeResponse,
    PasswordForgotRequest,
    PasswordResetRequest,
    RefreshRequest,
    TokenResponse,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokenResponse)
async def login(body: LoginRequest, request: Request, ctx: Ctx, session: Session) -> TokenResponse:
    """Sign in with email and password."""
    ip = ratelimit.client_ip(request, ctx.settings.trusted_proxies)
    return await service.login(session, ctx, body.email, body.password, ip)


@router.post("/refresh", response_model=TokenResponse)
async def refresh(body: RefreshRequest, ctx: Ctx, session: Session) -> TokenResponse:
    """Trade a refresh token (once) for a new token pair."""
    return await service.refresh(session, ctx, body.refresh_token)


@router.post("/logout", status_code=204)
async def logout(body: RefreshRequest, session: Session) -> Response:
    """End the login this refresh token belongs to."""
    await service.logout(session, body.refresh_token)
    return Response(status_code=204)


@router.get("/me", response_model=MeResponse)
async def me(user: CurrentUser, session: Session) -> MeResponse:
    """The signed-in user and their business memberships."""
    return await service.me(session, user)


@router.post("/invites/accept", response_model=TokenResponse)
async def accept_invite(body: InviteAcceptRequest, ctx: Ctx, session: Session) -> TokenResponse:
    """Accept an invite: set the password and sign in."""
    return await service.accept_invite(session, ctx, body.token, body.password, body.full_name)


@router.post("/password/forgot", status_code=202)
async def forgot_password(
    body: PasswordForgotRequest, request: Request, ctx: Ctx, session: Session
) -> Response:
    """Mail a password-reset link if the account exists (202 whether it does or not)."""
    ip = ratelimit.client_ip(request, ctx.settings.trusted_proxies)
    await service.forgot_password(session, ctx, body.email, ip)
    return Response(status_code=202)


@router.post("/password/reset", status_code=204)
async def reset_password(body: PasswordResetRequest, session: Session) -> Response:
    """Set a new password with a reset link's token."""
    await service.reset_password(session, body.token, body.password)
    return Response(status_code=204)

"""Browser pages for invite links and password-reset links."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from server.auth import service
from server.auth.security import MIN_PASSWORD_LENGTH
from server.deps import Ctx, Session
from server.errors import AppError
from server.web import message_page, page

router = APIRouter(include_in_schema=False)

UNUSABLE = ("This link cannot be used", "It was already used or has expired. Ask for a new one.")


def _password_problem(password: str, confirm: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    if password != confirm:
        return "The two passwords are not the same."
    return None


@router.get("/invite/{token}", response_class=HTMLResponse)
async def invite_page(token: str, request: Request, session: Session) -> HTMLResponse:
    try:
        _invite, user, business = await service.invite_details(session, token)
    except AppError:
        return message_page(request, *UNUSABLE, status=404)
    return page(
        request,
        "set_password.html",
        {
            "heading": f"Join {business.name} on LeadFlow",
            "intro": f"Set a password for {user.email}.",
            "ask_name": True,
            "full_name": user.full_name,
            "button": "Set password",
            "brand_color": business.brand_color,
        },
    )


@router.post("/invite/{token}", response_class=HTMLResponse)
async def invite_submit(
    token: str,
    request: Request,
    ctx: Ctx,
    session: Session,
    password: str = Form(""),
    password_confirm: str = Form(""),
    full_name: str = Form(""),
) -> HTMLResponse:
    try:
        _invite, user, business = await service.invite_details(session, token)
    except AppError:
        return message_page(request, *UNUSABLE, status=404)
    problem = _password_problem(password, password_confirm)
    if problem:
        return page(
            request,
            "set_password.html",
            {
                "heading": f"Join {business.name} on LeadFlow",
                "intro": f"Set a password for {user.email}.",
                "ask_name": True,
                "full_name": full_name,
                "button": "Set password",
                "error": problem,
                "brand_color": business.brand_color,
            },
            status=422,
        )
    await service.accept_invite(session, ctx, token, password, full_name[:160] or None)
    return message_page(
        request,
        "You're all set",
        f"Your password is set. Open the LeadFlow app and sign in as {user.email}.",
    )


@router.get("/reset/{token}", response_class=HTMLResponse)
async def reset_page(token: str, request: Request, session: Session) -> HTMLResponse:
    if not await service.reset_link_valid(session, token):
        return message_page(request, *UNUSABLE, status=404)
    return page(
        request,
        "set_password.html",
        {
            "heading": "Choose a new password",
            "ask_name": False,
            "button": "Save password",
        },
    )


@router.post("/reset/{token}", response_class=HTMLResponse)
async def reset_submit(
    token: str,
    request: Request,
    session: Session,
    password: str = Form(""),
    password_confirm: str = Form(""),
) -> HTMLResponse:
    problem = _password_problem(password, password_confirm)
    if problem:
        return page(
            request,
            "set_password.html",
            {
                "heading": "Choose a new password",
                "ask_name": False,
                "button": "Save password",
                "error": problem,
            },
            status=422,
        )
    try:
        await service.reset_password(session, token, password)
    except AppError:
        return message_page(request, *UNUSABLE, status=404)
    return message_page(request, "Password changed", "Sign in to LeadFlow with your new password.")

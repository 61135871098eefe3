"""The branded public form page (no JavaScript needed), its success page and QR codes."""

from __future__ import annotations

import io
import time
import uuid
from typing import Annotated

import jwt
import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from server import ratelimit
from server.auth.security import ALGORITHM, purpose_key
from server.businesses import repository as business_repo
from server.businesses.service import form_url, logo_url
from server.context import ServerContext
from server.deps import Ctx, ReadSession
from server.errors import RateLimited, ValidationFailed, field_errors
from server.intake import service
from server.web import message_page, page
from shared.models.enums import BusinessStatus
from shared.models.leads import SubmissionIn

router = APIRouter(include_in_schema=False)
CLOSED_BUSINESS = frozenset({BusinessStatus.PAUSED.value, BusinessStatus.ARCHIVED.value})

SlugPath = Annotated[str, Path(max_length=80)]
FIELDS = (
    "customer_name",
    "customer_email",
    "customer_phone",
    "service_needed",
    "preferred_time",
    "message",
    "submission_id",
    "website",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
)


FORM_TOKEN_TTL_S = 86_400
EXPIRED_NOTICE = "This page was open for a long time. Please check your details and send it again."


def _form_key(ctx: ServerContext) -> str:
    return purpose_key(ctx.settings.secret_key.get_secret_value(), "form-token")


def _form_token(ctx: ServerContext, slug: str, submission_id: str) -> str:
    """When the page was rendered, for which form and which submission, signed: a submit can
    prove a person had time to fill it, and one page stores at most one lead (a token is
    good only with its own ``submission_id``, which is stored once however often it comes)."""
    now = time.time()
    return jwt.encode(
        {"f": slug, "s": submission_id, "t": now, "exp": int(now + FORM_TOKEN_TTL_S)},
        _form_key(ctx),
        algorithm=ALGORITHM,
    )


class _StaleToken(Exception):
    """A form token that is expired, forged, for another form or replayed with another
    submission: the visitor gets the form back (nothing is stored)."""


def _filled_too_fast(ctx: ServerContext, slug: str, submission_id: str, token: str) -> bool:
    if not token:
        return True  # no page was rendered: a script posting straight to the form
    try:
        claims = jwt.decode(
            token, _form_key(ctx), algorithms=[ALGORITHM], options={"require": ["exp", "t"]}
        )
    except jwt.PyJWTError:
        raise _StaleToken() from None
    if claims.get("f") != slug or claims.get("s") != submission_id:
        raise _StaleToken()
    return bool(time.time() - float(claims["t"]) < ctx.settings.form_min_fill_s)


def _unavailable(request: Request) -> HTMLResponse:
    return message_page(
        request,
        "This form is unavailable",
        "The business is not taking requests through this form right now.",
        status=404,
    )


async def _render(
    request: Request,
    ctx: Ctx,
    session: ReadSession,
    slug: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    form, business = await service.available_form(session, slug)
    values = {**values, "referrer": values.get("referrer") or request.headers.get("referer", "")}
    submission_id = values.get("submission_id") or str(uuid.uuid4())
    return page(
        request,
        "form.html",
        {
            "form": form,
            "business": business,
            "brand_color": business.brand_color,
            "logo_url": logo_url(ctx.settings, business),
            "values": values,
            "errors": errors,
            "notice": notice,
            "submission_id": submission_id,
            "form_token": _form_token(ctx, slug, submission_id),
        },
        status,
    )


@router.get("/forms/{slug}", response_class=HTMLResponse)
async def form_page(
    slug: SlugPath, request: Request, ctx: Ctx, session: ReadSession
) -> HTMLResponse:
    params = {
        k: v[:200] for k, v in request.query_params.items() if k.startswith("utm_") and k in FIELDS
    }
    try:
        return await _render(request, ctx, session, slug, params, {})
    except service.FormUnavailable:
        return _unavailable(request)


@router.post("/forms/{slug}", response_class=HTMLResponse)
async def form_submit(
    slug: SlugPath, request: Request, ctx: Ctx, session: ReadSession
) -> HTMLResponse:
    raw = await request.form()
    values = {name: str(raw.get(name) or "") for name in FIELDS}
    try:
        _form, business = await service.available_form(session, slug)
    except service.FormUnavailable:
        return _unavailable(request)
    errors: dict[str, str] = {}
    try:
        data = SubmissionIn.model_validate(
            {k: (v if v != "" else None) for k, v in values.items() if k != "message"}
            | {"message": values["message"]}
        )
    except ValidationError as error:
        errors = {
            e["field"] or "form": _friendly(e["field"])
            for e in field_errors([dict(e) for e in error.errors()])
        }
        return await _render(request, ctx, session, slug, values, errors, status=422)
    try:
        too_fast = _filled_too_fast(
            ctx, slug, values["submission_id"], str(raw.get("form_token") or "")
        )
    except _StaleToken:
        fresh = {**values, "submission_id": str(uuid.uuid4())}
        return await _render(
            request, ctx, session, slug, fresh, {}, status=422, notice=EXPIRED_NOTICE
        )
    ip = ratelimit.client_ip(request, ctx.settings.trusted_proxies)
    try:
        result = await service.submit(
            ctx.db, ctx.settings, slug, data, client_ip=ip, too_fast=too_fast
        )
    except ValidationFailed as error:
        errors = {d["field"]: d["message"] for d in error.details}
        return await _render(request, ctx, session, slug, values, errors, status=422)
    except RateLimited as error:
        response = await _render(
            request, ctx, session, slug, values, {}, status=429, notice=error.message
        )
        response.headers.update(error.headers or {})
        return response
    return page(
        request,
        "form_success.html",
        {
            "success_message": result.success_message,
            "business_name": business.name,
            "brand_color": business.brand_color,
        },
    )


def _friendly(field: str | None) -> str:
    return {
        "customer_name": "Please enter your name (2 to 160 characters).",
        "customer_email": "Please enter a valid email address.",
        "customer_phone": "Please enter a valid phone number.",
        "service_needed": "Please keep this under 180 characters.",
        "preferred_time": "Please keep this under 180 characters.",
        "message": "Please keep your message under 5000 characters.",
    }.get(field or "", "Please check this field.")


async def _qr_target(ctx: Ctx, session: ReadSession, slug: str) -> str:
    """A form has a QR code before it takes requests (an owner prints it before the business
    or the form is switched on), but not once its business is paused or archived: the form
    answers 404 then, and so does its code."""
    found = await business_repo.form_by_slug(session, slug)
    if found is None or found[1].status in CLOSED_BUSINESS:
        raise service.FormUnavailable()
    return form_url(ctx.settings, found[0].slug)


@router.get("/forms/{slug}/qr.png")
async def qr_png(slug: SlugPath, ctx: Ctx, session: ReadSession) -> Response:
    image = qrcode.make(await _qr_target(ctx, session, slug), box_size=10, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(
        buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/forms/{slug}/qr.svg")
async def qr_svg(slug: SlugPath, ctx: Ctx, session: ReadSession) -> Response:
    image = qrcode.make(
        await _qr_target(ctx, session, slug),
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=4,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=300"},
    )

"""Public JSON routes of the form (CONTRACT §5), for embedding and apps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from server import ratelimit
from server.businesses.service import public_form
from server.deps import Ctx, ReadSession, context_of
from server.intake import service
from shared.models.business import PublicForm
from shared.models.leads import SubmissionIn, SubmitResponse

router = APIRouter(prefix="/api/v1/public", tags=["public"])

SlugPath = Annotated[str, Path(max_length=80)]


@router.get("/forms/{slug}", response_model=PublicForm)
async def get_form(slug: SlugPath, ctx: Ctx, session: ReadSession) -> PublicForm:
    """The public description of a form."""
    form, business = await service.available_form(session, slug)
    return public_form(ctx.settings, form, business)


@router.post("/forms/{slug}/submit", status_code=202, response_model=SubmitResponse)
async def submit(slug: SlugPath, body: SubmissionIn, request: Request) -> JSONResponse:
    """Submit a lead; 202 once it is durably stored (analysis and mail follow)."""
    ctx = context_of(request)  # not the ``Ctx`` dependency: one dependency less to solve
    ip = ratelimit.client_ip(request, ctx.settings.trusted_proxies)
    result = await service.submit(ctx.db, ctx.settings, slug, body, client_ip=ip)
    return JSONResponse(
        SubmitResponse(message=result.success_message).model_dump(), status_code=202
    )

"""Public JSON routes of the form (CONTRACT §5), for embedding and apps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from server import ratelimit
from server.businesses.service import public_form
from server.context import ServerContext
from server.deps import ReadSession
from server.intake import service
from shared.models.business import PublicForm
from shared.models.leads import SubmissionIn, SubmitResponse

router = APIRouter(prefix="/api/v1/public", tags=["public"])

SlugPath = Annotated[str, Path(max_length=80)]


async def _context(request: Request) -> ServerContext:
    """The server context. A coroutine: FastAPI runs a plain-function dependency such as
    ``deps.get_ctx`` in its thread pool, a thread hand-off per request on the hottest route."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServerContext, Depends(_context)]


@router.get("/forms/{slug}", response_model=PublicForm)
async def get_form(slug: SlugPath, ctx: Ctx, session: ReadSession) -> PublicForm:
    """The public description of a form."""
    form, business = await service.available_form(session, slug)
    return public_form(ctx.settings, form, business)


@router.post("/forms/{slug}/submit", status_code=202, response_model=SubmitResponse)
async def submit(slug: SlugPath, body: SubmissionIn, request: Request, ctx: Ctx) -> JSONResponse:
    """Submit a lead; 202 once it is durably stored (analysis and mail follow)."""
    ip = ratelimit.client_ip(request, ctx.settings.trusted_proxies)
    result = await service.submit(ctx.db, ctx.settings, slug, body, client_ip=ip)
    return JSONResponse(
        SubmitResponse(message=result.success_message).model_dump(), status_code=202
    )

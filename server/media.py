"""Public media: the business logos that forms, mails and apps show (``/media/logos/{name}``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.admin import logos
from server.deps import Ctx
from server.errors import NotFound

router = APIRouter(tags=["media"])


@router.get("/media/logos/{name}", response_class=FileResponse)
async def logo(name: str, ctx: Ctx) -> FileResponse:
    """A stored logo (PNG). Names are random and never reused, so the file may be cached."""
    path = logos.path_of(ctx.data_dir, name)
    if path is None:
        raise NotFound("No such logo.")
    return FileResponse(
        path,
        media_type="image/png",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )

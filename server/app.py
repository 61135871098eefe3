"""``create_app``: the FastAPI application with its routers, error handlers and background side."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from server.config import Settings
from server.context import ServerContext, build_context
from server.errors import error_body, install_error_handlers
from server.middleware import BodyLimitMiddleware

log = logging.getLogger(__name__)

UPLOAD_PATH_SUFFIXES = ("/logo",)
INBOUND_PATH = "/api/v1/inbound/email"


# CPU work in threads (the built-in analyser, run_write) holds the interpreter lock; the event
# loop waits for it up to this long per hand-off, so requests stay quick meanwhile
# (docs/BENCHMARKS.md, "Interpreter switch interval").
GIL_SWITCH_INTERVAL_S = 0.001


def create_app(
    settings: Settings | None = None,
    *,
    ctx: ServerContext | None = None,
    run_worker: bool = False,
) -> FastAPI:
    """Build the app. With ``run_worker`` the process also runs the background jobs."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    if ctx is None:
        if settings is None:
            from server.config import load_settings

            settings = load_settings()
        ctx = build_context(settings)
    settings = ctx.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from server.sync.events import EventHub

        runtime = None
        hub: EventHub = app.state.events
        await hub.start()
        if run_worker:
            from server.jobs.runtime import BackgroundRuntime

            runtime = BackgroundRuntime(ctx)
            runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                await runtime.stop()
            await hub.stop()
            await ctx.db.dispose()

    app = FastAPI(
        title="LeadFlow API",
        version="1",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    from server.sync.events import EventHub

    app.state.events = EventHub(ctx.db)
    install_error_handlers(app)

    def limit_for(path: str) -> int:
        if path == INBOUND_PATH:
            return settings.inbound_max_bytes
        if path.endswith(UPLOAD_PATH_SUFFIXES):
            return settings.max_upload_bytes
        return settings.max_body_bytes

    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)

    from server.admin.endpoints import router as admin_router
    from server.auth.endpoints import router as auth_router
    from server.auth.pages import router as auth_pages
    from server.inbound.endpoints import router as inbound_router
    from server.intake.endpoints import router as intake_router
    from server.intake.pages import router as intake_pages
    from server.leads.endpoints import router as leads_router
    from server.media import router as media_router
    from server.owner.endpoints import router as owner_router
    from server.sync.endpoints import router as sync_router

    # The public form's routes first: routes are matched in order, and the form submit is the
    # hottest request (no other router's paths overlap theirs, so the order changes nothing else).
    for router in (
        intake_router,
        intake_pages,
        auth_router,
        auth_pages,
        admin_router,
        leads_router,
        owner_router,
        sync_router,
        media_router,
        inbound_router,
    ):
        app.include_router(router)

    @app.get("/health", tags=["health"])
    async def health() -> JSONResponse:
        """Liveness with the database reachable."""
        if await ctx.db.ping():
            return JSONResponse({"status": "ok"})
        return JSONResponse(
            {"status": "unavailable", **error_body("database_unavailable", "Database unreachable")},
            status_code=503,
        )

    return app

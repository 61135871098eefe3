"""Sync routes: pull, push and the change event stream (CONTRACT §7)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from server.auth.deps import ReadScope, Scope
from server.deps import Ctx, ReadSession, Session
from server.sync import service
from server.sync.events import ChangeStream, EventHub
from shared.models.sync import PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/api/v1/owner", tags=["sync"])

MAX_CURSOR = 2**63 - 1  # versions are BIGINT: a larger cursor is a bad request, not a 500


@router.get("/sync", response_model=PullResponse)
async def pull(
    scope: ReadScope,
    ctx: Ctx,
    session: ReadSession,
    cursor: Annotated[int, Query(ge=0, le=MAX_CURSOR)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> PullResponse:
    """Changes after ``cursor``, in version order; store the returned cursor after applying."""
    page = await service.pull(session, ctx.settings, scope.business, cursor, limit)
    # The page is already JSON (server/sync/page_sql.py): a bootstrap page is hundreds of rows,
    # and validating them against the response model again would cost more than the queries.
    return Response(page, media_type="application/json")  # type: ignore[return-value]


@router.post("/sync/push", response_model=PushResponse)
async def push(body: PushRequest, scope: Scope, ctx: Ctx, session: Session) -> PushResponse:
    """Apply offline mutations in order, each at most once ever."""
    results = await service.push(
        session, ctx, scope.business, scope.user, body.device_id, body.mutations
    )
    return PushResponse(results=results)


@router.get("/events", response_class=StreamingResponse)
async def events(request: Request, scope: Scope, session: Session) -> ChangeStream:
    """Server-sent events: ``change`` with the new cursor whenever the business's data moves."""
    hub: EventHub = request.app.state.events
    listener = hub.subscribe(scope.business_id, 0)  # before the read: no change falls between
    try:
        version = await service.current_version(session, scope.business_id)
    except BaseException:
        hub.unsubscribe(scope.business_id, listener)
        raise
    return ChangeStream(hub, scope.business_id, listener, version)

"""Sync routes: pull, push and the change event stream (CONTRACT §7)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from server.auth.deps import ReadScope, Scope
from server.deps import Ctx, ReadSession, Session
from server.sync import service
from server.sync.events import CLOSED, EventHub
from shared.models.sync import PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/api/v1/owner", tags=["sync"])

HEARTBEAT_S = 15.0
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


@router.get("/events")
async def events(request: Request, scope: Scope, session: Session) -> StreamingResponse:
    """Server-sent events: ``change`` with the new cursor whenever the business's data moves."""
    hub: EventHub = request.app.state.events
    business_id = scope.business_id
    queue = hub.subscribe(business_id)
    start = await service.current_version(session, business_id)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield _event(start)
            while not hub.stopping:
                try:
                    version = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                    continue
                if version == CLOSED:
                    return
                # Coalesce a burst of changes into one event with the newest cursor.
                while not queue.empty():
                    newer = queue.get_nowait()
                    if newer == CLOSED:
                        return
                    version = max(version, newer)
                yield _event(version)
        finally:
            hub.unsubscribe(business_id, queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _event(cursor: int) -> bytes:
    return f"event: change\ndata: {json.dumps({'cursor': cursor})}\n\n".encode()

"""Owner routes for leads, their thread, notes, timeline and follow-ups (CONTRACT §6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from server.auth.deps import ReadScope, Scope
from server.deps import Ctx, ReadSession, Session
from server.errors import ValidationFailed
from server.leads import repository as repo
from server.leads import service, views, wire
from server.leads.timeline import timeline
from server.models.base import utcnow
from server.pagination import Paging, fetch_page
from server.sync_versions import stamp
from shared.models.common import Page
from shared.models.enums import FollowUpState, LeadStatus
from shared.models.follow_ups import FollowUpDay
from shared.models.leads import (
    ApproveDraftIn,
    FollowUpOut,
    FollowUpUpdate,
    LeadDetail,
    LeadOut,
    MessageIn,
    MessageOut,
    NoteIn,
    StatusUpdate,
    TimelineEvent,
)

router = APIRouter(prefix="/api/v1/owner", tags=["owner"])


class FollowUpCreate(BaseModel):
    scheduled_at: datetime


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(
            details=[
                {
                    "field": "scheduled_at",
                    "type": "value_error",
                    "message": "Give a time with its UTC offset.",
                }
            ]
        )
    return value


@router.get("/leads", response_model=Page[LeadOut])
async def list_leads(
    scope: ReadScope,
    session: ReadSession,
    paging: Paging,
    status: LeadStatus | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Literal["newest", "oldest"] = "newest",
) -> Page[LeadOut]:
    """The business's leads, latest activity first, with status filter and full-text search."""
    page = await repo.lead_page(
        session,
        scope.business_id,
        status=status.value if status else None,
        q=q,
        oldest_first=sort == "oldest",
        limit=paging.limit,
        offset=paging.offset,
    )
    # Rows are already in the ``LeadOut`` shape (server/leads/wire.py); validating them again
    # against the response model would cost more than the queries.
    return Response(wire.dumps(page), media_type="application/json")  # type: ignore[return-value]


@router.get("/leads/{lead_id}", response_model=LeadDetail)
async def get_lead(lead_id: uuid.UUID, scope: Scope, session: Session) -> LeadDetail:
    """A lead with its AI analysis, the gate's decision and reasons, and whether it auto-sent."""
    lead = await service.get_lead(session, scope.business, lead_id)
    return views.lead_detail(lead, await repo.latest_analysis(session, lead.id))


@router.patch("/leads/{lead_id}", response_model=LeadDetail)
async def update_lead(
    lead_id: uuid.UUID, body: StatusUpdate, scope: Scope, session: Session
) -> LeadDetail:
    """Change a lead's status."""
    lead = await service.set_status(session, scope.business, scope.user, lead_id, body.status)
    await stamp(session)  # answer with the versions this write commits
    return views.lead_detail(lead, await repo.latest_analysis(session, lead.id))


@router.post("/leads/{lead_id}/open", response_model=LeadOut)
async def open_lead(lead_id: uuid.UUID, scope: Scope, session: Session) -> LeadOut:
    """Mark a lead as read (its status does not change)."""
    lead = await service.mark_opened(session, scope.business, lead_id)
    await stamp(session)  # answer with the versions this write commits
    return views.lead_out(lead)


@router.get("/leads/{lead_id}/messages", response_model=list[MessageOut])
async def list_messages(lead_id: uuid.UUID, scope: Scope, session: Session) -> list[MessageOut]:
    """The lead's thread, oldest first, including internal drafts and notes."""
    lead = await service.get_lead(session, scope.business, lead_id)
    return [views.message_out(m) for m in await repo.messages(session, lead.id)]


@router.post("/leads/{lead_id}/messages", response_model=MessageOut, status_code=201)
async def send_reply(
    lead_id: uuid.UUID, body: MessageIn, scope: Scope, ctx: Ctx, session: Session
) -> JSONResponse:
    """Email the customer; the same ``client_id`` twice sends once (200 the second time)."""
    message, created = await service.reply(
        session, ctx, scope.business, scope.user, lead_id, body.content, client_id=body.client_id
    )
    await stamp(session)  # answer with the versions this write commits
    return JSONResponse(
        views.message_out(message).model_dump(mode="json"), status_code=201 if created else 200
    )


@router.post("/leads/{lead_id}/approve-draft", response_model=MessageOut, status_code=201)
async def approve_draft(
    lead_id: uuid.UUID, body: ApproveDraftIn, scope: Scope, ctx: Ctx, session: Session
) -> JSONResponse:
    """Send the AI draft (optionally edited) as the owner's reply."""
    message, created = await service.approve_draft(
        session, ctx, scope.business, scope.user, lead_id, body.content, client_id=body.client_id
    )
    await stamp(session)  # answer with the versions this write commits
    return JSONResponse(
        views.message_out(message).model_dump(mode="json"), status_code=201 if created else 200
    )


@router.post(
    "/leads/{lead_id}/messages/{message_id}/resend", response_model=MessageOut, status_code=201
)
async def resend_message(
    lead_id: uuid.UUID, message_id: uuid.UUID, scope: Scope, session: Session
) -> MessageOut:
    """Email a message whose mail failed or bounced again; 409 for any other message."""
    message = await service.resend_message(session, scope.business, scope.user, lead_id, message_id)
    await stamp(session)  # answer with the versions this write commits
    return views.message_out(message)


@router.post("/leads/{lead_id}/notes", response_model=MessageOut, status_code=201)
async def add_note(lead_id: uuid.UUID, body: NoteIn, scope: Scope, session: Session) -> MessageOut:
    """Add an internal note to the lead (never emailed)."""
    note = await service.add_note(session, scope.business, scope.user, lead_id, body.content)
    await stamp(session)  # answer with the versions this write commits
    return views.message_out(note)


@router.get("/leads/{lead_id}/timeline", response_model=list[TimelineEvent])
async def lead_timeline(lead_id: uuid.UUID, scope: Scope, session: Session) -> list[TimelineEvent]:
    """What happened to the lead, in order, with real times."""
    return await timeline(session, await service.get_lead(session, scope.business, lead_id))


@router.post("/leads/{lead_id}/follow-ups", response_model=FollowUpOut, status_code=201)
async def create_follow_up(
    lead_id: uuid.UUID, body: FollowUpCreate, scope: Scope, session: Session
) -> FollowUpOut:
    """Schedule a follow-up email for the lead."""
    scheduled_at = _aware(body.scheduled_at)
    assert scheduled_at is not None  # the model requires it
    follow_up = await service.schedule_follow_up(
        session, scope.business, scope.user, lead_id, scheduled_at
    )
    await stamp(session)  # answer with the versions this write commits
    return views.follow_up_out(follow_up, FollowUpDay.of(utcnow(), scope.business.timezone))


@router.get("/follow-ups", response_model=Page[FollowUpOut])
async def list_follow_ups(
    scope: Scope,
    session: Session,
    paging: Paging,
    state: FollowUpState | None = None,
) -> Page[FollowUpOut]:
    """Follow-ups by state (due today, overdue, scheduled later, sent, canceled, failed)."""
    day = FollowUpDay.of(utcnow(), scope.business.timezone)
    rows, total = await fetch_page(
        session, repo.follow_up_list_query(scope.business_id, state, day), paging
    )
    return Page(
        items=[views.follow_up_out(f, day, lead) for f, lead in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.patch("/follow-ups/{follow_up_id}", response_model=FollowUpOut)
async def update_follow_up(
    follow_up_id: uuid.UUID, body: FollowUpUpdate, scope: Scope, ctx: Ctx, session: Session
) -> FollowUpOut:
    """Send now (``status: sent``), cancel (``canceled``) or reschedule (``scheduled_at``)."""
    follow_up = await service.update_follow_up(
        session,
        ctx,
        scope.business,
        scope.user,
        follow_up_id,
        status=body.status,
        scheduled_at=_aware(body.scheduled_at),
    )
    await stamp(session)  # answer with the versions this write commits
    return views.follow_up_out(follow_up, FollowUpDay.of(utcnow(), scope.business.timezone))

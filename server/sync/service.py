"""Pull pages in version order, and apply pushed mutations exactly once (CONTRACT §7)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.context import ServerContext
from server.errors import AppError, Conflict, field_errors
from server.leads import service as leads
from server.leads import wire
from server.leads.views import sync_data
from server.models import SYNCED_MODELS
from server.models.base import utcnow
from server.models.business import Business, Form
from server.models.sync import AppliedMutation, SyncCounter
from server.models.user import User
from server.storage import storage_of
from shared.models.enums import (
    FollowUpStatus,
    LeadStatus,
    MutationStatus,
    MutationType,
)
from shared.models.follow_ups import FollowUpDay
from shared.models.sync import Mutation, MutationResult


class CursorInvalid(Conflict):
    code = "cursor_invalid"
    message = "This sync cursor is ahead of the server; start again from cursor 0."


async def current_version(session: AsyncSession, business_id: uuid.UUID) -> int:
    version = (
        await session.execute(
            select(SyncCounter.version).where(SyncCounter.business_id == business_id)
        )
    ).scalar_one_or_none()
    return int(version or 0)


MODELS: dict[str, Any] = {model.__sync_entity__: model for model in SYNCED_MODELS}


def _owner_column(model: Any) -> Any:
    return model.id if model is Business else model.business_id


async def pull(
    session: AsyncSession, settings: Settings, business: Business, cursor: int, limit: int
) -> bytes:
    """Changes after ``cursor`` in version order, at most ``limit`` of them: the JSON body of a
    ``PullResponse``.

    One statement (``server.sync.page_sql``) reads the head version, finds the page's last
    version over the ``(business_id, version)`` indexes and returns the page's changes with
    their JSON written by the database; the few rows it leaves to Python (the business, its
    forms) are loaded by a second query per entity type present.

    Every query is capped at the head version. The first statement reads it and the page in one
    snapshot; a later query (the Python-built rows), on PostgreSQL in a snapshot of its own, is
    capped at the page's last version, which is at most that head. Every version up to a
    committed head is committed (the counter row lock orders them), so a later query finds the
    same rows, or newer versions of them, which a later page brings.
    """
    day = FollowUpDay.of(utcnow(), business.timezone)
    rows = await storage_of(session).pull_page(session, business.id, cursor, limit, day)
    head, last, more = rows[0][0], rows[0][1], bool(rows[0][2])
    if cursor > head:
        raise CursorInvalid()
    bodies: list[str | None] = []
    python_built: dict[str, dict[uuid.UUID, int]] = {}
    for row in rows:
        tag, body = row[3], row[6]
        if tag is None:  # the one row of an empty page
            break
        if body is None:
            python_built.setdefault(tag, {})[uuid.UUID(str(row[4]))] = len(bodies)
        bodies.append(body)
    for tag, positions in python_built.items():
        for row_id, data in await _python_rows(
            session, settings, business, day, tag, (cursor, last), positions
        ):
            bodies[positions[row_id]] = wire.dumps(data).decode()
    # A row the second query no longer finds changed again after the first statement; its new
    # version comes in a later page.
    changes = ",".join(body for body in bodies if body is not None)
    has_more = "true" if more else "false"
    return f'{{"cursor":{last},"has_more":{has_more},"changes":[{changes}]}}'.encode()


async def _python_rows(
    session: AsyncSession,
    settings: Settings,
    business: Business,
    day: FollowUpDay,
    tag: str,
    versions: tuple[int, int],
    wanted: Collection[uuid.UUID],
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """``(id, change)`` of the rows of ``tag`` with a version in ``(cursor, last]`` that the
    page statement left to Python."""
    model = MODELS[tag]
    cursor, last = versions
    in_page = (
        _owner_column(model) == business.id,
        model.version > cursor,
        model.version <= last,
        model.id.in_(list(wanted)),
    )
    if model in (Business, Form):  # the views need the ORM object and the settings
        objects = (await session.execute(select(model).where(*in_page))).scalars()
        return [
            (obj.id, _change(tag, obj.id, obj.version, sync_data(tag, obj, settings, day)))
            for obj in objects
        ]
    entity = wire.ENTITIES[tag]
    build = entity.encoder(day)
    id_at, version_at = entity.position("id"), entity.position("version")
    out = []
    for row in await session.execute(select(*entity.columns).where(*in_page)):
        row_id = uuid.UUID(str(row[id_at]))  # asyncpg's own UUID class → the standard one
        out.append((row_id, _change(tag, row_id, row[version_at], build(row))))
    return out


def _change(
    entity: str, row_id: uuid.UUID, version: int, data: dict[str, Any] | None
) -> dict[str, Any]:
    """One ``Change``; ``data`` is ``None`` for a tombstone."""
    return {
        "entity": entity,
        "id": row_id,
        "version": version,
        "deleted": data is None,
        "data": data,
    }


class _Reply(BaseModel):
    lead_id: uuid.UUID
    content: str = Field(min_length=1, max_length=10000)


class _ApproveDraft(BaseModel):
    lead_id: uuid.UUID
    content: str | None = Field(default=None, min_length=1, max_length=10000)


class _SetStatus(BaseModel):
    lead_id: uuid.UUID
    status: LeadStatus


class _AddNote(BaseModel):
    lead_id: uuid.UUID
    content: str = Field(min_length=1, max_length=10000)


class _UpdateFollowUp(BaseModel):
    follow_up_id: uuid.UUID
    status: FollowUpStatus | None = None
    scheduled_at: datetime | None = None


async def _apply(
    session: AsyncSession, ctx: ServerContext, business: Business, user: User, mutation: Mutation
) -> dict[str, Any]:
    fields = mutation.model_extra or {}
    client_id = str(mutation.id)
    kind = mutation.type
    if kind == MutationType.REPLY:
        body = _Reply.model_validate(fields)
        message, _ = await leads.reply(
            session, ctx, business, user, body.lead_id, body.content.strip(), client_id=client_id
        )
        return {"message_id": str(message.id)}
    if kind == MutationType.APPROVE_DRAFT:
        draft = _ApproveDraft.model_validate(fields)
        message, _ = await leads.approve_draft(
            session, ctx, business, user, draft.lead_id, draft.content, client_id=client_id
        )
        return {"message_id": str(message.id)}
    if kind == MutationType.SET_STATUS:
        status = _SetStatus.model_validate(fields)
        lead = await leads.set_status(session, business, user, status.lead_id, status.status)
        return {"lead_id": str(lead.id), "status": lead.status}
    if kind == MutationType.ADD_NOTE:
        note = _AddNote.model_validate(fields)
        message = await leads.add_note(
            session, business, user, note.lead_id, note.content.strip(), client_id=client_id
        )
        return {"message_id": str(message.id)}
    if kind == MutationType.UPDATE_FOLLOW_UP:
        change = _UpdateFollowUp.model_validate(fields)
        if change.scheduled_at is not None and change.scheduled_at.tzinfo is None:
            raise AppError("scheduled_at needs a UTC offset", code="validation_error")
        follow_up = await leads.update_follow_up(
            session,
            ctx,
            business,
            user,
            change.follow_up_id,
            status=change.status,
            scheduled_at=change.scheduled_at,
        )
        return {"follow_up_id": str(follow_up.id), "status": follow_up.status}
    raise AppError(f"Unknown mutation type {kind!r}.", code="unknown_mutation_type")


async def push(
    session: AsyncSession,
    ctx: ServerContext,
    business: Business,
    user: User,
    device_id: uuid.UUID,
    mutations: list[Mutation],
) -> list[MutationResult]:
    """Apply mutations in order, each once ever; a repeat gets the original result back."""
    results = []
    for mutation in mutations:
        results.append(await _push_one(session, ctx, business, user, device_id, mutation))
    return results


async def _push_one(
    session: AsyncSession,
    ctx: ServerContext,
    business: Business,
    user: User,
    device_id: uuid.UUID,
    mutation: Mutation,
) -> MutationResult:
    previous = await _applied(session, business.id, mutation.id)
    if previous is not None:
        return MutationResult(
            id=mutation.id, status=MutationStatus.DUPLICATE, error=previous.result.get("error")
        )
    outcome: dict[str, Any]
    try:
        async with session.begin_nested():
            try:
                outcome = {
                    "status": "applied",
                    "result": await _apply(session, ctx, business, user, mutation),
                }
            except ValidationError as error:
                raise _Rejected(
                    {
                        "code": "validation_error",
                        "message": "Invalid mutation.",
                        "details": field_errors([dict(e) for e in error.errors()]),
                    }
                ) from None
            except AppError as error:
                raise _Rejected({"code": error.code, "message": error.message}) from None
            session.add(_record(business.id, device_id, user.id, mutation, outcome))
            await session.flush()
    except _Rejected as rejected:
        outcome = {"status": "rejected", "error": rejected.error}
        try:
            async with session.begin_nested():
                session.add(_record(business.id, device_id, user.id, mutation, outcome))
                await session.flush()
        except IntegrityError:
            return await _concurrent_duplicate(session, business.id, mutation.id)
        return MutationResult(id=mutation.id, status=MutationStatus.REJECTED, error=rejected.error)
    except IntegrityError:
        return await _concurrent_duplicate(session, business.id, mutation.id)
    return MutationResult(id=mutation.id, status=MutationStatus.APPLIED)


class _Rejected(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("code"))
        self.error = error


def _record(
    business_id: uuid.UUID,
    device_id: uuid.UUID,
    user_id: uuid.UUID,
    mutation: Mutation,
    outcome: dict[str, Any],
) -> AppliedMutation:
    return AppliedMutation(
        id=uuid.uuid4(),
        business_id=business_id,
        device_id=device_id,
        mutation_id=mutation.id,
        user_id=user_id,
        type=mutation.type[:32],
        result=outcome,
        applied_at=utcnow(),
    )


async def _applied(
    session: AsyncSession, business_id: uuid.UUID, mutation_id: uuid.UUID
) -> AppliedMutation | None:
    return (
        await session.execute(
            select(AppliedMutation).where(
                AppliedMutation.business_id == business_id,
                AppliedMutation.mutation_id == mutation_id,
            )
        )
    ).scalar_one_or_none()


async def _concurrent_duplicate(
    session: AsyncSession, business_id: uuid.UUID, mutation_id: uuid.UUID
) -> MutationResult:
    """Another request applied the same mutation id at the same moment."""
    previous = await _applied(session, business_id, mutation_id)
    return MutationResult(
        id=mutation_id,
        status=MutationStatus.DUPLICATE,
        error=previous.result.get("error") if previous else None,
    )

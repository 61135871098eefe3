"""What the database holds for a business, to compare a replica with."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.context import ServerContext
from server.models import SYNCED_MODELS
from server.models.business import Business
from server.models.lead import Message
from server.sync.service import current_version


async def versions(ctx: ServerContext, business_id: str) -> dict[tuple[str, str], int]:
    """``(entity, id) -> version`` of every synced row of the business."""
    wanted = uuid.UUID(business_id)
    out: dict[tuple[str, str], int] = {}
    async with ctx.db.session() as session:
        for model in SYNCED_MODELS:
            owner = model.id if model is Business else model.business_id  # type: ignore[attr-defined]
            rows = await session.execute(select(model.id, model.version).where(owner == wanted))
            out |= {(model.__sync_entity__, str(i)): v for i, v in rows}
    return out


async def head(ctx: ServerContext, business_id: str) -> int:
    async with ctx.db.session() as session:
        return await current_version(session, uuid.UUID(business_id))


async def assert_replica_is_the_truth(ctx: ServerContext, business_id: str, replica: Any) -> None:
    """The replica holds every synced row at its latest version, its cursor is the head, and
    no change came twice or out of order."""
    truth = await versions(ctx, business_id)
    assert {k: c["version"] for k, c in replica.rows.items()} == truth
    assert replica.cursor == await head(ctx, business_id)
    seen = [version for _, _, version in replica.seen]
    assert seen == sorted(set(seen)), "a change came twice or out of order"


async def delete_ai_draft(ctx: ServerContext, lead_id: str) -> str:
    """Delete the lead's AI draft (the tests' way to make a tombstone); returns its id."""
    async with ctx.db.session() as session:
        draft = (
            await session.execute(
                select(Message).where(
                    Message.lead_id == uuid.UUID(lead_id), Message.type == "ai_draft"
                )
            )
        ).scalar_one()
        await session.delete(draft)
        return str(draft.id)

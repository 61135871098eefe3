"""The audit log: one row per action, written in the transaction of the action itself."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.models.base import utcnow
from server.models.ops import AuditLog
from server.models.user import User

SYSTEM_ACTOR = "system"


def values(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    business_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    entity: str | None = None,
    entity_id: uuid.UUID | str | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one audit row."""
    return {
        "id": uuid.uuid4(),
        "actor_user_id": actor.id if actor is not None else None,
        "actor": actor.email if actor is not None else (actor_label or SYSTEM_ACTOR),
        "action": action,
        "business_id": business_id,
        "lead_id": lead_id,
        "entity": entity,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "old_values": _jsonable(old),
        "new_values": _jsonable(new),
        "details": _jsonable(details),
        "created_at": utcnow(),
    }


def record(session: AsyncSession | Session, action: str, **fields: Any) -> AuditLog:
    """Add an audit row to the session (written with the next flush)."""
    row = AuditLog(**values(action, **fields))
    session.add(row)
    return row


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: _plain(value) for key, value in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The old and new values of the keys whose value changed."""
    changed = [key for key in after if before.get(key) != after[key]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}

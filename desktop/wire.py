"""Wire shapes of the sync routes (CONTRACT §7) that ``shared/models`` does not hold yet.

Kept here, next to their only user, until a ``shared/models/sync.py`` exists; they follow the
contract field for field so they can move there unchanged.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.models.enums import MutationStatus, MutationType, SyncEntity


class SyncChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    entity: SyncEntity
    id: uuid.UUID
    version: int
    deleted: bool = False
    data: dict[str, Any] | None = None


class SyncPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cursor: int
    has_more: bool
    changes: list[SyncChange]


class Mutation(BaseModel):
    """One outbox entry as pushed: ``{"id", "type", …payload}``."""

    id: uuid.UUID
    type: MutationType
    payload: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type.value, **self.payload}


class PushResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    status: MutationStatus
    error: Any = None

    @property
    def reason(self) -> str:
        """The human reason of a rejection, whatever shape the server gave it."""
        if isinstance(self.error, dict):
            return str(self.error.get("message") or self.error.get("code") or self.error)
        return str(self.error or "rejected")

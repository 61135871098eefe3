"""The sync protocol's wire models (``shared.models.sync``) as the desktop uses them."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from shared.models.enums import MutationType
from shared.models.sync import Change as SyncChange
from shared.models.sync import MutationResult
from shared.models.sync import PullResponse as SyncPage

__all__ = ["Mutation", "PushResult", "SyncChange", "SyncPage"]


class Mutation(BaseModel):
    """One outbox entry as pushed: ``{"id", "type", …payload}``."""

    id: uuid.UUID
    type: MutationType
    payload: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type.value, **self.payload}


class PushResult(MutationResult):
    @property
    def reason(self) -> str:
        """The human reason of a rejection."""
        if self.error:
            return str(self.error.get("message") or self.error.get("code") or self.error)
        return "rejected"

    @property
    def rejected(self) -> bool:
        """Rejected now, or earlier: a repeated id answers ``duplicate`` with the first error."""
        return self.status == "rejected" or (self.status == "duplicate" and bool(self.error))

"""Wire models of the sync protocol (CONTRACT §7)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from shared.models.enums import MutationStatus, SyncEntity


class Change(BaseModel):
    entity: SyncEntity
    id: uuid.UUID
    version: int
    deleted: bool
    data: dict[str, Any] | None


class PullResponse(BaseModel):
    cursor: int
    has_more: bool
    changes: list[Change]


class Mutation(BaseModel):
    """One offline action; the fields beyond ``id`` and ``type`` depend on the type."""

    model_config = {"extra": "allow"}

    id: uuid.UUID
    type: str = Field(max_length=32)


class PushRequest(BaseModel):
    device_id: uuid.UUID
    mutations: list[Mutation] = Field(max_length=100)


class MutationResult(BaseModel):
    id: uuid.UUID
    status: MutationStatus
    error: dict[str, Any] | None = None


class PushResponse(BaseModel):
    results: list[MutationResult]

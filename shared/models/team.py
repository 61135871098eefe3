"""Wire models of a business's team (owners and staff)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.models.common import Email, SingleLine
from shared.models.enums import MemberRole


class TeamMember(BaseModel):
    member_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    full_name: str
    role: MemberRole
    status: Literal["invited", "active", "deactivated"]


class TeamInvite(BaseModel):
    email: Email
    full_name: Annotated[str, SingleLine] = Field(default="", max_length=160)
    role: MemberRole = MemberRole.STAFF

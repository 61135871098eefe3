"""Wire models of sign-in and accounts (CONTRACT §4)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.models.common import Email, SingleLine
from shared.models.enums import MemberRole, UserRole


class LoginRequest(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: UserRole


class MembershipOut(BaseModel):
    business_id: uuid.UUID
    business_name: str
    role: MemberRole


class MeResponse(BaseModel):
    user: UserOut
    memberships: list[MembershipOut]


class TokenResponse(MeResponse):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class InviteAcceptRequest(BaseModel):
    token: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=10, max_length=1024)
    full_name: Annotated[str, SingleLine] | None = Field(default=None, min_length=1, max_length=160)


class PasswordForgotRequest(BaseModel):
    email: Email


class PasswordResetRequest(BaseModel):
    token: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=10, max_length=1024)

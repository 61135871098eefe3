"""Wire models of businesses and their public form."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.common import Email, SingleLine
from shared.models.enums import BusinessStatus

HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$", max_length=80)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160), SingleLine
]
ServiceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=180), SingleLine
]


class OwnerIn(BaseModel):
    email: Email
    full_name: Name


class BusinessCreate(BaseModel):
    name: Name
    industry: str | None = Field(default=None, max_length=80)
    phone: str | None = Field(default=None, max_length=40)
    contact_email: Email
    address: str | None = Field(default=None, max_length=400)
    brand_color: HexColour | None = None
    smart_auto_reply: bool = False
    owner_approval_required: bool = True
    auto_reply_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    facts: str | None = Field(default=None, max_length=2000)
    timezone: str | None = Field(default=None, max_length=64)
    services: list[ServiceName] | None = Field(default=None, max_length=30)
    owner: OwnerIn


class BusinessUpdate(BaseModel):
    """Fields an admin (or, for some, the owner) may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    industry: str | None = Field(default=None, max_length=80)
    phone: str | None = Field(default=None, max_length=40)
    contact_email: Email | None = None
    address: str | None = Field(default=None, max_length=400)
    brand_color: HexColour | None = None
    smart_auto_reply: bool | None = None
    owner_approval_required: bool | None = None
    auto_reply_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    facts: str | None = Field(default=None, max_length=2000)
    timezone: str | None = Field(default=None, max_length=64)
    follow_up_enabled: bool | None = None
    follow_up_delay_h: float | None = Field(default=None, ge=1, le=24 * 60)


class BusinessStatusUpdate(BaseModel):
    status: BusinessStatus


class BusinessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    industry: str | None
    phone: str | None
    contact_email: str
    address: str | None
    logo_url: str | None = None
    brand_color: str
    status: BusinessStatus
    smart_auto_reply: bool
    owner_approval_required: bool
    auto_reply_threshold: float
    facts: str | None
    timezone: str
    follow_up_enabled: bool = True
    follow_up_delay_h: float | None = None  # None: the server's default delay
    created_at: datetime
    updated_at: datetime
    form_slug: str | None = None
    form_url: str | None = None


class FormOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    slug: str
    title: str
    description: str
    success_message: str
    services: list[str]
    active: bool
    url: str | None = None
    updated_at: datetime


class FormUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    description: str | None = Field(default=None, max_length=2000)
    success_message: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
        | None
    ) = None
    services: list[ServiceName] | None = Field(default=None, max_length=30)
    active: bool | None = None


class PublicBusiness(BaseModel):
    name: str
    logo_url: str | None
    brand_color: str


class PublicForm(BaseModel):
    slug: str
    title: str
    description: str
    success_message: str
    services: list[str]
    business: PublicBusiness

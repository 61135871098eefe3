"""Admin routes for owner and staff accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.admin import owners, records
from server.auth.deps import SuperAdmin
from server.deps import Ctx, Session
from server.pagination import Paging
from shared.models.admin import AccountStatus, OwnerAccountOut
from shared.models.common import Page
from shared.models.enums import MemberRole

router = APIRouter()


@router.get("/owners", response_model=Page[OwnerAccountOut])
async def list_owners(
    admin: SuperAdmin,
    session: Session,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200)] = None,
    business_id: uuid.UUID | None = None,
    status: AccountStatus | None = None,
    role: MemberRole | None = None,
) -> Page[OwnerAccountOut]:
    """Owner and staff accounts, one row per business membership, newest first."""
    query = owners.accounts_query(q=q, business_id=business_id, status=status, role=role)
    rows, total = await records.page(session, query, paging)
    return Page(
        items=[OwnerAccountOut.model_validate(dict(r)) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/owners/{user_id}/deactivate", status_code=204)
async def deactivate_owner(user_id: uuid.UUID, admin: SuperAdmin, session: Session) -> Response:
    """Switch the account off: it cannot sign in and its tokens stop working at once."""
    user = await owners.get_member_account(session, user_id)
    await owners.set_active(session, admin, user, False)
    return Response(status_code=204)


@router.post("/owners/{user_id}/reactivate", status_code=204)
async def reactivate_owner(user_id: uuid.UUID, admin: SuperAdmin, session: Session) -> Response:
    """Switch the account back on; it signs in again with its password."""
    user = await owners.get_member_account(session, user_id)
    await owners.set_active(session, admin, user, True)
    return Response(status_code=204)


@router.post("/owners/{user_id}/resend-invite", status_code=202)
async def resend_owner_invite(
    user_id: uuid.UUID, admin: SuperAdmin, ctx: Ctx, session: Session
) -> Response:
    """Mail a fresh invite link to an account that has not set its password (older links expire)."""
    user = await owners.get_member_account(session, user_id)
    await owners.resend_invite(session, ctx, admin, user)
    return Response(status_code=202)

"""Inbound mail routes: the signed webhook (CONTRACT §10), the owner's attachment download and
unmatched list (§6), and the super-admin's unmatched list and attach (§8)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse

from server.auth.deps import ReadScope, Scope, SuperAdmin
from server.deps import Ctx, ReadSession, Session
from server.errors import BadRequest, Conflict, NotAuthenticated, NotFound
from server.inbound import addresses, unmatched
from server.inbound.health import count_received
from server.inbound.service import receive
from server.leads import service as leads_service
from server.models.base import utcnow
from server.models.inbound import MessageAttachment
from server.pagination import Paging
from shared.models.common import Page
from shared.models.enums import InboundOutcome
from shared.models.inbound import (
    AttachMailIn,
    InboundReceived,
    ReplyAddressOut,
    UnmatchedMailOut,
)

router = APIRouter(tags=["inbound"])
SIGNATURE_HEADER = "X-LeadFlow-Signature"


@router.post("/api/v1/inbound/email", response_model=InboundReceived, status_code=202)
async def inbound_email(
    request: Request,
    ctx: Ctx,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> InboundReceived:
    """Receive one raw RFC 5322 message signed with the inbound secret (HMAC-SHA256)."""
    secret = ctx.settings.inbound_secret.get_secret_value()
    if not ctx.settings.inbound_enabled or not secret:
        raise NotFound("Inbound mail is not enabled on this server.", code="inbound_disabled")
    body = await request.body()
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(signature.strip().lower(), expected):
        raise NotAuthenticated("The signature is missing or wrong.", code="invalid_signature")
    if not body.strip():
        raise BadRequest("The body must be one raw mail message.", code="malformed_body")
    received = await receive(ctx, body, "webhook")
    if received.outcome is not InboundOutcome.DUPLICATE:
        await count_received(ctx, "webhook", 1, utcnow())
    return InboundReceived(status=received.outcome, lead_id=received.lead_id)


@router.get("/api/v1/owner/leads/{lead_id}/attachments/{attachment_id}")
async def download_attachment(
    lead_id: uuid.UUID,
    attachment_id: uuid.UUID,
    scope: ReadScope,
    session: ReadSession,
    ctx: Ctx,
) -> FileResponse:
    """Download one file of a customer's reply."""
    lead = await leads_service.get_lead(session, scope.business, lead_id)
    attachment = await session.get(MessageAttachment, attachment_id)
    path = ctx.data_dir / attachment.path if attachment is not None else None
    if attachment is None or attachment.lead_id != lead.id or path is None or not path.is_file():
        raise NotFound("No such attachment.", code="attachment_not_found")
    return FileResponse(
        path,
        media_type=attachment.content_type or "application/octet-stream",
        filename=attachment.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.post("/api/v1/owner/leads/{lead_id}/reply-address/rotate", response_model=ReplyAddressOut)
async def rotate_reply_address(
    lead_id: uuid.UUID, scope: Scope, ctx: Ctx, session: Session
) -> ReplyAddressOut:
    """Revoke the lead's reply address and give it a new one for the mail sent from now on."""
    lead = await leads_service.get_lead(session, scope.business, lead_id, lock=True)
    if not ctx.settings.inbound_enabled:
        raise Conflict(
            "Inbound mail is off on this server: leads have no reply address.",
            code="inbound_disabled",
        )
    new, revoked = await addresses.rotate(session, ctx.settings, lead, scope.business, scope.user)
    return ReplyAddressOut(reply_address=new, revoked_address=revoked)


@router.get("/api/v1/owner/inbound/unmatched", response_model=Page[UnmatchedMailOut])
async def owner_unmatched(
    scope: ReadScope, session: ReadSession, paging: Paging
) -> Page[UnmatchedMailOut]:
    """Mail addressed to the business that matched none of its leads."""
    items, total = await unmatched.unmatched_page(session, paging, business_id=scope.business_id)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/api/v1/owner/inbound/unmatched/{mail_id}/attach", response_model=InboundReceived)
async def owner_attach(
    mail_id: uuid.UUID, body: AttachMailIn, scope: Scope, ctx: Ctx, session: Session
) -> InboundReceived:
    """Put an unmatched mail of the business into one of its leads' threads."""
    received = await unmatched.attach(
        ctx, session, mail_id, body.lead_id, business_id=scope.business_id
    )
    return InboundReceived(status=received.outcome, lead_id=received.lead_id)


@router.get("/api/v1/admin/inbound/unmatched", response_model=Page[UnmatchedMailOut])
async def admin_unmatched(
    admin: SuperAdmin,
    session: ReadSession,
    paging: Paging,
    business_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[UnmatchedMailOut]:
    """Every mail that matched no lead, newest first."""
    items, total = await unmatched.unmatched_page(session, paging, business_id=business_id, q=q)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/api/v1/admin/inbound/unmatched/{mail_id}/attach", response_model=InboundReceived)
async def admin_attach(
    mail_id: uuid.UUID, body: AttachMailIn, admin: SuperAdmin, ctx: Ctx, session: Session
) -> InboundReceived:
    """Put an unmatched mail into a lead's thread, with every effect of a customer's reply."""
    received = await unmatched.attach(ctx, session, mail_id, body.lead_id)
    return InboundReceived(status=received.outcome, lead_id=received.lead_id)

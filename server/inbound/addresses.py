"""Per-lead reply addresses: ``reply+<token>@<inbound domain>``.

The token is 120 random bits in lower-case base32 (mail systems may fold the case of a local
part), made when the first mail to the customer is composed and stored on the lead; replacing
it revokes the old address.
"""

from __future__ import annotations

import base64
import re
import secrets
from email.utils import formataddr

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.config import Settings
from server.mail.compose import clean_display_name
from server.models.base import utcnow
from server.models.business import Business
from server.models.inbound import RevokedReplyToken
from server.models.lead import Lead
from server.models.ops import EmailEvent
from server.models.user import User
from shared.models.enums import EmailStatus

TOKEN_BYTES = 15
_LOCAL = re.compile(r"^reply\+([a-z2-7]{24})$")


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode().lower()


def reply_address(settings: Settings, token: str) -> str:
    return f"reply+{token}@{settings.inbound_domain}"


def reply_to_for(settings: Settings, lead: Lead, business: Business) -> str:
    """The Reply-To of mail to the lead's customer: the lead's reply address under the
    business's display name with inbound on (the token made now if the lead has none), else
    the business contact email, as before inbound existed."""
    if not settings.inbound_enabled:
        return business.contact_email
    if not lead.reply_token:
        lead.reply_token = new_token()
    name = clean_display_name(business.name)
    return formataddr((name, reply_address(settings, lead.reply_token)))


def token_of(settings: Settings, address: str) -> str | None:
    """The token of a reply address of this server's inbound domain, else ``None``."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not settings.inbound_domain or domain != settings.inbound_domain:
        return None
    found = _LOCAL.match(local)
    return found.group(1) if found else None


async def rotate(
    session: AsyncSession, settings: Settings, lead: Lead, business: Business, user: User
) -> tuple[str, str | None]:
    """Revoke the lead's reply address and give it a new one (the lead locked by the caller):
    the new address and the revoked one (``None`` when no mail had one yet). Mail to the old
    address then finds the lead only from the lead's own customer (``matching.find_lead``);
    mail to the customer not sent yet, and all mail from now on, carries the new address."""
    old = lead.reply_token
    if old:
        session.add(
            RevokedReplyToken(
                token=old, lead_id=lead.id, business_id=lead.business_id, revoked_at=utcnow()
            )
        )
    lead.reply_token = new_token()
    revoked = reply_address(settings, old) if old else None
    if old:
        await session.execute(
            update(EmailEvent)
            .where(
                EmailEvent.lead_id == lead.id,
                EmailEvent.status == EmailStatus.QUEUED.value,
                EmailEvent.reply_to.contains(f"<{revoked}>", autoescape=True),
            )
            .values(reply_to=reply_to_for(settings, lead, business))
        )
    audit.record(
        session,
        "lead.reply_address_revoked",
        actor=user,
        business_id=lead.business_id,
        lead_id=lead.id,
        entity="lead",
        entity_id=lead.id,
        # The revoked address only: the new one is a live credential for the lead's thread.
        details={"revoked_address": revoked},
    )
    return reply_address(settings, lead.reply_token), revoked

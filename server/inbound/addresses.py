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

from server.config import Settings
from server.mail.compose import clean_display_name
from server.models.business import Business
from server.models.lead import Lead

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

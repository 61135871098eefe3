"""``leadflow://`` links: an owner's alert mail links to ``leadflow://lead/<id>``, which the
desktop entry registers (``x-scheme-handler/leadflow``) so a click opens the lead in the app."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

SCHEME = "leadflow"


def parse_lead_link(link: str) -> str | None:
    """The lead id of ``leadflow://lead/<id>``; ``None`` for anything else."""
    parts = urlsplit(link.strip())
    if parts.scheme != SCHEME or parts.netloc != "lead":
        return None
    try:
        return str(uuid.UUID(parts.path.strip("/")))
    except ValueError:
        return None

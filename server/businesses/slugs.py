"""Slugs for businesses and forms: readable, unique across the platform."""

from __future__ import annotations

import re
import secrets
import unicodedata

MAX_SLUG = 60


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG].strip("-") or "business"


def candidates(base: str, tries: int = 8) -> list[str]:
    """``base``, then ``base-2`` … and finally random suffixes, for a unique-insert loop."""
    out = [base] + [f"{base}-{n}" for n in range(2, 5)]
    out += [f"{base}-{secrets.token_hex(3)}" for _ in range(tries - len(out))]
    return out

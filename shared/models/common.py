"""Shapes shared by every list route (CONTRACT §3)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, StringConstraints

T = TypeVar("T")

# Bidirectional overrides and isolates: invisible, and they make a name read differently.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(character: str) -> bool:
    """A control, line or paragraph separator, or bidirectional control character."""
    return unicodedata.category(character) in ("Cc", "Zl", "Zp") or character in _BIDI_CONTROLS


def single_line(value: str) -> str:
    """A one-line field (a name, a service) refuses line breaks and control characters: they
    would end up in mail headers, where they break or forge the message."""
    if any(is_control(character) for character in value):
        raise ValueError("must not contain line breaks or control characters")
    return value


SingleLine = AfterValidator(single_line)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def normalise_email(value: str) -> str:
    """A syntactically valid address, normalised. ``.test`` domains are accepted (RFC 6761
    reserves them for testing, and operators try the product with them); other special-use
    names such as ``.local`` or ``.invalid`` are not."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(
            value.strip(), check_deliverability=False, test_environment=True
        ).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(normalise_email)]

"""Shapes shared by every list route (CONTRACT §3)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, StringConstraints

T = TypeVar("T")


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

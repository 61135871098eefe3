"""Password hashing (argon2), access tokens (PyJWT, HS256 pinned) and opaque one-time tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified when an email is unknown, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("leadflow-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A random URL-safe token for refresh tokens and invite/reset links."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for an opaque token: its SHA-256, so a database leak holds no usable token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_access_token(secret: str, user_id: uuid.UUID, ttl_s: int) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(secret: str, token: str) -> uuid.UUID | None:
    """The user id of a valid, unexpired access token, else ``None``."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
        if claims.get("typ") != "access":
            return None
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError):
        return None

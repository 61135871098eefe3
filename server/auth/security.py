"""Password hashing (argon2), access tokens (PyJWT, HS256 pinned) and opaque one-time tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 10


class _Argon2:
    """The process's argon2 parameters (``LEADFLOW_ARGON2_*``), set once at start-up.

    The defaults are argon2-cffi's (RFC 9106 low-memory profile). Hashes carry their own
    parameters, so a hash made with other settings still verifies.
    """

    hasher = PasswordHasher()
    # Verified when an email is unknown, so a wrong email costs as much as a wrong password.
    dummy_hash = hasher.hash("leadflow-timing-equaliser")


def configure_hashing(time_cost: int, memory_kib: int) -> None:
    current = _Argon2.hasher
    if (current.time_cost, current.memory_cost) == (time_cost, memory_kib):
        return
    _Argon2.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _Argon2.dummy_hash = _Argon2.hasher.hash("leadflow-timing-equaliser")


def hash_password(password: str) -> str:
    return _Argon2.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        valid = _Argon2.hasher.verify(password_hash or _Argon2.dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return valid and password_hash is not None


def new_token() -> str:
    """A random URL-safe token for refresh tokens and invite/reset links."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for an opaque token: its SHA-256, so a database leak holds no usable token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def purpose_key(secret: str, purpose: str) -> str:
    """A key for one purpose only, derived from the server's secret (HMAC-SHA256): what is
    signed with it (e.g. the form tokens every visitor receives) cannot be used to test a
    guess of the key that signs access tokens, and one cannot stand in for the other."""
    return hmac.new(secret.encode(), f"leadflow:{purpose}".encode(), hashlib.sha256).hexdigest()


def successor_token(secret: str, token: str) -> str:
    """The refresh token that replaces ``token`` when it is traded: derived from it with a key
    of its own, so a retry of a trade whose answer was lost can be given the same one (only
    digests are stored)."""
    digest = hmac.new(purpose_key(secret, "refresh-successor").encode(), token.encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def create_access_token(
    secret: str,
    user_id: uuid.UUID,
    ttl_s: int,
    *,
    issued_at: datetime | None = None,
    jti: str | None = None,
) -> str:
    """A signed access token; the same ``issued_at`` and ``jti`` give the same token again."""
    now = issued_at or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
        "jti": jti or secrets.token_hex(8),
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

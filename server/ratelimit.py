"""Sliding-window rate limits kept in the database, so every server process shares them."""

from __future__ import annotations

import ipaddress
import math
import uuid
from datetime import timedelta

from fastapi import Request
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.models.base import table_of, utcnow
from server.models.user import RateLimitHit


async def retry_after(session: AsyncSession, key: str, *, limit: int, window_s: int) -> int | None:
    """Seconds until ``key`` is allowed again, or ``None`` if it is under its limit."""
    since = utcnow() - timedelta(seconds=window_s)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(RateLimitHit.at)).where(
                RateLimitHit.key == key, RateLimitHit.at > since
            )
        )
    ).one()
    if count < limit:
        return None
    if oldest is None:
        return window_s
    wait = (oldest + timedelta(seconds=window_s) - utcnow()).total_seconds()
    return max(1, math.ceil(wait))


def hit(session: AsyncSession, key: str) -> None:
    session.add(RateLimitHit(id=uuid.uuid4(), key=key, at=utcnow()))


def record_hits(session: Session, keys: list[str]) -> None:
    """Count one hit on each key now, in one statement (synchronous code)."""
    now = utcnow()
    session.execute(
        insert(table_of(RateLimitHit)), [{"id": uuid.uuid4(), "key": k, "at": now} for k in keys]
    )


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(RateLimitHit).where(RateLimitHit.key == key))


async def sweep(session: AsyncSession, older_than_s: int = 86_400) -> None:
    await session.execute(
        delete(RateLimitHit).where(RateLimitHit.at < utcnow() - timedelta(seconds=older_than_s))
    )


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """The caller's address; ``X-Forwarded-For`` counts only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Walk from the nearest hop back; the first address not one of our proxies is the client.
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False

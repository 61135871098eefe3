"""Sliding-window rate limits kept in the database, so every server process shares them."""

from __future__ import annotations

import ipaddress
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import bindparam, delete, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.errors import RateLimited
from server.models.base import table_of, utcnow
from server.models.user import RateLimitHit
from server.storage import storage_of


def window_count(key: str, since: str, limit: str) -> Any:
    """Hits of the key (parameter ``key``) since ``since``, counted up to ``limit``: only
    "limit reached" matters, and an index walk longer than the limit would cost time for
    nothing (the oldest hit, for ``Retry-After``, is read only when the limit is reached).

    Newest first, in the order of the ``(key, at)`` index: PostgreSQL's generic plan of a
    prepared query (parameters unknown) otherwise prefers a sequential scan of every hit of the
    last day; with the order a scan needs a sort on top and the index walk always wins
    (docs/BENCHMARKS.md, "Form submit")."""
    hits = (
        select(literal_column("1"))
        .where(RateLimitHit.key == bindparam(key), RateLimitHit.at > bindparam(since))
        .order_by(RateLimitHit.at.desc())
        .limit(bindparam(limit))
        .subquery()
    )
    return select(func.count()).select_from(hits).scalar_subquery()


COUNT_HITS = select(window_count("key", "since", "limit"))
OLDEST_HIT = select(func.min(RateLimitHit.at)).where(
    RateLimitHit.key == bindparam("key"),
    RateLimitHit.at > bindparam("since", type_=RateLimitHit.at.type),
)


def seconds_until_allowed(oldest: datetime | None, window_s: int, now: datetime) -> int:
    """When a key at its limit is allowed again: as its oldest hit in the window leaves it."""
    if oldest is None:  # the hits were swept in between
        return window_s
    return max(1, math.ceil((oldest + timedelta(seconds=window_s) - now).total_seconds()))


async def retry_after(session: AsyncSession, key: str, *, limit: int, window_s: int) -> int | None:
    """Seconds until ``key`` is allowed again, or ``None`` if it is under its limit."""
    now = utcnow()
    window = {"key": key, "since": now - timedelta(seconds=window_s)}
    count = (await session.execute(COUNT_HITS, {**window, "limit": limit})).scalar_one()
    if count < limit:
        return None
    oldest = (await session.execute(OLDEST_HIT, window)).scalar()
    return seconds_until_allowed(oldest, window_s, now)


async def take(
    session: AsyncSession, limits: list[tuple[str, int]], window_s: int, notice: str
) -> list[uuid.UUID]:
    """Count one attempt on each ``(key, limit)`` now, or raise ``RateLimited`` (nothing counted)
    if a key is at its limit; the ids of the hits written, so a success can take its own back.

    Exact under concurrency: the storage orders each key's count and hit with every other
    transaction's until the caller commits (which it does at once)."""
    # One order everywhere: two takes never wait on each other.
    await storage_of(session).lock_keys(session, sorted(key for key, _ in limits))
    for key, limit in limits:
        wait = await retry_after(session, key, limit=limit, window_s=window_s)
        if wait is not None:
            raise RateLimited(wait, notice)
    rows = hit_rows([key for key, _ in limits], utcnow())
    await session.execute(INSERT_HITS, rows)
    return [row["id"] for row in rows]


async def forget(session: AsyncSession, hit_ids: list[uuid.UUID]) -> None:
    """Take back hits counted by ``take`` (an attempt that turned out to be no abuse)."""
    await session.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(hit_ids)))


INSERT_HITS = insert(table_of(RateLimitHit))


def hit_rows(keys: list[str], now: datetime) -> list[dict[str, Any]]:
    """One hit on each key at ``now``: the rows every writer of hits inserts (``INSERT_HITS``,
    or PostgreSQL's one-statement new lead)."""
    return [{"id": uuid.uuid4(), "key": key, "at": now} for key in keys]


def record_hits(session: Session, keys: list[str]) -> None:
    """Count one hit on each key now (synchronous code)."""
    session.execute(INSERT_HITS, hit_rows(keys, utcnow()))


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(RateLimitHit).where(RateLimitHit.key == key))


async def sweep(session: AsyncSession, older_than_s: int = 86_400) -> None:
    await session.execute(
        delete(RateLimitHit).where(RateLimitHit.at < utcnow() - timedelta(seconds=older_than_s))
    )


def sender(address: str) -> str:
    """Whom a per-sender limit counts: the address, or for IPv6 its /64 (one host or home
    network gets a whole /64, so counting each address would hand a sender 2^64 limits)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


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

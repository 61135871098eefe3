"""Paging of list routes (CONTRACT §3): ``limit`` 1–500 and ``offset``, counted in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PageParams:
    return PageParams(limit, offset)


Paging = Annotated[PageParams, Depends(page_params)]


async def fetch_page(
    session: AsyncSession, query: Select, paging: PageParams
) -> tuple[list[Any], int]:
    """The rows of one page and the total count of the (unordered, unpaged) query."""
    total = (
        await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    rows = (await session.execute(query.limit(paging.limit).offset(paging.offset))).all()
    return [row[0] if len(row) == 1 else tuple(row) for row in rows], int(total)

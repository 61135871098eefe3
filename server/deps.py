"""Request dependencies shared by every feature: the context and the request's unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.context import ServerContext
from server.errors import AppError


def context_of(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


async def get_ctx(request: Request) -> ServerContext:
    """The ``Ctx`` dependency. A coroutine: FastAPI runs a plain-function dependency in its
    thread pool, which cost every route using ``Ctx`` a thread hand-off."""
    return context_of(request)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: commits when the route returns, before the response is sent.

    An ``AppError`` with ``keep_changes`` (e.g. a counted failed login) still commits what was
    written; any other error rolls everything back.
    """
    ctx = context_of(request)
    session = ctx.db.new_session()
    try:
        yield session
        await session.commit()
    except AppError as error:
        if getattr(error, "keep_changes", False):
            await session.commit()
        else:
            await session.rollback()
        raise
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session for routes that only read (it never takes SQLite's write lock)."""
    async with context_of(request).db.read_session() as session:
        yield session


Ctx = Annotated[ServerContext, Depends(get_ctx)]
Session = Annotated[AsyncSession, Depends(_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]

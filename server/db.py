"""Engine and sessions. Only the request's session dependency or the job runner commits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from server import sync_versions

ChangeListener = Callable[[dict[uuid.UUID, int]], None]


class LeadflowSession(Session):
    """The ORM session class; ``server.sync_versions`` versions synced rows at each flush."""


sync_versions.install(LeadflowSession)

JOBS_ENQUEUED_KEY = "jobs_enqueued"


@event.listens_for(LeadflowSession, "after_commit")
def _jobs_committed(session: Session) -> None:
    database = session.info.get("database")
    if session.info.pop(JOBS_ENQUEUED_KEY, False) and database is not None:
        for listener in list(database.job_listeners):
            listener()


@event.listens_for(LeadflowSession, "after_rollback")
def _jobs_rolled_back(session: Session) -> None:
    session.info.pop(JOBS_ENQUEUED_KEY, None)


class Database:
    """One engine per process, plus the in-process listeners told of committed sync versions."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.listeners: list[ChangeListener] = []
        self.job_listeners: list[Callable[[], None]] = []
        self._sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=LeadflowSession,
            info={"database": self},
        )

    def publish(self, bumps: dict[uuid.UUID, int]) -> None:
        """Tell in-process listeners which businesses' versions moved (called after commit)."""
        for listener in list(self.listeners):
            listener(bumps)

    def new_session(self) -> AsyncSession:
        return self._sessionmaker()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back on any error."""
        async with self._sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and ``BEGIN IMMEDIATE`` so writers queue instead of failing mid-way.

    Every transaction takes SQLite's write lock at its start: that serialises writers, which is
    what gives sync versions their commit order on SQLite (PostgreSQL uses a row lock instead).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

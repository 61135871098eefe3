"""Sessions over the storage's engines (``server.storage``), and the listeners told of commits.

Only the request's session dependency or the job runner commits."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.orm import Session

from server import sync_versions
from server.storage import JOBS_ENQUEUED_KEY, STORAGE_KEY, Storage, storage_for, storage_of

__all__ = ["JOBS_ENQUEUED_KEY", "Database", "LeadflowSession", "ReadOnlySession"]

T = TypeVar("T")
log = logging.getLogger(__name__)
ChangeListener = Callable[[dict[uuid.UUID, int]], None]


class LeadflowSession(Session):
    """The ORM session class; ``server.sync_versions`` versions synced rows at each flush."""


sync_versions.install(LeadflowSession)


class ReadOnlyWrite(RuntimeError):
    """Code holding a read session tried to write."""


class ReadOnlySession(Session):
    """The session class of read-only work (lists, pulls, the first half of a job)."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyWrite("a read session must not write; use a normal session")


@event.listens_for(LeadflowSession, "before_commit", insert=True)
def _jobs_committing(session: Session) -> None:
    # First of the commit's steps and without a flush: before the version counter's lock
    # (``sync_versions``), which is held until the commit.
    if session.info.get(JOBS_ENQUEUED_KEY):
        with session.no_autoflush:
            storage_of(session).wake_other_workers(session)


@event.listens_for(LeadflowSession, "after_commit")
def _jobs_committed(session: Session) -> None:
    database = session.info.get("database")
    if database is None:
        return  # ``run_write``'s thread session: the caller wakes the workers on its loop
    if session.info.pop(JOBS_ENQUEUED_KEY, False):
        for listener in list(database.job_listeners):
            listener()


@event.listens_for(LeadflowSession, "after_rollback")
def _jobs_rolled_back(session: Session) -> None:
    session.info.pop(JOBS_ENQUEUED_KEY, None)


class Database:
    """The process's storage (``server.storage``: engines and hot paths of one database), its
    sessions, and the in-process listeners told of committed versions and queued jobs."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.storage: Storage = storage_for(
            url, self._announce_info, session_class=LeadflowSession, echo=echo, pool_size=pool_size
        )
        self.engine: AsyncEngine = self.storage.engine
        self.read_engine: AsyncEngine = self.storage.read_engine
        self.listeners: list[ChangeListener] = []
        self.job_listeners: list[Callable[[], None]] = []
        self._sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=LeadflowSession,
            info={"database": self, STORAGE_KEY: self.storage},
        )
        self._read_sessionmaker = async_sessionmaker(
            self.read_engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ReadOnlySession,
            info={"database": self, STORAGE_KEY: self.storage},
        )

    def publish(self, bumps: dict[uuid.UUID, int]) -> None:
        """Tell in-process listeners which businesses' versions moved (called after commit)."""
        for listener in list(self.listeners):
            listener(bumps)

    def new_session(self) -> AsyncSession:
        return self._sessionmaker()

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(session, *args)`` (synchronous code on a sync ORM session) in one write
        transaction, committed when it returns, rolled back when it raises; versions and queued
        jobs are announced after the commit, as after any session's.

        Its one caller is a returning customer's submission, whose checks are the synchronous
        Core plan that ``Storage.insert_new_lead`` also runs; every other write is async code on
        ``session()``."""
        return await self.storage.run_write(work, *args)

    def _announce_info(self, info: dict[str, Any]) -> None:
        """Announce what a commit of the storage recorded in its ``info``."""
        self.announce(info.get(sync_versions.BUMPS_KEY), jobs=bool(info.get(JOBS_ENQUEUED_KEY)))

    def announce(self, bumps: dict[uuid.UUID, int] | None, *, jobs: bool) -> None:
        """After a commit outside a ``LeadflowSession`` of this loop: tell the in-process
        listeners which versions moved, and wake this process's worker for new jobs."""
        if bumps:
            self.publish(bumps)
        if jobs:
            for listener in list(self.job_listeners):
                listener()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads: it never takes SQLite's write lock and refuses to flush."""
        async with self._read_sessionmaker() as session:
            try:
                yield session
            finally:
                await session.rollback()

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
            async with self.read_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.storage.dispose()

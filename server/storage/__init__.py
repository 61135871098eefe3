"""The storage layer: the measured hot paths, written once per database.

Everything else goes through the ORM on one unit of work (``Database.session`` and
``Database.run_write``). The app picks one ``Storage`` when it builds its ``Database``
(``storage_for``); services call it and never ask which database runs. docs/ARCHITECTURE.md
("The storage layer") is the tour.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")
R = TypeVar("R", covariant=True)
JOBS_ENQUEUED_KEY = "jobs_enqueued"  # in a session's ``info``: wake the workers after commit
Announce = Callable[[dict[str, Any]], None]  # what a commit recorded in its ``info``


@dataclass(frozen=True)
class NewLead(Generic[R]):
    """Every row of a new lead, as plain column values, and what the caller answers once they
    are stored. Built by ``server.intake.service``; written by ``Storage.write_new_lead``."""

    lead: dict[str, Any]  # every column but ``version``
    message: dict[str, Any]  # every column but ``version``
    received: dict[str, Any]  # the ``lead.received`` audit row
    job: dict[str, Any] | None  # ``process_lead``; ``None`` for spam and held submissions
    hits: list[dict[str, Any]]  # the rate-limit hits it counts
    claim: dict[str, Any]  # the ``submissions`` row that makes a retry a repeat
    result: R
    info: dict[str, Any] = field(default_factory=dict)  # versions moved, job queued


class Repeat(Exception):
    """The same submission was stored by a request that committed first: nothing of this one
    stays (the counter may have moved on: versions may have gaps). ``result`` is what the
    submission would have answered."""

    def __init__(self, result: Any) -> None:
        super().__init__("repeat submission")
        self.result = result


Plan = Callable[..., "NewLead[T] | T"]


class Storage(ABC):
    """The hot paths of one database. Synchronous work (``plan``) gets a SQLAlchemy
    ``Connection``: the same Core statements run on either database."""

    name: str  # "sqlite" or "postgresql"
    engine: AsyncEngine  # the writers' (sessions, ``run_write``)
    read_engine: AsyncEngine  # read sessions
    # PostgreSQL tells every process of a commit (``pg_notify``, heard by ``LISTEN``); SQLite
    # has no such channel, so only this process's listeners hear of its own commits.
    notifies_other_processes: bool

    @abstractmethod
    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(session, *args)`` (synchronous code on a sync ORM session) in one write
        transaction, committed when it returns, rolled back when it raises; the versions moved
        and the jobs queued are announced after the commit."""

    @abstractmethod
    async def insert_new_lead(self, plan: Plan[T], *args: Any) -> T:
        """Run ``plan(conn, *args)`` (the intake query and the checks); if it returns a
        ``NewLead``, write it (``write_new_lead``), committed before this returns, and answer its
        ``result``; anything else it returns is answered as is, with nothing written. Raises
        ``Repeat`` if the submission was stored already."""

    @abstractmethod
    def write_new_lead(self, conn: Connection, new: NewLead[Any], info: dict[str, Any]) -> None:
        """Write every row of ``new`` in ``conn``'s transaction (or as one statement in
        autocommit), recording the versions moved and the job queued in ``info`` (a session's
        ``info``) so they are announced after the commit. The one way a new lead is written."""

    @abstractmethod
    def claim_submission(self, conn: Connection, values: dict[str, Any]) -> bool:
        """Insert the ``submissions`` row unless it exists; ``False`` for a repeat."""

    @abstractmethod
    async def dispose(self) -> None:
        """Close what this storage opened."""


def storage_for(url: str, announce: Announce, **options: Any) -> Storage:
    """The storage of the database at ``url``, chosen once, when the ``Database`` is built;
    ``announce`` is told what each of its commits recorded (versions moved, jobs queued)."""
    if url.startswith("sqlite"):
        from server.storage.sqlite import SqliteStorage

        return SqliteStorage(url, announce, **options)
    from server.storage.postgres import PostgresStorage

    return PostgresStorage(url, announce, **options)

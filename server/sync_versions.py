"""The one place synced rows get their version (CONTRACT §7, ARCHITECTURE "Sync versions").

Each flush records which rows of a synced model were inserted, changed or deleted. When the
transaction commits, every such row takes its business's next version from ``sync_counters``
and a deleted row leaves a tombstone. The counter is advanced with ``UPDATE … RETURNING`` as the
very last step before ``COMMIT``: on PostgreSQL that row stays locked until the commit, so a
business's versions commit in increasing order, and because the counter is the last lock a
transaction takes, it never waits for a row lock while holding it (no deadlock with writers that
lock rows first). On SQLite every transaction holds the database's write lock (``BEGIN
IMMEDIATE``), which gives the same order. Bulk ``UPDATE``/``DELETE`` statements on synced tables
would bypass this, so they are refused.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import (
    BigInteger,
    Table,
    bindparam,
    event,
    insert,
    inspect,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value

from server.models.base import SyncedMixin, table_of, utcnow
from server.models.sync import SyncCounter, SyncTombstone
from server.storage import storage_of

BUMPS_KEY = "sync_bumps"
CHANGED_KEY = "sync_changed"
DELETED_KEY = "sync_deleted"
PG_CHANNEL = "leadflow_sync"


class BulkSyncedWriteError(RuntimeError):
    """A bulk statement tried to change a synced table without versioning its rows."""


def install(session_class: type[Session]) -> None:
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "do_orm_execute", _refuse_bulk_writes)
    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_rollback", _after_rollback)


def _business_of(obj: SyncedMixin) -> uuid.UUID:
    business_id: uuid.UUID | None = getattr(obj, "business_id", None)
    if business_id is None:
        raise ValueError(f"{type(obj).__name__} has no business_id")
    return business_id


def _before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Remember the synced rows this flush writes; versions come at commit."""
    from server.models.business import Business

    changed: dict[int, SyncedMixin] = session.info.setdefault(CHANGED_KEY, {})
    deleted: dict[int, SyncedMixin] = session.info.setdefault(DELETED_KEY, {})
    for obj in session.new:
        if isinstance(obj, SyncedMixin):
            if getattr(obj, "id", None) is None:
                obj.id = uuid.uuid4()  # type: ignore[attr-defined]
            if isinstance(obj, Business):
                # The counter row of a new business is born with it (no one else can lock it).
                session.add(SyncCounter(business_id=obj.id, version=0))
            changed[id(obj)] = obj
    for obj in session.dirty:
        if isinstance(obj, SyncedMixin) and session.is_modified(obj, include_collections=False):
            changed[id(obj)] = obj
    for obj in session.deleted:
        if isinstance(obj, SyncedMixin) and not isinstance(obj, Business):
            deleted[id(obj)] = obj
            changed.pop(id(obj), None)


async def stamp(session: AsyncSession) -> None:
    """Give the rows written so far their versions now (a route about to answer with them).

    Call it as the last step of a write, after every row lock is taken: it takes the counter.
    """
    await session.run_sync(assign_versions)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: versions are given when the real transaction commits
    assign_versions(session)


def assign_versions(session: Session) -> None:
    """Flush, then give every written synced row its version, taking the counters last."""
    session.flush()
    changed: dict[int, SyncedMixin] = session.info.pop(CHANGED_KEY, {})
    deleted: dict[int, SyncedMixin] = session.info.pop(DELETED_KEY, {})
    by_business: dict[uuid.UUID, list[SyncedMixin]] = defaultdict(list)
    gone: dict[uuid.UUID, list[SyncedMixin]] = defaultdict(list)
    for obj in changed.values():
        state = inspect(obj)
        if state.persistent:  # not expunged by a rolled-back savepoint, not deleted since
            by_business[_business_of(obj)].append(obj)
    for obj in deleted.values():
        if inspect(obj).was_deleted:  # a delete inside a rolled-back savepoint did not happen
            gone[_business_of(obj)].append(obj)
    businesses = sorted(set(by_business) | set(gone), key=str)
    if not businesses:
        return
    bumps: dict[uuid.UUID, int] = session.info.setdefault(BUMPS_KEY, {})
    now = utcnow()
    storage = storage_of(session)
    connection = session.connection()
    tombstones: list[dict[str, Any]] = []
    for business_id in businesses:  # sorted, so two committers never lock crosswise
        by_table: dict[Table, list[SyncedMixin]] = defaultdict(list)
        for obj in by_business[business_id]:
            by_table[table_of(type(obj))].append(obj)  # type: ignore[arg-type]
        tables = sorted(by_table, key=lambda table: table.name)  # one statement text per set
        count = sum(len(objs) for objs in by_table.values()) + len(gone[business_id])
        rows = [(table, [obj.id for obj in by_table[table]]) for table in tables]  # type: ignore[attr-defined]
        last = storage.version_rows(connection, business_id, count, rows, bumps=bumps)
        version = last - count
        for table in tables:  # the order the storage gave the versions in
            for obj in by_table[table]:
                version += 1
                set_committed_value(obj, "version", version)
        for obj in gone[business_id]:
            version += 1
            tombstones.append(
                {
                    "business_id": business_id,
                    "entity": obj.__sync_entity__,
                    "entity_id": obj.id,  # type: ignore[attr-defined]
                    "version": version,
                    "deleted_at": now,
                }
            )
    if tombstones:
        connection.execute(insert(table_of(SyncTombstone)), tombstones)


def advance_statement(*returning: Any) -> Any:
    """``UPDATE sync_counters SET version = version + :count WHERE business_id =
    :counter_business_id RETURNING version, *returning``: the one counter step (``advance``,
    and PostgreSQL's ``version_rows`` statement around it)."""
    return (
        update(table_of(SyncCounter))
        .where(
            SyncCounter.business_id
            == bindparam("counter_business_id", type_=SyncCounter.business_id.type)
        )
        .values(version=SyncCounter.version + bindparam("count", type_=BigInteger()))
        .returning(SyncCounter.version, *returning)
    )


_ADVANCE = advance_statement()


def advance(
    executor: Session | Connection,
    business_id: uuid.UUID,
    count: int,
    *,
    bumps: dict[uuid.UUID, int],
) -> int:
    """Move the business's counter ``count`` versions on (locking it) and return the new head,
    recorded in ``bumps``. Take it once every other row lock the transaction needs is held, so
    the counter is the last lock anyone waits for."""
    params = {"counter_business_id": business_id, "count": count}
    last: int = executor.execute(_ADVANCE, params).one()[0]
    bumps[business_id] = last
    return last


_SYNCED_TABLES: set[str] = set()


def _synced_tables() -> set[str]:
    if not _SYNCED_TABLES:
        from server.models import SYNCED_MODELS

        _SYNCED_TABLES.update(model.__tablename__ for model in SYNCED_MODELS)
    return _SYNCED_TABLES


def _refuse_bulk_writes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in _synced_tables():
        raise BulkSyncedWriteError(
            f"bulk write on synced table {name!r}: "
            "change rows through the ORM so they are versioned"
        )


def _after_commit(session: Session) -> None:
    database = session.info.get("database")
    if database is None:
        return  # ``Database.run_write``'s thread session: the caller publishes on its loop
    bumps = session.info.pop(BUMPS_KEY, None)
    if bumps:
        database.publish(bumps)


def _after_rollback(session: Session) -> None:
    for key in (BUMPS_KEY, CHANGED_KEY, DELETED_KEY):
        session.info.pop(key, None)

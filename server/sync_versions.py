"""The one place synced rows get their version (CONTRACT §7, ARCHITECTURE "Sync versions").

At every flush, each inserted, changed or deleted row of a synced model takes its business's next
version from ``sync_counters``, and a deleted row leaves a tombstone. The counter is advanced with
``UPDATE … RETURNING``: on PostgreSQL that row stays locked until the transaction ends, so a
business's versions commit in increasing order; on SQLite every transaction holds the database's
write lock (``BEGIN IMMEDIATE``), which gives the same order. Bulk ``UPDATE``/``DELETE`` statements
on synced tables would bypass this, so they are refused.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import event, text, update
from sqlalchemy.orm import ORMExecuteState, Session

from server.models.base import SyncedMixin, utcnow
from server.models.sync import SyncCounter, SyncTombstone

BUMPS_KEY = "sync_bumps"
PG_CHANNEL = "leadflow_sync"


class BulkSyncedWriteError(RuntimeError):
    """A bulk statement tried to change a synced table without versioning its rows."""


def install(session_class: type[Session]) -> None:
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "do_orm_execute", _refuse_bulk_writes)
    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_rollback", _after_rollback)


def _business_of(obj: SyncedMixin) -> uuid.UUID:
    business_id: uuid.UUID | None = getattr(obj, "business_id", None)
    if business_id is None:
        raise ValueError(f"{type(obj).__name__} has no business_id")
    return business_id


def _before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    from server.models.business import Business

    changed: dict[uuid.UUID, list[SyncedMixin]] = defaultdict(list)
    deleted: dict[uuid.UUID, list[SyncedMixin]] = defaultdict(list)
    new_businesses: set[uuid.UUID] = set()
    for obj in session.new:
        if isinstance(obj, SyncedMixin):
            if isinstance(obj, Business):
                if obj.id is None:
                    obj.id = uuid.uuid4()
                new_businesses.add(obj.id)
            if getattr(obj, "id", None) is None:
                obj.id = uuid.uuid4()  # type: ignore[attr-defined]
            changed[_business_of(obj)].append(obj)
    for obj in session.dirty:
        if isinstance(obj, SyncedMixin) and session.is_modified(obj, include_collections=False):
            changed[_business_of(obj)].append(obj)
    for obj in session.deleted:
        if isinstance(obj, SyncedMixin) and not isinstance(obj, Business):
            deleted[_business_of(obj)].append(obj)
    businesses = sorted(set(changed) | set(deleted), key=str)
    if not businesses:
        return
    bumps: dict[uuid.UUID, int] = session.info.setdefault(BUMPS_KEY, {})
    now = utcnow()
    for business_id in businesses:  # sorted, so two writers never lock counters crosswise
        count = len(changed[business_id]) + len(deleted[business_id])
        if business_id in new_businesses:
            last = count
            session.add(SyncCounter(business_id=business_id, version=last))
        else:
            last = session.execute(
                update(SyncCounter)
                .where(SyncCounter.business_id == business_id)
                .values(version=SyncCounter.version + count)
                .returning(SyncCounter.version)
            ).scalar_one()
        version = last - count
        for obj in changed[business_id]:
            version += 1
            obj.version = version
        for obj in deleted[business_id]:
            version += 1
            session.add(
                SyncTombstone(
                    business_id=business_id,
                    entity=obj.__sync_entity__,
                    entity_id=obj.id,  # type: ignore[attr-defined]
                    version=version,
                    deleted_at=now,
                )
            )
        bumps[business_id] = last
        if session.get_bind().dialect.name == "postgresql":
            # Delivered by PostgreSQL at commit, to every process LISTENing (the /events streams).
            session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": PG_CHANNEL, "payload": f"{business_id}:{last}"},
            )


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
    bumps = session.info.pop(BUMPS_KEY, None)
    database = session.info.get("database")
    if bumps and database is not None:
        database.publish(bumps)


def _after_rollback(session: Session) -> None:
    session.info.pop(BUMPS_KEY, None)

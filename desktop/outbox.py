"""The outbox of mutations (CONTRACT §7): written to SQLite before the UI shows them as done.

Each mutation gets its uuid once, when it is queued, and keeps it through every push (a push
whose answer was lost is repeated with the same id, and the server answers ``duplicate``
without sending anything twice). States:
``queued`` (waiting to be pushed), ``applied`` (the server confirmed it; ``settled`` once a pull
after that brought the server's own rows), ``rejected`` (kept with the reason until the owner
retries or discards it).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from desktop.store import LocalStore
from shared.models.enums import MutationType

if TYPE_CHECKING:
    from desktop.wire import Mutation, PushResult

QUEUED, APPLIED, REJECTED = "queued", "applied", "rejected"


@dataclass(frozen=True)
class OutboxItem:
    id: str
    type: MutationType
    lead_id: str | None
    payload: dict[str, Any]
    state: str
    error: str | None
    created_at: str

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Outbox:
    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.db = store.db

    def enqueue(self, kind: MutationType | str, **payload: Any) -> OutboxItem:
        """Store one mutation durably and return it; only then may the UI show it."""
        kind = MutationType(kind)
        clean = {
            k: (str(v) if isinstance(v, uuid.UUID | datetime) else v)
            for k, v in payload.items()
            if v is not None
        }
        mutation_id = str(uuid.uuid4())
        stamp = now_iso()
        with self.store.lock, self.db.atomic():
            seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
            self.db.execute(
                "INSERT INTO outbox (id, seq, type, lead_id, payload, state, created_at,"
                " updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    mutation_id,
                    seq,
                    kind.value,
                    clean.get("lead_id"),
                    json.dumps(clean),
                    QUEUED,
                    stamp,
                    stamp,
                ],
            )
        return OutboxItem(mutation_id, kind, clean.get("lead_id"), clean, QUEUED, None, stamp)

    def pending(self, limit: int = 100) -> list[Mutation]:
        from desktop.wire import Mutation

        with self.store.lock:
            rows = self.db.execute(
                "SELECT id, type, payload FROM outbox WHERE state = ? ORDER BY seq LIMIT ?",
                [QUEUED, limit],
            ).fetchall()
        return [
            Mutation(id=uuid.UUID(r[0]), type=MutationType(r[1]), payload=json.loads(r[2]))
            for r in rows
        ]

    def record(self, results: list[PushResult]) -> list[OutboxItem]:
        """Store the server's verdicts; returns the rejected items."""
        stamp = now_iso()
        with self.store.lock, self.db.atomic():
            for result in results:
                if not result.rejected:
                    self.db.execute(
                        "UPDATE outbox SET state = ?, error = NULL, attempts = attempts + 1,"
                        " updated_at = ? WHERE id = ?",
                        [APPLIED, stamp, str(result.id)],
                    )
                else:
                    self.db.execute(
                        "UPDATE outbox SET state = ?, error = ?, attempts = attempts + 1,"
                        " updated_at = ? WHERE id = ?",
                        [REJECTED, result.reason, stamp, str(result.id)],
                    )
        rejected = {str(r.id) for r in results if r.rejected}
        return [item for item in self.items() if item.id in rejected]

    def settle(self, ids: list[str]) -> None:
        """These applied mutations are now reflected by pulled rows: stop showing overlays."""
        with self.store.lock, self.db.atomic():
            for mutation_id in ids:
                self.db.execute(
                    "UPDATE outbox SET settled = 1 WHERE id = ? AND state = ?",
                    [mutation_id, APPLIED],
                )

    def retry(self, mutation_id: str) -> str:
        """Queue a rejected mutation again. The server remembers every id with its verdict, so
        the same id would only get the same rejection back; a rejected mutation was never
        applied (nothing was sent), so a new id cannot make anything happen twice."""
        new_id = str(uuid.uuid4())
        with self.store.lock:
            self.db.execute(
                "UPDATE outbox SET id = ?, state = ?, error = NULL, updated_at = ?"
                " WHERE id = ? AND state = ?",
                [new_id, QUEUED, now_iso(), mutation_id, REJECTED],
            )
        return new_id

    def discard(self, mutation_id: str) -> None:
        """Drop a mutation the server refused (only those: a queued one may be in flight)."""
        with self.store.lock:
            self.db.execute(
                "DELETE FROM outbox WHERE id = ? AND state = ?", [mutation_id, REJECTED]
            )

    def items(self, states: tuple[str, ...] = (QUEUED, REJECTED)) -> list[OutboxItem]:
        marks = ", ".join("?" for _ in states)
        with self.store.lock:
            rows = self.db.execute(
                "SELECT id, type, lead_id, payload, state, error, created_at FROM outbox"  # noqa: S608
                f" WHERE state IN ({marks}) ORDER BY seq",
                list(states),
            ).fetchall()
        return [
            OutboxItem(r[0], MutationType(r[1]), r[2], json.loads(r[3]), r[4], r[5], r[6])
            for r in rows
        ]

    def count(self, state: str = QUEUED) -> int:
        with self.store.lock:
            return int(
                self.db.execute("SELECT COUNT(*) FROM outbox WHERE state = ?", [state]).fetchone()[
                    0
                ]
            )

    def unsettled_applied(self) -> list[str]:
        with self.store.lock:
            return [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM outbox WHERE state = ? AND settled = 0", [APPLIED]
                )
            ]

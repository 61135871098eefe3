"""Reads of the local copy for the UI: inbox rows, a lead's detail and thread, follow-ups,
conversations. Pending mutations from the outbox are laid over the synced rows, so what the owner
did shows at once, also offline."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from desktop.outbox import APPLIED, QUEUED, REJECTED
from desktop.store import CLOSED, LocalStore
from shared.models.enums import FollowUpState, MessageDirection, MessageType
from shared.models.follow_ups import FollowUpDay

if TYPE_CHECKING:  # pydantic models, imported where used: the inbox needs none of them
    from shared.models.business import BusinessOut, FormOut
    from shared.models.leads import FollowUpOut, LeadDetail, MessageOut

# A status the owner set that the server has not reflected yet wins over the synced one.
PENDING_STATUS = (
    "o.type = 'set_status' AND (o.state = 'queued' OR (o.state = 'applied' AND o.settled = 0))"
)
EFFECTIVE_STATUS = (
    "COALESCE((SELECT json_extract(o.payload, '$.status') FROM outbox o"  # noqa: S608
    f" WHERE o.lead_id = l.id AND {PENDING_STATUS} ORDER BY o.seq DESC LIMIT 1), l.status)"
)
# What the owner searches: every column of the index but ``state`` (``desktop.store``).
SEARCHED = "{name email phone service messages}"
# Inbox orders: a key and a direction; ``l.rid`` breaks ties so windows never overlap.
SORT_KEYS = {
    "time": "l.created_at",
    "activity": "l.last_activity_at",
    "name": "l.customer_name COLLATE NOCASE",
    "service": "l.service_needed COLLATE NOCASE",
    "comm": "l.comm_status",
    "urgency": "CASE l.urgency WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END",
    "status": "{status}",
}
SORTS = {"newest": ("time", True), "oldest": ("time", False), "activity": ("activity", True)}
# The preview is the start of the lead's latest message the customer saw or wrote (one indexed
# lookup per row of the window, never per lead of the inbox).
LEAD_ROW = (
    "SELECT l.id, {status}, l.comm_status, l.urgency, l.customer_name, l.service_needed,"
    " l.customer_email, l.created_at, l.unread,"
    " (SELECT substr(json_extract(m.data, '$.content'), 1, 160) FROM messages m"
    "  WHERE m.lead_id = l.id AND m.type NOT IN ('note', 'ai_draft')"
    "  ORDER BY m.created_at DESC LIMIT 1) FROM leads l"
)


@dataclass(frozen=True)
class LeadRow:
    """One inbox line: a projection of a lead, cheap enough for 100,000 rows."""

    id: str
    status: str
    comm_status: str
    urgency: str | None
    customer_name: str
    service_needed: str | None
    customer_email: str | None
    created_at: str
    unread: bool
    preview: str = ""  # the start of the latest message (``LEAD_ROW``)


@dataclass(frozen=True)
class InboxWindow:
    """A window of the inbox for request ``token``: the rows from ``offset`` on, and the number
    of leads that match (``total``; -1 when only a further window was asked for)."""

    token: int
    offset: int
    total: int
    rows: list[LeadRow]


@dataclass(frozen=True)
class ThreadItem:
    """A message of a lead's thread with how far it got: ``queued`` / ``rejected`` (still in
    the outbox), ``sent`` / ``failed`` / ``bounced`` (outbound, per the server), ``received``
    or ``internal``."""

    message: MessageOut
    delivery: str
    outbox_id: str | None = None
    error: str | None = None
    unread: bool = False  # a customer's message the owner has not opened the lead since
    other_sender: str | None = None  # an inbound reply from an address not the lead's


@dataclass(frozen=True)
class Conversation:
    lead_id: str
    customer_name: str
    last_at: str
    snippet: str
    inbound: bool
    unread: bool


def sort_order(sort: str) -> tuple[str, bool]:
    """``(key, descending)`` of an inbox sort name."""
    if sort in SORTS:
        return SORTS[sort]
    key, _, direction = sort.partition(":")
    return (key if key in SORT_KEYS else "time"), direction != "asc"


# Inbox filters on what happened last in the conversation rather than on the lead's status.
COMM_FILTERS = frozenset({"customer_replied"})


def search_match(q: str, status: str | None = None) -> str:
    """The FTS5 query of a search ``q`` (``""`` for none), over the searched columns, and
    limited to leads of ``status`` (``open`` or one status) by the index's ``state``."""
    words = fts_query(q)
    if not words:
        return ""
    match = f"{SEARCHED} : ({words})"
    if status and status.replace("_", "").isalpha():
        match += f' AND state : "{status.replace("_", "")}"'
    return match


def fts_query(text: str) -> str:
    """Prefix-match every word: ``"dee" "cle"`` → ``"dee"* "cle"*``."""
    words = [w for w in re.split(r"[\s\"'()*:^+-]+", text) if w]
    return " ".join(f'"{w}"*' for w in words)


class Queries:
    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.db = store.db

    # -- inbox ---------------------------------------------------------------------------------

    def leads(
        self,
        status: str | None = None,
        q: str = "",
        sort: str = "newest",
        limit: int | None = None,
        offset: int = 0,
        unread: bool = False,
    ) -> list[LeadRow]:
        """Inbox rows in ``sort`` order (``newest``, ``oldest``, ``activity`` or ``key:asc`` /
        ``key:desc`` with a key of ``SORT_KEYS``); ``limit``/``offset`` take one window."""
        with self.store.lock:
            status_sql = self._status_sql()
            where, params = self._filter(status_sql, status, q, unread)
            key, descending = sort_order(sort)
            direction = "DESC" if descending else "ASC"
            order = SORT_KEYS[key].format(status=status_sql)
            # A search that matches most leads is fastest in time order, walking the time
            # index and keeping the matches; SQLite would rather sort every match.
            source = " INDEXED BY leads_created" if key == "time" and fts_query(q) else ""
            sql = (
                LEAD_ROW.format(status=status_sql)
                + source
                + where
                + f" ORDER BY {order} {direction}, l.rid {direction}"
            )
            if limit is not None:
                sql += " LIMIT ? OFFSET ?"
                params += [limit, offset]
            rows = self.db.execute(sql, params).fetchall()
        return [
            LeadRow(
                r[0],
                r[1],
                r[2] or "new",
                r[3],
                r[4] or "",
                r[5],
                r[6],
                r[7] or "",
                bool(r[8]),
                r[9] or "",
            )
            for r in rows
        ]

    def inbox(
        self, token: int, status: str | None, q: str, sort: str, offset: int, limit: int
    ) -> InboxWindow:
        """One window of the inbox; the first (``offset`` 0) also counts every match."""
        rows = self.leads(status, q, sort, limit, offset)
        if offset:
            total = -1
        elif len(rows) < limit:
            total = len(rows)
        else:
            total = self.count_leads(status, q)
        return InboxWindow(token, offset, total, rows)

    def count_leads(self, status: str | None = None, q: str = "") -> int:
        with self.store.lock:
            status_sql = self._status_sql()
            match = search_match(q, status if status_sql == "l.status" else None)
            if match and status_sql == "l.status" and status not in COMM_FILTERS:
                # Counted inside the index: its ``state`` column holds each lead's status.
                sql = "SELECT COUNT(*) FROM leads_fts WHERE leads_fts MATCH ?"
                return int(self.db.execute(sql, [match]).fetchone()[0])
            where, params = self._filter(status_sql, status, q)
            sql = "SELECT COUNT(*) FROM leads l" + where  # noqa: S608 - constant fragments
            return int(self.db.execute(sql, params).fetchone()[0])

    def _status_sql(self) -> str:
        """The status to show and filter on: the synced one, unless the outbox holds a status
        change the server has not reflected yet (rare, so the common query stays a plain
        column that the indexes serve)."""
        pending = self.db.execute(f"SELECT 1 FROM outbox o WHERE {PENDING_STATUS} LIMIT 1")  # noqa: S608
        return EFFECTIVE_STATUS if pending.fetchone() else "l.status"

    @staticmethod
    def _filter(
        status_sql: str, status: str | None, q: str, unread: bool = False
    ) -> tuple[str, list[Any]]:
        # Only constant SQL fragments are joined here; every value is a bound parameter.
        where: list[str] = ["l.unread = 1"] if unread else []
        params: list[Any] = []
        if status in COMM_FILTERS:
            where.append("l.comm_status = ?")
            params.append(status)
            status = None
        if status == "open":
            where.append(f"{status_sql} NOT IN {CLOSED}")
        elif status:
            where.append(f"{status_sql} = ?")
            params.append(status)
        # The index's status narrows the matches early; the column above stays the judge.
        match = search_match(q, status if status_sql == "l.status" else None)
        if match:
            where.append("l.rid IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ?)")
            params.append(match)
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def unread_count(self) -> int:
        with self.store.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM leads WHERE unread = 1").fetchone()[0])

    def lead(self, lead_id: str) -> LeadDetail | None:
        from shared.models.leads import AIOut, GateOut, LeadDetail

        with self.store.lock:
            row = self.db.execute(
                f"SELECT x.data, {EFFECTIVE_STATUS}, l.gate_allowed, l.gate_reasons FROM leads l"  # noqa: S608
                " JOIN lead_data x ON x.id = l.id WHERE l.id = ?",
                [lead_id],
            ).fetchone()
            ai = self.db.execute(
                "SELECT data FROM ai_analyses WHERE lead_id = ? ORDER BY version DESC LIMIT 1",
                [lead_id],
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        data["status"] = row[1]
        for key in ("ai", "gate"):
            data.pop(key, None)
        detail = LeadDetail.model_validate(data)
        if ai is not None:
            detail.ai = AIOut.model_validate(json.loads(ai[0]))
        if row[2] is not None:
            detail.gate = GateOut(allowed=bool(row[2]), reasons=json.loads(row[3] or "[]"))
        return detail

    # -- thread --------------------------------------------------------------------------------

    def draft_sent(self, lead_id: str) -> bool:
        """Whether the lead's AI draft went out automatically, or an approval of it is queued
        or applied (a rejected one leaves the draft unsent)."""
        with self.store.lock:
            row = self.db.execute(
                "SELECT (SELECT comm_status FROM leads WHERE id = ?) = 'ai_replied'"
                " OR json_extract((SELECT data FROM lead_data WHERE id = ?), '$.auto_sent')"
                " OR EXISTS (SELECT 1 FROM outbox WHERE lead_id = ? AND type = 'approve_draft'"
                " AND state != ?)",
                [lead_id, lead_id, lead_id, REJECTED],
            ).fetchone()
        return bool(row[0])

    def thread(self, lead_id: str) -> list[ThreadItem]:
        from shared.models.leads import MessageOut

        with self.store.lock:
            synced = [
                r[0]
                for r in self.db.execute(
                    "SELECT data FROM messages WHERE lead_id = ? ORDER BY created_at, version",
                    [lead_id],
                )
            ]
            pending = self.db.execute(
                "SELECT o.id, o.type, o.payload, o.state, o.error, o.created_at FROM outbox o"
                " WHERE o.lead_id = ? AND o.type IN ('reply', 'approve_draft', 'add_note')"
                " AND (o.state IN (?, ?) OR (o.state = ? AND o.settled = 0 AND NOT EXISTS"
                " (SELECT 1 FROM messages m WHERE m.client_id = o.id))) ORDER BY o.seq",
                [lead_id, QUEUED, REJECTED, APPLIED],
            ).fetchall()
        items = [self._synced_item(MessageOut.model_validate_json(blob)) for blob in synced]
        items = self._mark_inbound(lead_id, items)
        for mutation_id, kind, payload, state, error, created in pending:
            content = json.loads(payload).get("content")
            if not content and kind == "approve_draft":
                detail = self.lead(lead_id)
                content = detail.ai.suggested_reply if detail and detail.ai else ""
            note = kind == "add_note"
            message = MessageOut(
                id=mutation_id,
                lead_id=lead_id,
                type=MessageType.NOTE if note else MessageType.OWNER_REPLY,
                direction=MessageDirection.INTERNAL if note else MessageDirection.OUTBOUND,
                subject=None,
                content=content or "",
                client_id=mutation_id,
                email_status=None,
                created_at=datetime.fromisoformat(created),
                version=0,
            )
            delivery = "sent" if state == APPLIED else state
            items.append(ThreadItem(message, delivery, mutation_id, error))
        return items

    def _mark_inbound(self, lead_id: str, items: list[ThreadItem]) -> list[ThreadItem]:
        """Mark a customer's messages since the last outbound or internal one unread while the
        lead is unread, and name a reply's sender when it is not the lead's address."""
        with self.store.lock:
            row = self.db.execute(
                "SELECT unread, customer_email FROM leads WHERE id = ?", [lead_id]
            ).fetchone()
        unread, email = (bool(row[0]), (row[1] or "").lower()) if row else (False, "")
        answered = max(
            (n for n, i in enumerate(items) if i.message.direction != MessageDirection.INBOUND),
            default=-1,
        )
        marked = []
        for n, item in enumerate(items):
            sender = (item.message.sender or "").lower()
            if item.message.direction == MessageDirection.INBOUND:
                item = replace(
                    item,
                    unread=unread and n > answered,
                    other_sender=sender if sender and email and sender != email else None,
                )
            marked.append(item)
        return marked

    @staticmethod
    def _synced_item(message: MessageOut) -> ThreadItem:
        if message.direction == MessageDirection.INBOUND:
            return ThreadItem(message, "received")
        if message.email_status == "bounced":
            return ThreadItem(message, "bounced")
        if message.direction == MessageDirection.INTERNAL or message.type in (
            MessageType.NOTE,
            MessageType.AI_DRAFT,
        ):
            return ThreadItem(message, "internal")
        status = message.email_status or "sent"
        return ThreadItem(message, status if status in ("failed", "bounced") else "sent")

    # -- conversations -------------------------------------------------------------------------

    def conversations(self, q: str = "") -> list[Conversation]:
        params: list[str] = []
        where = ""
        match = fts_query(q) if q.strip() else ""
        if match:
            where = " AND l.rid IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ?)"
            params.append(search_match(q))
        sql = (
            "SELECT l.id, l.customer_name, m.created_at, json_extract(m.data, '$.content'),"  # noqa: S608
            " m.direction, l.unread FROM leads l JOIN messages m ON m.id = ("
            " SELECT id FROM messages WHERE lead_id = l.id AND type NOT IN ('note', 'ai_draft')"
            " ORDER BY created_at DESC LIMIT 1)"
            f" WHERE 1 = 1{where} ORDER BY l.unread DESC, m.created_at DESC"
        )
        with self.store.lock:
            rows = self.db.execute(sql, params).fetchall()
        return [
            Conversation(
                r[0], r[1] or "", r[2] or "", (r[3] or "")[:140], r[4] == "inbound", bool(r[5])
            )
            for r in rows
        ]

    # -- follow-ups ----------------------------------------------------------------------------

    def follow_ups(self, now: datetime | None = None) -> dict[FollowUpState, list[FollowUpOut]]:
        """Every follow-up, grouped by the state it has now on the business's day (the rule of
        ``shared.models.follow_ups``, as the server computes it)."""
        from shared.models.leads import FollowUpOut

        with self.store.lock:
            zone = self.db.execute(
                "SELECT json_extract(data, '$.timezone') FROM business LIMIT 1"
            ).fetchone()
            rows = self.db.execute(
                "SELECT f.data, l.customer_name, l.service_needed FROM follow_ups f"
                " LEFT JOIN leads l ON l.id = f.lead_id ORDER BY f.scheduled_at"
            ).fetchall()
        day = FollowUpDay.of(now or datetime.now(UTC), zone[0] if zone else None)
        groups: dict[FollowUpState, list[FollowUpOut]] = {s: [] for s in FollowUpState}
        for blob, name, service in rows:
            item = FollowUpOut.model_validate_json(blob)
            item.customer_name = item.customer_name or name
            item.service_needed = item.service_needed or service
            item.state = day.state(item.status.value, item.scheduled_at)
            groups[item.state].append(item)
        return groups

    # -- business and form ---------------------------------------------------------------------

    def business(self) -> BusinessOut | None:
        from shared.models.business import BusinessOut

        with self.store.lock:
            row = self.db.execute("SELECT data FROM business LIMIT 1").fetchone()
        return BusinessOut.model_validate_json(row[0]) if row else None

    def form(self) -> FormOut | None:
        from shared.models.business import FormOut

        with self.store.lock:
            row = self.db.execute("SELECT data FROM form LIMIT 1").fetchone()
        return FormOut.model_validate_json(row[0]) if row else None

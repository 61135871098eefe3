"""The whole history of a fault scenario and the checks on it (Jepsen's habit: check what
happened, not the logs). ``record`` reads a ``History`` from the database, the SMTP sink and a
desktop's sync log; ``problems`` checks one and names every violation. ``problems`` is a pure
function, so ``test_history_checks.py`` shows it catches planted bugs on hand-made histories."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.faults.sync_log import SyncLog

# The business's synced rows that the scenarios change (CONTRACT §7 entities).
SYNCED_TABLES = {
    "lead": "leads",
    "message": "messages",
    "follow_up": "follow_ups",
    "ai_analysis": "ai_analyses",
}


# The one mail each customer gets unasked (CONTRACT §9); owner replies come on top of it.
FIRST_CONTACT = ("auto_reply", "acknowledgement")


@dataclass(frozen=True)
class Mail:
    """One ``email_events`` row of a lead (``History.mails`` is in the order they were queued)."""

    message_id: str
    to: str
    kind: str
    status: str
    lead: str = ""


@dataclass
class History:
    accepted: list[str]  # customer email of each submit answered 202
    cut_off: int  # submits whose client saw no answer at some try (the lead may be stored)
    stored: list[str]  # customer email of each stored lead
    analyses: dict[str, int]  # customer email → AI analyses of its lead
    jobs: list[tuple[str, str, int]]  # (kind, status, count)
    mails: list[Mail]  # in the order they were queued
    delivered: list[tuple[str, str]]  # (Message-ID, To) of each message the SMTP sink took
    business_contact: str
    sync: SyncLog | None = None
    synced_rows: dict[tuple[str, str], int] = field(default_factory=dict)  # → version now


def record(
    query: Any,
    url: str,
    smtp: Any,
    outcome: Any,
    *,
    business_contact: str,
    business_id: str | None = None,
    sync: SyncLog | None = None,
) -> History:
    """Read the history after the scenario (``query(url, sql, *params)`` runs SQL)."""
    analyses = query(
        url,
        "SELECT l.customer_email, count(a.id) FROM leads l"
        " LEFT JOIN ai_analyses a ON a.lead_id = l.id GROUP BY l.id, l.customer_email",
    )
    synced: dict[tuple[str, str], int] = {}
    if sync is not None and business_id is not None:
        for entity, table in SYNCED_TABLES.items():
            rows = query(
                url, f"SELECT id, version FROM {table} WHERE business_id = %s", business_id
            )
            synced.update({(entity, str(row_id)): version for row_id, version in rows})
    return History(
        accepted=list(outcome.accepted),
        cut_off=len(outcome.errors),
        stored=[email for (email,) in query(url, "SELECT customer_email FROM leads")],
        analyses={email: n for email, n in analyses},
        jobs=[
            tuple(row)
            for row in query(url, "SELECT kind, status, count(*) FROM jobs GROUP BY 1, 2")
        ],
        mails=[
            Mail(*row)
            for row in query(
                url,
                "SELECT message_id, to_address, kind, status, lead_id::text FROM email_events"
                " WHERE lead_id IS NOT NULL ORDER BY created_at, id",
            )
        ],
        delivered=[(str(m["Message-ID"]), str(m.get("To", ""))) for m in list(smtp.messages)],
        business_contact=business_contact,
        sync=sync,
        synced_rows=synced,
    )


def problems(history: History, in_flight_at_kill: frozenset[str] = frozenset()) -> list[str]:
    """Every violation in the history: every 202 is one stored lead; each lead analysed once
    with exactly its mails (one AI reply or acknowledgement to the customer, one alert to the
    owner, and any owner replies), each delivered once and, per lead and recipient, in the
    order queued; no job left running or failed; the sync log saw every change once. A mail
    whose send was under way when a worker was killed may have been accepted by the SMTP
    server without LeadFlow hearing it: it alone may arrive twice, never more."""
    found: list[str] = []
    if not history.accepted:
        found.append("no submit was accepted")
    stored = Counter(history.stored)
    lost = [e for e in history.accepted if stored[e] == 0]
    if lost:
        found.append(f"{len(lost)} accepted leads were not stored: {lost[:3]}")
    doubled = [e for e, n in stored.items() if n > 1]
    if doubled:
        found.append(f"{len(doubled)} leads were stored twice: {doubled[:3]}")
    unanswered = set(stored) - set(history.accepted)
    # A lead may be stored although its client never saw the 202 (cut off); never the reverse.
    if len(unanswered) > history.cut_off:
        found.append(f"{len(unanswered)} stored leads no client saw: {sorted(unanswered)[:3]}")

    analysed = Counter(history.analyses.values())
    if set(analysed) != {1}:
        found.append(f"leads by number of analyses (each wants 1): {dict(analysed)}")
    unfinished = [job for job in history.jobs if job[1] != "done"]
    if unfinished:
        found.append(f"jobs not done: {unfinished}")

    not_sent = Counter(m.status for m in history.mails if m.status != "sent")
    if not_sent:
        found.append(f"mails not sent: {dict(not_sent)}")
    alerts = sum(m.kind == "owner_alert" for m in history.mails)
    if alerts != len(stored):
        found.append(f"{alerts} owner alerts recorded for {len(stored)} leads")
    customer = Counter(m.to for m in history.mails if m.kind in FIRST_CONTACT)
    if customer != Counter(set(stored)):
        wrong = {e: customer[e] for e in set(stored) | set(customer) if customer[e] != 1}
        found.append(f"customers with other than one mail recorded: {wrong}")

    delivered = Counter(message_id for message_id, _to in history.delivered)
    repeated = {m: n for m, n in delivered.items() if n > 1}
    unexplained = {m: n for m, n in repeated.items() if m not in in_flight_at_kill or n > 2}
    if unexplained:
        found.append(f"{len(unexplained)} mails were delivered more than once: {unexplained}")
    missing = {m.message_id for m in history.mails} - set(delivered)
    if missing:
        found.append(f"{len(missing)} recorded mails never reached the SMTP server")
    per_address: dict[str, set[str]] = {}
    for message_id, to in history.delivered:
        for address in {*stored, history.business_contact}:
            if address in to:
                per_address.setdefault(address, set()).add(message_id)
    recorded_to: dict[str, set[str]] = {}
    for mail in history.mails:
        recorded_to.setdefault(mail.to, set()).add(mail.message_id)
    off = [e for e in stored if per_address.get(e, set()) != recorded_to.get(e, set())]
    if off:
        found.append(f"{len(off)} customers did not get exactly their recorded mails: {off[:3]}")
    alerted = len(per_address.get(history.business_contact, ()))
    if alerted != len(stored):
        found.append(f"the owner got {alerted} distinct alerts for {len(stored)} leads")

    found.extend(order_problems(history))
    if history.sync is not None:
        found.extend(sync_problems(history.sync, history.synced_rows))
    return found


def order_problems(history: History) -> list[str]:
    """Each lead's mails reached each recipient in the order they were queued (by the first
    arrival of each; mails never delivered are named by ``problems``)."""
    arrival: dict[str, int] = {}
    for position, (message_id, _to) in enumerate(history.delivered):
        arrival.setdefault(message_id, position)
    threads: dict[tuple[str, str], list[str]] = {}
    for mail in history.mails:
        if mail.message_id in arrival:
            threads.setdefault((mail.lead, mail.to), []).append(mail.message_id)
    out_of_order = [
        f"{to} of lead {lead or '?'}: queued {ids}, arrived {sorted(ids, key=arrival.__getitem__)}"
        for (lead, to), ids in threads.items()
        if ids != sorted(ids, key=arrival.__getitem__)
    ]
    if not out_of_order:
        return []
    return [f"{len(out_of_order)} leads' mails arrived out of queue order: {out_of_order[:2]}"]


def sync_problems(log: SyncLog, rows_now: dict[tuple[str, str], int]) -> list[str]:
    """A desktop that pulled with its cursor through the fault saw every change once: each
    page moved the cursor forward over changes newer than it, no change came twice, and what
    it applied is the database's state now, row for row (a skipped change leaves a row missing
    or behind)."""
    found: list[str] = []
    seen: Counter[tuple[str, str, int]] = Counter()
    replica: dict[tuple[str, str], int] = {}
    cursor = log.pages[0].cursor if log.pages else 0
    for page in log.pages:
        if page.cursor != cursor:
            found.append(f"a pull sent cursor {page.cursor}, not the stored {cursor}")
        versions = [version for _e, _i, version, _d in page.changes]
        if versions != sorted(versions) or any(v <= page.cursor for v in versions):
            found.append(f"the page after cursor {page.cursor} is out of order: {versions[:5]}")
        if versions and page.next_cursor < versions[-1]:
            found.append(f"cursor {page.next_cursor} is behind its page's last change")
        for entity, row_id, version, deleted in page.changes:
            seen[(entity, row_id, version)] += 1
            if deleted:
                replica.pop((entity, row_id), None)
            else:
                replica[(entity, row_id)] = version
        cursor = page.next_cursor
    repeated = [change for change, n in seen.items() if n > 1]
    if repeated:
        found.append(f"{len(repeated)} changes came twice: {repeated[:3]}")
    tracked = {key: version for key, version in replica.items() if key[0] in SYNCED_TABLES}
    missing = [key for key in rows_now if key not in tracked]
    if missing:
        found.append(f"{len(missing)} rows never reached the desktop: {missing[:3]}")
    behind = [key for key, version in rows_now.items() if key in tracked and tracked[key] < version]
    if behind:
        found.append(f"{len(behind)} rows stayed behind their latest change: {behind[:3]}")
    phantom = [key for key in tracked if key not in rows_now]
    if phantom:
        found.append(f"{len(phantom)} synced rows are not in the database: {phantom[:3]}")
    if not log.pages:
        found.append("the desktop never pulled")
    return found

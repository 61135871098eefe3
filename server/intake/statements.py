"""The intake's prebuilt statements (bound parameters, built once at import).

Building a statement from literal values and computing its cache key cost more CPU than running
it, so the hot path of a form submit uses only these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.models.base import table_of
from server.models.business import Business, Form
from server.models.lead import Lead, Message, Submission
from server.models.ops import AuditLog, Job
from server.models.sync import SyncCounter
from server.models.user import RateLimitHit
from server.ratelimit import window_count
from shared.models.enums import CLOSED_LEAD_STATUSES

CLOSED = [s.value for s in CLOSED_LEAD_STATUSES]


def _open_lead_by(column: Any, name: str) -> Any:
    """Open leads of the form's business with this normalised email (or phone): an index
    lookup on ``(business_id, email_normalized)`` (or phone), a few rows at most. No time
    condition here: SQLite would rather walk ``(business_id, created_at)`` over every recent
    lead; the caller checks the newest match's age (``DUPLICATE_WINDOW``)."""
    return (
        select(Lead.id, Lead.created_at)
        .where(
            Lead.business_id == Form.business_id,
            column == bindparam(name, type_=column.type),
            # The closed statuses as bound constants, not one expanding parameter: the statement
            # then runs as compiled (``server.rawsql``), with nothing to expand per execution.
            Lead.status.not_in([literal(status, Lead.status.type) for status in CLOSED]),
        )
        .correlate(Form)
    )


# The statements of the hot path are built once, with bound parameters: building a statement
# from literal values and computing its cache key cost more CPU than running it.
# The newest open lead of the same customer. Two lookups in a union, not one ``email = ? OR
# phone = ? AND created_at > ?`` condition: SQLite answered that by walking the business's
# ``created_at`` index over every lead of the last 30 days (each submit got slower with every
# lead the business had).
_MATCHES = union_all(
    _open_lead_by(Lead.email_normalized, "email"), _open_lead_by(Lead.phone_normalized, "phone")
).subquery("matches")
_OPEN_DUPLICATE = (
    select(_MATCHES.c.id).order_by(_MATCHES.c.created_at.desc()).limit(1).scalar_subquery()
)
# The form, both rate-limit windows and the newest open lead of the same customer, in one query.
INTAKE = (
    select(
        Form.id,
        Form.success_message,
        Form.active,
        Business.id,
        Business.status,
        window_count("ip_key", "ip_since", "ip_limit"),
        window_count("form_key", "form_since", "form_limit"),
        _OPEN_DUPLICATE,
        select(Submission.submission_id)
        .where(
            Submission.business_id == Form.business_id,
            Submission.submission_id
            == bindparam("submission_id", type_=Submission.submission_id.type),
        )
        .correlate(Form)
        .exists(),
    )
    .select_from(Form)
    .join(Business, Business.id == Form.business_id)
    .where(Form.slug == bindparam("slug"))
)
CLAIM = {
    "postgresql": pg_insert(table_of(Submission)).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(table_of(Submission)).on_conflict_do_nothing(),
}
# A concurrent request with the same submission id inserts nothing here (a repeat), not a 409.
INSERT_LEAD = {
    "postgresql": pg_insert(table_of(Lead)).on_conflict_do_nothing(
        index_elements=["business_id", "submission_id"]
    ),
    "sqlite": sqlite_insert(table_of(Lead)).on_conflict_do_nothing(
        index_elements=["business_id", "submission_id"]
    ),
}
INSERT_MESSAGE = insert(table_of(Message))
INSERT_AUDIT = insert(table_of(AuditLog))
INSERT_HITS = insert(table_of(RateLimitHit))


def _pg_new_lead() -> Any:
    """PostgreSQL: a new lead's every row in one statement (one round trip instead of eight).

    Data-modifying CTEs each run exactly once: the counter moves two versions on (taking its
    lock, after every other lock this transaction holds), then the lead is inserted unless the
    same submission's lead exists (a concurrent double click waits here for the first to
    commit); the message, the audit row, the job and the claim are inserted only with the lead,
    plus the rate-limit hits, and ``pg_notify`` tells the ``/events`` listeners. The statement
    answers how many claims went in (0: a repeat, rolled back by the caller) and the new head.
    """
    counter = table_of(SyncCounter)
    bumped = (
        update(counter)
        .where(
            counter.c.business_id
            == bindparam("counter_business_id", type_=counter.c.business_id.type)
        )
        .values(version=counter.c.version + literal_column("2"))
        .returning(counter.c.version)
        .cte("bumped")
    )
    head = select(bumped.c.version).scalar_subquery()

    def params(model: Any, prefix: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        columns = [c for c in table_of(model).columns if c.key not in skip]
        PG_FIELDS.extend(f"{prefix}_{c.key}" for c in columns)
        return {c.key: bindparam(f"{prefix}_{c.key}", type_=c.type) for c in columns}

    def returning_id(statement: Any, name: str) -> Any:
        return statement.returning(statement.table.c.id).cte(name)

    lead = returning_id(
        pg_insert(table_of(Lead))
        .values(**params(Lead, "l", ("version",)), version=head - literal_column("1"))
        .on_conflict_do_nothing(index_elements=["business_id", "submission_id"]),
        "lead",
    )

    def with_lead(model: Any, values: dict[str, Any]) -> Any:
        """Insert one row of ``model`` only if the lead was inserted."""
        return insert(table_of(model)).from_select(
            list(values), select(*values.values()).select_from(lead)
        )

    message = returning_id(
        with_lead(Message, {**params(Message, "m", ("version",)), "version": head}), "message"
    )
    audit_row = returning_id(with_lead(AuditLog, params(AuditLog, "a")), "audit_row")
    job = returning_id(with_lead(Job, params(Job, "j")), "job")
    hits = [
        returning_id(with_lead(RateLimitHit, params(RateLimitHit, f"h{n}")), f"hit{n}")
        for n in (1, 2)
    ]
    claim = (
        with_lead(Submission, params(Submission, "s"))
        .returning(table_of(Submission).c.submission_id)
        .cte("claim")
    )
    notified = func.pg_notify(bindparam("channel"), bindparam("prefix") + cast(head, String)).label(
        "notified"
    )
    return select(
        select(func.count()).select_from(claim).scalar_subquery().label("claimed"),
        head.label("head"),
        notified,
    ).add_cte(message, audit_row, job, *hits)


PG_FIELDS: list[str] = []  # every column parameter of the statement (unset ones are NULL)
PG_NEW_LEAD = _pg_new_lead()

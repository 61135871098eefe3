"""The intake query, built once with bound parameters (built per request from literal values,
it cost more CPU than running it). The rows of a new lead are written by ``server.storage``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    bindparam,
    literal,
    select,
    union_all,
)

from server.models.business import Business, Form
from server.models.lead import Lead, Submission
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
            # The closed statuses as constants, not one expanding parameter: nothing to expand
            # per execution.
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

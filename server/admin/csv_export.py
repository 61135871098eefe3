"""CSV exports streamed in batches: memory stays flat however many rows the query matches.

Each batch is read in its own short session, walking the query by keyset on
``(created_at, id)`` (newest first). One long session would hold SQLite's write lock
(``BEGIN IMMEDIATE``) for the whole download; short ones let writers in between batches.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.admin.records import RowQuery
from server.context import ServerContext
from server.models.user import User

log = logging.getLogger(__name__)

BATCH_ROWS = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """One CSV cell as text; a cell a spreadsheet would run as a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def keyset_batches(
    ctx: ServerContext, query: RowQuery, table: Any, *, batch: int = BATCH_ROWS
) -> AsyncIterator[Sequence[Any]]:
    """The rows of ``query`` (ordered by ``created_at`` desc, ``id`` desc) in batches."""

    async def walk() -> AsyncIterator[Sequence[Any]]:
        last: tuple[datetime, uuid.UUID] | None = None
        while True:
            page = query
            if last is not None:
                at, row_id = last
                # The plain ``created_at <=`` bound lets both databases use the created_at index.
                page = page.where(
                    table.created_at <= at,
                    or_(table.created_at < at, and_(table.created_at == at, table.id < row_id)),
                )
            async with ctx.db.session() as session:
                rows = (await session.execute(page.limit(batch))).all()
            if not rows:
                return
            yield rows
            if len(rows) < batch:
                return
            last = (rows[-1].created_at, rows[-1].id)

    return walk()


def record_export(session: AsyncSession, admin: User, name: str, filters: Any) -> None:
    """Write to the audit log who exported what with which filters (the request's session
    commits it before the first row is sent): an export is tenants' personal data leaving
    the platform."""
    chosen = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
    audit.record(
        session,
        "export.downloaded",
        actor=admin,
        business_id=chosen.get("business_id"),
        entity="export",
        entity_id=name,
        details={"export": name, "filters": chosen},
    )


def csv_response(
    ctx: ServerContext,
    query: RowQuery,
    table: Any,
    *,
    name: str,
    header: Sequence[str],
    row_values: Callable[[Any], Sequence[Any]],
) -> StreamingResponse:
    """A ``text/csv`` download of ``query``, one header line then one line per row."""

    async def body() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        yield buffer.getvalue()
        try:
            async for rows in keyset_batches(ctx, query, table):
                buffer.seek(0)
                buffer.truncate()
                writer.writerows([neutralise(v) for v in row_values(row)] for row in rows)
                yield buffer.getvalue()
        except Exception:
            # The status line is already sent: log it and end the download short.
            log.exception("CSV export %s failed mid-way", name)
            raise

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="leadflow-{name}-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )

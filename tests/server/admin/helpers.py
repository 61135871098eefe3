"""Helpers of the admin console tests: direct rows for volume, CSV parsing, real image bytes."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import httpx
from PIL import Image

from server.context import ServerContext
from server.models.base import utcnow
from server.models.ops import EmailEvent

ADMIN = "/api/v1/admin"


async def add_emails(
    ctx: ServerContext,
    count: int,
    *,
    business_id: str | None = None,
    status: str = "sent",
    kind: str = "owner_alert",
    to: str = "someone@example.net",
    subject: str = "Hello",
) -> list[uuid.UUID]:
    """``count`` email rows, one second apart (the last one newest)."""
    now = utcnow()
    ids = []
    async with ctx.db.session() as session:
        for n in range(count):
            row_id = uuid.uuid4()
            ids.append(row_id)
            session.add(
                EmailEvent(
                    id=row_id,
                    business_id=uuid.UUID(business_id) if business_id else None,
                    kind=kind,
                    status=status,
                    from_address="LeadFlow <noreply@leadflow.test>",
                    to_address=to,
                    subject=subject,
                    text_body="x",
                    html_body="<p>x</p>",
                    message_id=f"<{row_id.hex}@leadflow.test>",
                    created_at=now - timedelta(seconds=count - n),
                )
            )
    return ids


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment; filename=" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.text)))


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 32), mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, (200, 30, 60) if mode == "RGB" else (200, 30, 60, 128))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()

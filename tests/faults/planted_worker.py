"""``leadflow-server`` with a bug planted, to show the fault suite catches one; the product never
loads this. Run as ``python -m tests.faults.planted_worker worker`` (``leadflow-server``'s
arguments).

The bug: ``deliver_email`` marks its job done in the claim's transaction, before the mail is
sent and recorded. Nothing shows it until a worker dies mid-send: its mails then stay queued
with no job left to deliver them."""

from __future__ import annotations

import sys
import uuid
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.cli import main
from server.jobs.worker import JobRun
from server.mail import service

_claim_send = service._claim_send


async def _claim_and_complete(
    session: AsyncSession, run: JobRun, event_id: uuid.UUID, limit_s: float
) -> EmailMessage | float | None:
    claimed: Any = await _claim_send(session, run, event_id, limit_s)
    if isinstance(claimed, EmailMessage):
        await run.complete(session)  # the planted bug: done before the mail is recorded
    return claimed


if __name__ == "__main__":
    service._claim_send = _claim_and_complete  # type: ignore[assignment]
    sys.exit(main(sys.argv[1:]))

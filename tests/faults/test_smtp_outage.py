"""The SMTP server down while leads arrive and the owner answers them (short retry settings
stand in for an hour): every queued mail is delivered exactly once after it comes back, none is
failed, and each customer gets its lead's mails in the order they were queued."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.faults.cluster import Cluster, check_history, query, submit_load, wait_settled
from tests.faults.sync_log import SyncFollower

pytestmark = pytest.mark.timeout(240)  # real processes on a shared machine: start-up is slow


@pytest.fixture
def cluster(settings, smtp, ai, tmp_path):  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Cluster(settings, smtp, ai, logs, LEADFLOW_MAIL_RETRY_FIRST_S="0.5")
    yield processes
    processes.stop()


async def test_mail_queued_through_an_smtp_outage_is_delivered_once_when_it_returns(
    settings, tenant, cluster, smtp, ai
):
    smtp.fail_with = 421  # "service not available, closing transmission channel"
    cluster.start()
    urls = [api.url for api in cluster.apis]
    desktop = SyncFollower(urls, tenant.owner_headers)
    desktop.start()
    outcome = await submit_load(urls, tenant.slug, leads=40, clients=10, seconds=3.0)
    await asyncio.sleep(3.0)
    [(waiting,)] = query(
        settings.database_url,
        "SELECT count(*) FROM email_events WHERE status = 'queued' AND error LIKE '%%421%%'",
    )
    assert waiting > 0 and smtp.messages == []
    # The owner answers every lead while its first mail waits for a retry: each reply would
    # go on its own retry schedule, and a fresh one retries sooner than an old one.
    leads = await asyncio.to_thread(_leads_with_first_mail, settings.database_url, 40, 60.0)
    async with httpx.AsyncClient(timeout=10, headers=tenant.owner_headers) as http:
        for n, lead_id in enumerate(leads):
            response = await http.post(
                f"{urls[n % len(urls)]}/api/v1/owner/leads/{lead_id}/messages",
                json={"content": "Thanks, we can come on Tuesday."},
            )
            assert response.status_code < 300, response.text
    await asyncio.sleep(2.0)
    assert smtp.messages == []
    smtp.fail_with = None
    await asyncio.sleep(1.0)
    await asyncio.to_thread(wait_settled, settings.database_url, 120.0)
    [(replies,)] = query(
        settings.database_url,
        "SELECT count(*) FROM email_events WHERE kind = 'owner_reply' AND status = 'sent'",
    )
    assert replies == 40
    await asyncio.sleep(1.0)

    assert len(outcome.accepted) == 40, outcome
    synced = await desktop.finish()
    check_history(
        settings.database_url,
        smtp,
        outcome,
        business_contact=tenant.business["contact_email"],
        sync=synced,
        business_id=tenant.id,
    )


def _leads_with_first_mail(url: str, count: int, timeout: float) -> list[str]:
    """The ids of the ``count`` leads once each has its first customer mail queued."""
    deadline = time.monotonic() + timeout
    while True:
        rows = query(
            url,
            "SELECT DISTINCT lead_id::text FROM email_events"
            " WHERE kind IN ('auto_reply', 'acknowledgement')",
        )
        if len(rows) >= count or time.monotonic() > deadline:
            return [lead_id for (lead_id,) in rows]
        time.sleep(0.2)

"""The SMTP server down while leads arrive (short retry settings stand in for an hour): every
queued mail is delivered exactly once after it comes back, none is failed."""

from __future__ import annotations

import asyncio

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
    smtp.fail_with = None
    await asyncio.sleep(1.0)
    await asyncio.to_thread(wait_settled, settings.database_url, 120.0)
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

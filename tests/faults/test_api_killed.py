"""An API process killed with SIGKILL in the middle of requests: each client retries with the
same ``submission_id`` on the other process, and every submission is stored exactly once."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.cluster import check_history, submit_load, wait_settled
from tests.faults.sync_log import SyncFollower

pytestmark = pytest.mark.timeout(240)  # real processes on a shared machine: start-up is slow


async def test_an_api_process_killed_mid_request_stores_each_retried_submission_once(
    settings, tenant, cluster, smtp, ai
):
    cluster.start()
    urls = [api.url for api in cluster.apis]
    desktop = SyncFollower(urls, tenant.owner_headers)
    desktop.start()
    load = asyncio.create_task(
        submit_load(urls, tenant.slug, leads=60, clients=20, seconds=3.0, retries=5)
    )
    await asyncio.sleep(1.5)
    cluster.apis[0].kill()
    outcome = await load
    await asyncio.to_thread(wait_settled, settings.database_url)
    await asyncio.sleep(1.0)

    assert len(outcome.accepted) == 60 and outcome.statuses[500] == 0, outcome
    assert outcome.errors, "the kill cut no request off; the scenario proved nothing"
    synced = await desktop.finish()
    assert synced.failures, "the desktop's pulls never met the fault"
    check_history(
        settings.database_url,
        smtp,
        outcome,
        business_contact=tenant.business["contact_email"],
        sync=synced,
        business_id=tenant.id,
    )

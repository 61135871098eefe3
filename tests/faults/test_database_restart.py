"""PostgreSQL restarted under load: while it is down, submits answer 503 with Retry-After (never
500, never a 202 for a lead that is not stored) and /health says 503; once it is back everything
resumes without restarting LeadFlow's processes, and nothing is lost or sent twice: not even a
mail the SMTP server accepted just before the database went away (ARCHITECTURE, "Delivery")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.migrate import upgrade
from tests.faults.cluster import (
    Outcome,
    check_history,
    mails_being_sent,
    submit_load,
    wait_settled,
)
from tests.faults.postgres import OwnPostgres
from tests.faults.sync_log import SyncFollower
from tests.server.conftest import make_settings
from tests.server.support import SmtpSink

pytestmark = pytest.mark.timeout(240)  # real processes on a shared machine: start-up is slow


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.init()
    upgrade(server.url)
    yield server
    server.destroy()


@pytest.fixture
def settings(own_postgres: OwnPostgres, tmp_path: Path, smtp: SmtpSink):  # type: ignore[no-untyped-def]
    return make_settings(own_postgres.url, tmp_path / "data", smtp)


async def test_a_database_restart_under_load_answers_503_then_resumes_with_nothing_lost(
    settings, own_postgres, tenant, cluster, smtp, ai
):
    # A slow SMTP conversation keeps mails in flight, so the restart lands between the SMTP
    # server's acceptance of some mails and LeadFlow's record of them (the record waits out the
    # restart; the mails must still go out once).
    smtp.rcpt_delay_s = 0.2
    cluster.start()
    urls = [api.url for api in cluster.apis]
    desktop = SyncFollower(urls, tenant.owner_headers)
    desktop.start()
    outcome = Outcome()
    load = asyncio.create_task(
        submit_load(
            urls, tenant.slug, leads=60, clients=10, seconds=6.0, retries=40, outcome=outcome
        )
    )
    await asyncio.sleep(2.0)
    crossing: set[str] = set()
    for _ in range(200):
        crossing = await asyncio.to_thread(mails_being_sent, settings.database_url)
        if len(crossing) >= 3:
            break
        await asyncio.sleep(0.05)
    # More submits right as the database stops (the first load may be over on a slow machine).
    during = asyncio.create_task(
        submit_load(
            urls, tenant.slug, leads=20, clients=10, seconds=2.0, retries=40, outcome=outcome
        )
    )
    await asyncio.to_thread(own_postgres.stop)
    async with httpx.AsyncClient(timeout=10) as http:
        health = await http.get(f"{urls[0]}/health")
        down = await http.post(
            f"{urls[1]}/api/v1/public/forms/{tenant.slug}/submit",
            json={
                "customer_name": "Dot Down",
                "customer_email": "down@customers.example",
                "message": "Is anyone there?",
                "submission_id": "5d0c3a5e-0000-4000-8000-000000000001",
            },
        )
    await asyncio.sleep(2.0)
    await asyncio.to_thread(own_postgres.start)
    await asyncio.gather(load, during)
    await asyncio.to_thread(wait_settled, settings.database_url)
    await asyncio.sleep(1.0)

    assert health.status_code == 503
    assert down.status_code == 503 and "retry-after" in down.headers
    assert down.json()["error"]["code"] == "service_unavailable"
    assert outcome.statuses[500] == 0 and not outcome.errors, outcome
    assert outcome.statuses[503] > 0 and outcome.retry_after == outcome.statuses[503]
    assert len(outcome.accepted) == 80  # every client got its 202 in the end, by retrying
    assert crossing, "no mail was being sent when the database stopped; the scenario proved less"
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
    assert all(p.popen.poll() is None for p in [*cluster.apis, *cluster.workers])

"""A worker process killed with SIGKILL in the middle of a batch, then started again: no lead
is lost, no mail goes out twice (but one the killed worker was handing to the SMTP server in
that instant), and the killed worker's jobs finish after their lease."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.cluster import (
    check_history,
    mails_being_sent,
    query,
    submit_load,
    wait_settled,
)
from tests.server.intake.ai_stand_in import SLOW

pytestmark = pytest.mark.timeout(240)  # real processes on a shared machine: start-up is slow


async def test_a_worker_killed_mid_batch_loses_no_lead_and_sends_no_mail_twice(
    settings, tenant, cluster, smtp, ai
):
    # The AI and the SMTP server keep jobs in flight, so the kill lands mid-job (some mails
    # half-way through their SMTP conversation, before the server has accepted them: a kill
    # after its acceptance and before LeadFlow's record is the one window ARCHITECTURE.md names).
    ai.default, ai.delay_s = SLOW, 0.3
    smtp.rcpt_delay_s = 0.2
    cluster.start()
    urls = [api.url for api in cluster.apis]
    load = asyncio.create_task(submit_load(urls, tenant.slug, leads=40, clients=10, seconds=6.0))
    victim = cluster.workers[0]
    for _ in range(300):  # kill it while it holds jobs (its start-up may be slow)
        [(held,)] = query(
            settings.database_url,
            "SELECT count(*) FROM jobs WHERE status = 'running' AND locked_by LIKE %s",
            f"%:{victim.popen.pid}:%",
        )
        if held:
            break
        await asyncio.sleep(0.05)
    for _ in range(200):  # and while mails are half-way through their SMTP conversation
        [(sending,)] = query(
            settings.database_url,
            "SELECT count(*) FROM email_events WHERE sending_until IS NOT NULL",
        )
        if sending >= 4:
            break
        await asyncio.sleep(0.05)
    victim.kill()
    in_flight = frozenset(await asyncio.to_thread(mails_being_sent, settings.database_url))
    await asyncio.sleep(1.0)
    victim.start()  # the operator (or systemd) starts it again
    outcome = await load
    loaded = time.monotonic()
    await asyncio.to_thread(wait_settled, settings.database_url)
    print(f"settled {time.monotonic() - loaded:.1f} s after the load")
    await asyncio.sleep(1.0)  # a repeated send, if there were one, would arrive by now

    assert outcome.statuses == {202: 40}, outcome
    check_history(
        settings.database_url,
        smtp,
        outcome,
        business_contact=tenant.business["contact_email"],
        in_flight_at_kill=in_flight,
    )
    [(retaken,)] = query(settings.database_url, "SELECT count(*) FROM jobs WHERE attempts > 1")
    assert retaken > 0  # the kill did land on jobs in flight, and they were finished by others
    assert not cluster.tracebacks(), cluster.tracebacks()[-3000:]

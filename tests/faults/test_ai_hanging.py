"""The AI provider hangs (accepts every request, never answers) while a burst of leads arrives:
the hanging calls hold no job slot, so other jobs (an owner's reply mail) still go out at once;
every lead falls back as the rules say (acknowledgement sent, reply held ``ai_unavailable``),
is stored once and gets no mail twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.ai_faults import HANG, FaultyAI, check_fallback_history
from tests.faults.cluster import Cluster, query, submit_load, wait_settled

pytestmark = pytest.mark.timeout(300)  # real processes on a shared machine: start-up is slow

LEADS = 30
SLOTS = 4  # per worker: the burst is far larger than both workers' slots together
AI_TIMEOUT_S = 8  # two attempts per job attempt: 16 s of hanging calls, then a backoff


@pytest.fixture
def ai() -> Iterator[FaultyAI]:
    stand_in = FaultyAI(mode=HANG)
    stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def cluster(settings, smtp, ai, tmp_path):  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Cluster(settings, smtp, ai, logs)  # type: ignore[arg-type]
    for process in [*processes.apis, *processes.workers]:
        process.env.update(
            LEADFLOW_AI_TIMEOUT_S=str(AI_TIMEOUT_S), LEADFLOW_WORKER_CONCURRENCY=str(SLOTS)
        )
    yield processes
    processes.stop()


async def test_a_hanging_ai_delays_leads_to_the_fallback_and_blocks_no_other_job(
    settings, tenant, cluster, smtp, ai
):
    cluster.start()
    urls = [api.url for api in cluster.apis]
    outcome = await submit_load(urls, tenant.slug, leads=LEADS, clients=10, seconds=1.0)
    assert len(outcome.accepted) == LEADS, outcome

    # Far more calls hang at once than the two workers have slots, and go on hanging (twice
    # in a row half a second apart: a timed-out call's retry overlaps its predecessor briefly).
    deadline = time.monotonic() + 60
    held = 0
    while held < 2 and time.monotonic() < deadline:
        held = held + 1 if ai.hanging >= 3 * SLOTS else 0
        await asyncio.sleep(0.5)
    assert held == 2, f"only {ai.hanging} AI calls were in flight at once"

    # While they hang, the owner answers one lead: that mail's job finds a free slot at once.
    [(lead_id, customer)] = query(
        settings.database_url, "SELECT id, customer_email FROM leads ORDER BY created_at LIMIT 1"
    )
    async with httpx.AsyncClient(base_url=urls[0], timeout=30) as http:
        reply = await http.post(
            f"/api/v1/owner/leads/{lead_id}/messages",
            json={"content": "Hello, we can help. Kind regards, the team."},
            headers=tenant.owner_headers,
        )
    assert reply.status_code in (200, 201), reply.text
    sent_at = time.monotonic()
    await asyncio.to_thread(smtp.wait_for, customer, 1, 20.0)
    hanging_then = ai.hanging
    print(f"owner reply delivered {time.monotonic() - sent_at:.1f} s after the request")
    assert hanging_then >= 2 * SLOTS, "the reply only went out once the AI calls had ended"

    # Each job waits out its attempts (timeouts, backoff), then falls back.
    await asyncio.to_thread(wait_settled, settings.database_url, 180.0)
    await asyncio.sleep(1.0)  # a repeated send, if there were one, would arrive by now
    check_fallback_history(
        settings.database_url,
        smtp,
        outcome,
        business_contact=tenant.business["contact_email"],
        answered_by_owner=customer,
    )
    assert ai.most_hanging >= 3 * SLOTS
    assert not cluster.tracebacks(), cluster.tracebacks()[-3000:]

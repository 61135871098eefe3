"""The AI provider rate-limits (429 with ``Retry-After``) while a burst of leads arrives:
LeadFlow waits as told (no request for a lead before its Retry-After has passed, no more than one
request per job attempt), the leads fall back as the rules say (acknowledgement sent, reply held
``ai_unavailable``), each is stored once and gets no mail twice; when the limit lifts, new leads
get the AI's reply again."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from server.workflow.pipeline import AI_JOB_ATTEMPTS
from tests.faults.ai_faults import ANSWER, RATE_LIMITED, FaultyAI, check_fallback_history
from tests.faults.cluster import Outcome, query, submit_load, wait_settled

pytestmark = pytest.mark.timeout(300)  # real processes on a shared machine: start-up is slow

LEADS = 20
RETRY_AFTER_S = 3
EARLY_S = 0.5  # loopback and a loaded machine: a retry this much early is still "waiting"


@pytest.fixture
def ai() -> Iterator[FaultyAI]:
    stand_in = FaultyAI(mode=RATE_LIMITED, retry_after_s=RETRY_AFTER_S)
    stand_in.start()
    yield stand_in
    stand_in.stop()


async def test_a_rate_limiting_ai_is_waited_for_as_told_and_leads_fall_back(
    settings, tenant, cluster, smtp, ai
):
    cluster.start()
    urls = [api.url for api in cluster.apis]
    outcome = await submit_load(urls, tenant.slug, leads=LEADS, clients=10, seconds=1.0)
    assert len(outcome.accepted) == LEADS, outcome
    await asyncio.to_thread(wait_settled, settings.database_url, 120.0)
    await asyncio.sleep(1.0)  # a repeated send, if there were one, would arrive by now

    check_fallback_history(
        settings.database_url, smtp, outcome, business_contact=tenant.business["contact_email"]
    )
    # No hammering: per lead, one request per job attempt at most, never sooner than the
    # Retry-After of the 429 before it (an immediate retry would be a second request at once).
    per_lead = ai.per_lead()
    assert set(per_lead) <= set(range(LEADS))
    for lead, requests in per_lead.items():
        assert len(requests) <= AI_JOB_ATTEMPTS, (lead, requests)
        assert all(r.status == 429 for r in requests)
        gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
        assert all(gap >= RETRY_AFTER_S - EARLY_S for gap in gaps), (lead, gaps)
    assert sum(map(len, per_lead.values())) <= LEADS * AI_JOB_ATTEMPTS

    # The limit lifts: a new lead gets the AI's reply, sent automatically.
    ai.release(ANSWER)
    await asyncio.sleep(RETRY_AFTER_S)  # the workers' own wait ends
    later = await submit_load(urls, tenant.slug, leads=1, clients=1, seconds=0.1, outcome=Outcome())
    [customer] = later.accepted
    await asyncio.to_thread(smtp.wait_for, customer, 1, 60.0)
    [(kind,)] = query(
        settings.database_url, "SELECT kind FROM email_events WHERE to_address = %s", customer
    )
    assert kind == "auto_reply"
    assert not cluster.tracebacks(), cluster.tracebacks()[-3000:]

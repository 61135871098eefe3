"""The 80 labelled leads through the whole workflow with the local analyser (issue 3's bar):
no unsafe lead auto-replied, most safe ones replied, urgency and intent mostly right."""

from __future__ import annotations

import pytest

from bench.labelled import DATA, load_records, measure
from tests.server.support import require_shared_data

require_shared_data(DATA)


@pytest.mark.settings(intake_ip_limit=10_000, intake_form_limit=10_000)
async def test_labelled_leads_through_the_workflow_meet_the_safety_and_agreement_bar(
    ctx, client, worker, admin, smtp
):
    if not ctx.settings.is_sqlite:
        pytest.skip("measures the analyser and the gate; the database adds only time")
    records = load_records()
    assert len(records) == 80
    result = await measure(ctx, client, worker, admin, records)
    print("\n" + "\n".join(result.lines()))

    assert result.total == 80
    assert result.unsafe_auto_replied == []  # the hard requirement
    assert result.safe_reply_rate >= 0.60
    assert result.agreement["urgency"] >= 0.80
    assert result.agreement["intent"] >= 0.80
    for topic, (caught, labelled) in result.topic_caught.items():
        assert caught == labelled, f"{topic}: caught {caught} of {labelled}"
    # The auto-replied leads got the AI reply by email.
    auto_replies = [m for m in smtp.messages if str(m["Subject"]).startswith("Re: Your ")]
    assert len(auto_replies) == result.safe_auto_replied

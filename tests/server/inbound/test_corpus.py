"""Every mail of the corpus through the webhook into one lead: the expected outcome, thread text
and attachments; bounces mark the sent mail ``bounced`` in the thread."""

from __future__ import annotations

import httpx
import pytest

from server.context import ServerContext
from server.inbound.parse import read
from server.jobs.worker import Worker
from tests.server.inbound.conftest import post_mail, replying_lead
from tests.server.inbound.corpus import CORPUS, Case
from tests.server.support import SmtpSink

TO = '"Acme Plumbing" <reply+aaaaaaaaaaaaaaaaaaaaaaaa@in.leadflow.test>'
IRT = "<0123456789abcdef@leadflow.test>"


def test_the_corpus_has_at_least_30_mails() -> None:
    assert len(CORPUS) >= 30
    assert {case.outcome for case in CORPUS} == {"stored", "auto_reply", "bounce"}


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_each_mail_reads_as_expected(case: Case) -> None:
    mail = read(case.raw(TO, IRT))
    if case.outcome == "bounce":
        assert mail.bounce is not None and IRT.strip("<>") in mail.bounce.original_message_ids
        assert "5.1.1" in mail.bounce.reason
        return
    assert mail.bounce is None
    assert mail.auto_reply is (case.outcome == "auto_reply")
    if case.outcome == "stored":
        assert mail.text == (case.text if case.text != "(attachments only)" else "")
        assert [a.filename for a in mail.attachments] == case.attachments
        assert "<" not in mail.text or "<noreply" in mail.text  # never HTML markup


async def test_the_corpus_through_the_webhook(
    ctx: ServerContext, client: httpx.AsyncClient, smtp: SmtpSink, worker: Worker
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    headers = lead.tenant.owner_headers
    for case in CORPUS:
        response = await post_mail(client, case.raw(lead.reply_to, lead.message_id))
        assert response.status_code == 202, (case.name, response.text)
        assert response.json() == {"status": case.outcome, "lead_id": lead.lead_id}, case.name
        thread = (
            await client.get(f"/api/v1/owner/leads/{lead.lead_id}/messages", headers=headers)
        ).json()
        if case.outcome == "stored":
            last = thread[-1]
            assert (last["direction"], last["content"]) == ("inbound", case.text), case.name
            assert [a["filename"] for a in last["attachments"]] == case.attachments
    thread = (
        await client.get(f"/api/v1/owner/leads/{lead.lead_id}/messages", headers=headers)
    ).json()
    first = next(m for m in thread if m["direction"] == "outbound")
    assert first["email_status"] == "bounced"
    inbound = [m for m in thread if m["direction"] == "inbound"]
    stored = [c for c in CORPUS if c.outcome == "stored"]
    assert len(inbound) == 1 + len(stored)  # the lead's own request, then each reply once

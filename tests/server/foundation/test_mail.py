"""Email per CONTRACT §9: one row per mail, delivered by a job, never lost in an outage."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from server.context import build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.mail.compose import clean_display_name
from server.mail.service import queue_email
from server.models import EmailEvent, Job
from server.models.base import utcnow
from shared.models.enums import EmailKind
from tests.server.conftest import make_settings
from tests.server.support import free_port, html_text


async def _queue(ctx, to="casey@example.net", **overrides):
    values = dict(
        kind=EmailKind.ACKNOWLEDGEMENT,
        to=to,
        subject="We received your request — Acme",
        template="customer",
        context={
            "header": "Acme",
            "paragraphs": ["Hi <b>Casey</b> & co"],
            "business_name": "Acme",
            "business_phone": None,
        },
        display_name='Acme "Best" <Cleaning>\r\nBcc: evil@example.com',
        reply_to="desk@acme.example",
        automatic=True,
    )
    values.update(overrides)
    async with ctx.db.session() as session:
        return await queue_email(session, ctx.settings, **values)


async def test_smtp_mail_has_clean_sender_reply_to_threading_and_escaped_html(ctx, smtp, worker):
    lead_id = None
    first = await _queue(ctx)
    await worker.tick()
    [message] = smtp.wait_for("casey@example.net")
    assert message["From"].addresses[0].display_name == "Acme Best Cleaning Bcc: evil@example.com"
    assert message["From"].addresses[0].addr_spec == "noreply@leadflow.test"
    assert "Bcc" not in message
    assert message["Reply-To"] == "desk@acme.example"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Message-ID"] == first.message_id
    assert "&lt;b&gt;Casey&lt;/b&gt; &amp; co" in html_text(message)
    assert lead_id is None
    async with ctx.db.session() as session:
        row = await session.get(EmailEvent, first.id)
    assert row.status == "sent" and row.sent_at is not None and row.provider == "smtp"


async def test_mails_of_one_lead_are_threaded(ctx, smtp, worker):
    from server.models import Business, Lead

    async with ctx.db.session() as session:
        business = Business(name="Acme", slug="acme", contact_email="desk@acme.example")
        session.add(business)
        await session.flush()
        lead = Lead(
            business_id=business.id,
            submission_id=uuid.uuid4(),
            customer_name="Casey",
            customer_email="casey@example.net",
            last_activity_at=utcnow(),
        )
        session.add(lead)
    first = await _queue(ctx, lead_id=lead.id, business_id=business.id)
    second = await _queue(ctx, kind=EmailKind.FOLLOW_UP, lead_id=lead.id, business_id=business.id)
    third = await _queue(ctx, kind=EmailKind.OWNER_REPLY, lead_id=lead.id, business_id=business.id)
    assert second.in_reply_to == first.message_id and second.references == first.message_id
    assert third.in_reply_to == second.message_id
    assert third.references == f"{first.message_id} {second.message_id}"
    await worker.tick()
    mails = smtp.wait_for("casey@example.net", count=3)
    last = next(m for m in mails if m["Message-ID"] == third.message_id)
    assert last["In-Reply-To"] == second.message_id


async def test_smtp_outage_keeps_mail_queued_then_delivers_it_once(ctx, smtp, worker):
    smtp.fail_with = 421
    event = await _queue(ctx)
    await worker.tick()
    async with ctx.db.session() as session:
        row = await session.get(EmailEvent, event.id)
        job = (await session.execute(select(Job))).scalar_one()
    assert row.status == "queued" and "421" in row.error and job.status == "queued"
    smtp.fail_with = None
    async with ctx.db.session() as session:
        await session.execute(update(Job).values(run_at=utcnow()))
    await worker.tick()
    assert len(smtp.wait_for("casey@example.net")) == 1
    await worker.tick()
    assert len(smtp.to("casey@example.net")) == 1
    async with ctx.db.session() as session:
        assert (await session.get(EmailEvent, event.id)).status == "sent"


async def test_mail_that_never_gets_through_ends_failed_with_the_error(ctx, smtp, worker):
    smtp.fail_with = 451
    event = await _queue(ctx)
    async with ctx.db.session() as session:
        await session.execute(update(Job).values(max_attempts=2))
    for _ in range(2):
        await worker.tick()
        async with ctx.db.session() as session:
            await session.execute(update(Job).where(Job.status == "queued").values(run_at=utcnow()))
    async with ctx.db.session() as session:
        row = await session.get(EmailEvent, event.id)
    assert row.status == "failed" and "451" in row.error and row.attempts == 2


async def test_outbox_provider_writes_eml_files(db_url, tmp_path):
    ctx = build_context(make_settings(db_url, tmp_path / "data", None))
    try:
        event = await _queue(ctx)
        await Worker(ctx, handlers(), give_up=give_up_handlers()).tick()
        [path] = list((tmp_path / "data" / "outbox").glob("*.eml"))
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert parsed["Message-ID"] == event.message_id
        async with ctx.db.session() as session:
            assert (await session.get(EmailEvent, event.id)).status == "sent"
    finally:
        await ctx.db.dispose()


class _ResendStandIn(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    fail_next = 0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if type(self).fail_next:
            type(self).fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append(
            {"body": body, "auth": self.headers["Authorization"], "path": self.path}
        )
        payload = json.dumps({"id": f"re_{len(type(self).received)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def resend_server():
    _ResendStandIn.received = []
    _ResendStandIn.fail_next = 1
    server = HTTPServer(("127.0.0.1", free_port()), _ResendStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_resend_provider_posts_the_mail_and_retries_after_5xx(
    db_url, tmp_path, resend_server
):
    port = resend_server.server_address[1]
    ctx = build_context(
        make_settings(
            db_url,
            tmp_path / "data",
            None,
            email_provider="resend",
            resend_api_key="re_key",
            resend_base_url=f"http://127.0.0.1:{port}",
        )
    )
    try:
        event = await _queue(ctx)
        worker = Worker(ctx, handlers(), give_up=give_up_handlers())
        await worker.tick()
        assert _ResendStandIn.received == []
        async with ctx.db.session() as session:
            await session.execute(update(Job).values(run_at=utcnow()))
        await worker.tick()
        [sent] = _ResendStandIn.received
        assert sent["path"] == "/emails" and sent["auth"] == "Bearer re_key"
        assert sent["body"]["to"] == ["casey@example.net"]
        assert sent["body"]["reply_to"] == "desk@acme.example"
        assert sent["body"]["headers"]["Auto-Submitted"] == "auto-replied"
        assert "&lt;b&gt;Casey" in sent["body"]["html"]
        async with ctx.db.session() as session:
            row = await session.get(EmailEvent, event.id)
        assert row.status == "sent" and row.provider_message_id == "re_1"
    finally:
        await ctx.db.dispose()


def test_display_names_lose_quotes_brackets_and_line_breaks():
    assert clean_display_name('Bob\'s "Best" <Plumbing>\nX') == "Bob's Best Plumbing X"

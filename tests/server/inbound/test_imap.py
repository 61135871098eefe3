"""The IMAP channel against a real Dovecot: a reply delivered into the mailbox reaches the
lead's thread within seconds, once, however often it is fetched."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
from sqlalchemy import Connection, event, insert, select

from server.context import ServerContext, build_context
from server.inbound.imap import DONE, ImapChannel
from server.jobs.worker import Worker
from server.models.inbound import InboundChannel, InboundMail
from tests.server.factories import admin_headers, onboard
from tests.server.inbound.conftest import imap_settings, post_mail, replying_lead
from tests.server.inbound.dovecot import Dovecot
from tests.server.inbound.mails import reply, unique_id
from tests.server.support import SmtpSink


async def _inbound_texts(client: httpx.AsyncClient, headers: dict[str, str], lead_id: str) -> list:
    response = await client.get(f"/api/v1/owner/leads/{lead_id}/messages", headers=headers)
    return [m["content"] for m in response.json() if m["direction"] == "inbound"]


async def _first_round(ctx: ServerContext) -> None:
    for _ in range(200):
        async with ctx.db.read_session() as session:
            health = await session.get(InboundChannel, "imap")
            if health is not None and health.last_poll_at is not None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the IMAP channel never polled")


async def test_ai_reply_answered_through_dovecot_is_in_the_thread_within_5_s(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    dovecot: Dovecot,
) -> None:
    admin = await admin_headers(ctx, client)
    tenant = await onboard(
        ctx,
        client,
        smtp,
        worker,
        admin,
        smart_auto_reply=True,
        owner_approval_required=False,
        name="Acme Plumbing",
    )
    lead = await replying_lead(ctx, client, smtp, worker, tenant=tenant, customer="ann@example.net")
    assert lead.first_mail["Subject"].startswith("Re: Your")  # the AI reply went out over SMTP
    channel = ImapChannel(build_context(imap_settings(ctx.settings, dovecot), database=ctx.db))
    running = asyncio.create_task(channel.run())
    try:
        await _first_round(ctx)  # the channel is connected and waiting on IDLE
        started = time.monotonic()
        dovecot.deliver(
            reply(
                sender="Ann <ann@example.net>",
                to="noreply@leadflow.test",
                in_reply_to=lead.message_id,
                text="Great, please come on Tuesday.\n\n> earlier text",
            )
        )
        headers = tenant.owner_headers
        while "Great, please come on Tuesday." not in await _inbound_texts(
            client, headers, lead.lead_id
        ):
            assert time.monotonic() - started < 5, dovecot.log()
            await asyncio.sleep(0.1)
        follow_ups = (await client.get("/api/v1/owner/follow-ups", headers=headers)).json()
        mine = [f for f in follow_ups["items"] if f["lead_id"] == lead.lead_id]
        assert mine and all(f["status"] == "canceled" for f in mine)
    finally:
        await channel.stop()
        await running
    assert all(DONE in flags for flags in dovecot.keywords())
    async with ctx.db.read_session() as session:
        health = await session.get(InboundChannel, "imap")
        assert health is not None and health.last_poll_at is not None
        assert health.processed == 1 and health.backlog == 0


async def test_a_crash_between_fetch_and_flag_stores_the_mail_once(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    dovecot: Dovecot,
) -> None:
    from server.inbound.service import receive

    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(sender=lead.customer, to=lead.reply_to, message_id=unique_id(), text="Once.")
    dovecot.deliver(raw, raw)  # the same mail delivered twice into the mailbox
    # A worker stored the mail and died before setting the keyword on it.
    assert (await receive(ctx, raw, "imap")).outcome == "stored"
    channel = ImapChannel(build_context(imap_settings(ctx.settings, dovecot), database=ctx.db))
    try:
        assert await channel.poll_once() == 2
        assert await channel.poll_once() == 0  # flagged: never fetched again
    finally:
        await channel.close()
    texts = await _inbound_texts(client, lead.tenant.owner_headers, lead.lead_id)
    assert texts.count("Once.") == 1


async def test_a_wrong_password_is_reported_on_the_health_row(
    ctx: ServerContext, dovecot: Dovecot
) -> None:
    settings = imap_settings(ctx.settings, dovecot)
    settings.imap_password = type(settings.imap_password)("wrong")
    channel = ImapChannel(build_context(settings, database=ctx.db))
    running = asyncio.create_task(channel.run())
    try:
        error = None
        for _ in range(150):
            async with ctx.db.read_session() as session:
                health = await session.get(InboundChannel, "imap")
                error = health.last_error if health is not None else None
            if error:
                break
            await asyncio.sleep(0.1)
        assert error and "AUTHENTICATIONFAILED" in error
    finally:
        await channel.stop()
        await running


async def test_a_batch_stores_each_mail_once_and_keeps_one_senders_order(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    dovecot: Dovecot,
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    texts = [f"Answer {n}." for n in range(14)]  # more than one transaction's worth
    raws = [reply(sender=lead.customer, to=lead.reply_to, text=t) for t in texts]
    dovecot.deliver(*raws, raws[3])  # one of them twice in the same fetch
    channel = ImapChannel(build_context(imap_settings(ctx.settings, dovecot), database=ctx.db))
    try:
        assert await channel.poll_once() == 15
    finally:
        await channel.close()
    got = await _inbound_texts(client, lead.tenant.owner_headers, lead.lead_id)
    assert [t for t in got if t.startswith("Answer ")] == texts
    async with ctx.db.read_session() as session:
        health = await session.get(InboundChannel, "imap")
        assert health is not None and health.processed == 14 and health.backlog == 0
    # The follow-up was canceled by the first answer only.
    timeline = await client.get(
        f"/api/v1/owner/leads/{lead.lead_id}/timeline", headers=lead.tenant.owner_headers
    )
    assert [e["text"] for e in timeline.json()].count("Follow-up canceled") == 1


async def test_a_batch_that_fails_in_the_database_is_received_again_one_by_one(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    dovecot: Dovecot,
) -> None:
    """As when another process commits one of the mails while the batch runs (or a deadlock
    with another batch): the batch rolls back whole, each mail is received on its own, once,
    and the files written for the failed attempt are removed."""
    lead = await replying_lead(ctx, client, smtp, worker)
    raws = [
        reply(sender=lead.customer, to=lead.reply_to, text=f"Try {n}.", message_id=unique_id())
        for n in range(3)
    ]
    dovecot.deliver(*raws)
    failed: list[str] = []

    @event.listens_for(InboundMail, "before_insert")
    def _clash(_mapper: object, connection: Connection, target: InboundMail) -> None:
        if not failed:  # the first insert of the batch meets a row with its key
            failed.append(target.dedupe_key)
            connection.execute(
                insert(InboundMail).values(
                    id=uuid.uuid4(),
                    dedupe_key=target.dedupe_key,
                    channel="webhook",
                    outcome="stored",
                    raw_path="inbound/raw/elsewhere.eml",
                    size=1,
                    received_at=target.received_at,
                )
            )

    channel = ImapChannel(build_context(imap_settings(ctx.settings, dovecot), database=ctx.db))
    try:
        assert await channel.poll_once() == 3
    finally:
        event.remove(InboundMail, "before_insert", _clash)
        await channel.close()
    assert failed
    texts = await _inbound_texts(client, lead.tenant.owner_headers, lead.lead_id)
    assert [t for t in texts if t.startswith("Try ")] == ["Try 0.", "Try 1.", "Try 2."]
    async with ctx.db.read_session() as session:
        paths = set((await session.execute(select(InboundMail.raw_path))).scalars())
    on_disk = {
        p.relative_to(ctx.data_dir).as_posix()
        for p in (ctx.data_dir / "inbound" / "raw").rglob("*")
        if p.is_file()
    }
    assert on_disk == paths


async def test_a_mail_received_by_the_webhook_and_then_the_mailbox_is_stored_once(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    smtp: SmtpSink,
    worker: Worker,
    dovecot: Dovecot,
) -> None:
    lead = await replying_lead(ctx, client, smtp, worker)
    raw = reply(sender=lead.customer, to=lead.reply_to, message_id=unique_id(), text="Both ways.")
    assert (await post_mail(client, raw)).json()["status"] == "stored"
    dovecot.deliver(raw)
    channel = ImapChannel(build_context(imap_settings(ctx.settings, dovecot), database=ctx.db))
    try:
        assert await channel.poll_once() == 1
    finally:
        await channel.close()
    texts = await _inbound_texts(client, lead.tenant.owner_headers, lead.lead_id)
    assert texts.count("Both ways.") == 1
    async with ctx.db.read_session() as session:
        imap = await session.get(InboundChannel, "imap")
        assert imap is not None and imap.processed == 0  # a duplicate is not counted

"""Inbound mail throughput: 1,000 customer replies delivered into a real Dovecot, then processed
by one IMAP channel (the worker's) into the leads' threads.

    python -m bench inbound [--mails 1000] [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/DB]

The mails answer the demo business's leads by their reply addresses: plain text with a quoted
history, every fifth HTML-only, every tenth with a 40 KB attachment. Each stored reply is a
thread message, a canceled follow-up check, an audit row and a queued owner alert, as in
production. Reported: mails per second through fetch → store → flag, and the worker process's
CPU per mail (Dovecot's own CPU is not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from server.config import load_settings
from server.context import build_context
from server.demo import prepare_demo
from server.inbound.addresses import reply_to_for
from server.inbound.imap import ImapChannel
from server.migrate import upgrade
from server.models.business import Business
from server.models.inbound import InboundMail
from server.models.lead import Lead
from tests.server.inbound.dovecot import PASSWORD, USER, Dovecot
from tests.server.inbound.mails import reply

QUOTE = "\n\nOn Sat, Dec 5, 2026 at 10:00 AM Sparkle <noreply@leadflow.test> wrote:\n" + "\n".join(
    f"> line {n} of the earlier mail" for n in range(20)
)


def mails(addresses: list[tuple[str, str]], count: int) -> list[bytes]:
    out = []
    for n in range(count):
        name_email, reply_to = addresses[n % len(addresses)]
        text = f"Reply number {n}: Tuesday works, thank you." + QUOTE
        html = None
        if n % 5 == 0:
            html = (
                f"<div>Reply number {n}: <b>Tuesday</b> works.</div>"
                f"<blockquote>{QUOTE}</blockquote>"
            )
            text = None
        attachments = [("photo.jpg", "image/jpeg", os.urandom(40_000))] if n % 10 == 0 else []
        out.append(
            reply(sender=name_email, to=reply_to, text=text, html=html, attachments=attachments)
        )
    return out


async def run(root: Path, url: str, count: int) -> None:
    dovecot = Dovecot()
    dovecot.start()
    try:
        settings = load_settings(
            env="test",
            data_dir=root / "data",
            database_url=url,
            secret_key="bench-secret-key-0123456789abcdef",
            inbound_domain="in.leadflow.test",
            imap_host="127.0.0.1",
            imap_port=dovecot.port,
            imap_username=USER,
            imap_password=PASSWORD,
            imap_ssl=False,
            imap_batch=100,
        )
        await prepare_demo(settings)
        ctx = build_context(settings)
        async with ctx.db.session() as session:
            business = (await session.execute(select(Business))).scalars().first()
            leads = (await session.execute(select(Lead))).scalars().all()
            addresses = [
                (
                    f"{lead.customer_name} <{lead.customer_email}>",
                    reply_to_for(settings, lead, business),
                )
                for lead in leads
            ]
        raws = mails(addresses, count)
        started = time.perf_counter()
        dovecot.deliver(*raws)
        delivered_s = time.perf_counter() - started
        channel = ImapChannel(ctx)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            done = await channel.poll_once()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        else:
            done = await channel.poll_once()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        await channel.close()
        async with ctx.db.read_session() as session:
            stored = (
                await session.execute(
                    select(InboundMail.outcome, func.count()).group_by(InboundMail.outcome)
                )
            ).all()
        await ctx.db.dispose()
        dialect = ctx.db.engine.dialect.name
        print(f"python {platform.python_version()} · {os.cpu_count()} CPUs · {dialect}")
        print(
            f"delivered {count} mails into Dovecot in {delivered_s:.1f} s (APPEND, not timed below)"
        )
        print(f"processed {done} mails in {wall:.2f} s: {done / wall:.0f} mails/s")
        print(f"worker CPU {cpu:.2f} s: {cpu / done * 1000:.1f} ms per mail")
        print("outcomes:", dict(stored))
    finally:
        dovecot.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--pg", default=None)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="leadflow-bench-inbound-"))
    url = args.pg or f"sqlite+aiosqlite:///{root / 'bench.db'}"
    upgrade(url)
    asyncio.run(run(root, url, args.mails))


if __name__ == "__main__":
    main()

"""Jobs per second through the queue with two worker processes on PostgreSQL.

    python -m bench.jobs [--jobs 2000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Two kinds: a no-op job (the queue's own cost: claim, run, finish) and the real ``deliver_email``
job to an aiosmtpd server on loopback. Each worker is a separate process with its own engine,
as ``leadflow-server worker`` would be.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from server.config import load_settings
from server.context import build_context
from server.jobs import queue
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import JobRun, Worker
from server.mail.service import queue_email
from server.migrate import upgrade
from server.models import Job
from shared.models.enums import EmailKind


async def _noop(_ctx: object, _run: JobRun) -> None:
    return None


def _settings(url: str, data_dir: Path, smtp_port: int):  # type: ignore[no-untyped-def]
    return load_settings(
        env="test",
        data_dir=data_dir,
        database_url=url,
        email_provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        secret_key="bench-secret-key-0123456789abcdef",
        worker_concurrency=16,
    )


def _worker_process(url: str, data_dir: str, smtp_port: int, name: str) -> None:
    async def run() -> None:
        ctx = build_context(_settings(url, Path(data_dir), smtp_port))
        worker = Worker(
            ctx, {"noop": _noop, **handlers()}, give_up=give_up_handlers(), worker_id=name
        )
        idle = 0
        while idle < 3:  # stop after the queue stayed empty for three polls
            idle = idle + 1 if await worker.tick() == 0 else 0
            await asyncio.sleep(0.05)
        await ctx.db.dispose()

    asyncio.run(run())


async def _fill(url: str, data_dir: Path, smtp_port: int, kind: str, count: int) -> None:
    ctx = build_context(_settings(url, data_dir, smtp_port))
    async with ctx.db.session() as session:
        for i in range(count):
            if kind == "noop":
                await queue.enqueue(session, "noop", {"i": i})
            else:
                await queue_email(
                    session,
                    ctx.settings,
                    kind=EmailKind.ACKNOWLEDGEMENT,
                    to=f"c{i}@example.net",
                    subject="We received your request — Acme",
                    template="customer",
                    context={
                        "header": "Acme",
                        "paragraphs": ["Thanks!"],
                        "business_name": "Acme",
                        "business_phone": None,
                    },
                    display_name="Acme",
                    automatic=True,
                )
    await ctx.db.dispose()


async def _remaining(url: str, data_dir: Path, smtp_port: int) -> int:
    ctx = build_context(_settings(url, data_dir, smtp_port))
    async with ctx.db.session() as session:
        left = (
            await session.execute(select(func.count()).select_from(Job).where(Job.status != "done"))
        ).scalar_one()
    await ctx.db.dispose()
    return int(left)


def _round(url: str, data_dir: Path, smtp_port: int, kind: str, count: int) -> float:
    asyncio.run(_fill(url, data_dir, smtp_port, kind, count))
    started = time.perf_counter()
    workers = [
        multiprocessing.Process(
            target=_worker_process, args=(url, str(data_dir), smtp_port, f"w{n}")
        )
        for n in range(2)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    elapsed = time.perf_counter() - started - 3 * 0.05  # the idle polls at the end
    assert asyncio.run(_remaining(url, data_dir, smtp_port)) == 0, "jobs left undone"
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "LEADFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    from tests.server.support import free_port

    smtp_port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = make_url(args.pg)
    admin = f"host={server.host} port={server.port or 5432} user={server.username} dbname=postgres"
    results: dict[str, list[float]] = {"noop": [], "email": []}
    try:
        for kind in results:
            for _ in range(args.rounds):
                name = f"lf_bench_jobs_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
                url = str(server.set(drivername="postgresql+asyncpg", database=name))
                try:
                    upgrade(url)
                    with tempfile.TemporaryDirectory() as data_dir:
                        results[kind].append(
                            _round(url, Path(data_dir), smtp_port, kind, args.jobs)
                        )
                finally:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    finally:
        controller.stop()
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
        f"python {platform.python_version()}"
    )
    for kind, rates in results.items():
        print(
            f"{kind:>6}: median {statistics.median(rates):7.1f} jobs/s over {len(rates)} rounds "
            f"of {args.jobs} (all: {', '.join(f'{r:.1f}' for r in rates)})"
        )
    print(f"emails received by the SMTP server: {Sink.count}")


if __name__ == "__main__":
    main()

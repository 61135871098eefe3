"""Leads per second through one worker process when the model takes 2 s to answer.

    python -m bench workflow [--rates 1,10,50] [--seconds 10] [--ai-delay 2]
                             [--businesses 1] [--baseline DIR] [--holding]
                             [--pg postgresql://postgres@127.0.0.1:5432/postgres]

For each offered rate, on a fresh PostgreSQL database: one ``leadflow-server serve --no-worker``
and one ``leadflow-server worker`` process, the chat-completions stand-in answering every call
after ``--ai-delay`` seconds, and an SMTP sink on loopback. Leads are submitted at the rate for
``--seconds``; a lead is done when its customer's AI reply reaches the SMTP sink. Reported: leads
done per second (the rate the customers' mails arrived at over the middle half of the run), the
p50/p95 from submit to the customer's mail, the p95 of the last quarter's leads (above the whole
run's when a queue builds up), and the CPU time per lead done of each part of the machine: the
worker, the API process, PostgreSQL, and this process (the submitting clients, the AI stand-in
and the SMTP sink).
Each rate runs with this tree's server; ``--baseline DIR`` runs it again from another source tree
(e.g. ``git archive <commit> | tar -x -C DIR``) and ``--holding`` with ``LEADFLOW_AI_CONCURRENCY=0``
(a job waiting on the AI holds its slot), side by side. ``--businesses N`` spreads the leads over N
businesses in turn: one business's synced writes take turns on its version counter (CONTRACT §7),
a platform's spread over its businesses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from server.app import create_app
from server.context import build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.migrate import upgrade
from tests.faults.cluster import Process, wait_healthy
from tests.server.conftest import make_settings
from tests.server.factories import admin_headers, onboard
from tests.server.intake.ai_stand_in import SLOW, AIStandIn
from tests.server.support import SmtpSink, free_port, server_env


class TimedSink(SmtpSink):
    """The SMTP sink, noting when each recipient's first mail arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        now = time.monotonic()
        for address in envelope.rcpt_tos:
            self.arrived.setdefault(address, now)
        return answer


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s() -> float:
    """CPU seconds of every PostgreSQL process on the machine (its server and backends)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _admin(url: str, sql: str) -> None:
    parsed = make_url(url)
    info = f"host={parsed.host} port={parsed.port or 5432} user={parsed.username} dbname=postgres"
    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


async def _tenants(settings: Any, smtp: SmtpSink, count: int) -> list[str]:
    """The forms' slugs of ``count`` active businesses that reply automatically."""
    ctx = build_context(settings)
    app = create_app(ctx=ctx)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                worker = Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="setup")
                admin = await admin_headers(ctx, client)
                slugs = []
                for n in range(count):
                    tenant = await onboard(
                        ctx,
                        client,
                        smtp,
                        worker,
                        admin,
                        name=f"Sparkle Cleaning {n + 1}",
                        smart_auto_reply=True,
                        owner_approval_required=False,
                    )
                    slugs.append(tenant.slug)
                return slugs
    finally:
        await ctx.db.dispose()


async def _offer(url: str, slugs: list[str], rate: float, seconds: float) -> dict[str, float]:
    """Submit ``rate`` leads a second for ``seconds``, to the forms in turn; each accepted
    email → its submit time."""
    sent: dict[str, float] = {}
    count = max(1, round(rate * seconds))
    start = time.monotonic()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def one(n: int) -> None:
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            email = f"bench-{n}-{uuid.uuid4().hex[:6]}@customers.example"
            at = time.monotonic()
            response = await http.post(
                f"{url}/api/v1/public/forms/{slugs[n % len(slugs)]}/submit",
                json={
                    "customer_name": f"Casey {n}",
                    "customer_email": email,
                    "service_needed": "Deep clean",
                    "message": "Hello, could you help with a deep clean of our flat?",
                    "submission_id": str(uuid.uuid4()),
                },
            )
            if response.status_code == 202:
                sent[email] = at

        await asyncio.gather(*(one(n) for n in range(count)))
    return sent


def _stages(url: str) -> tuple[float, float]:
    """Medians, in seconds, of submit → decision (the wait for a job slot, the model's answer
    and the wait to decide) and decision → the customer's mail accepted by the SMTP server."""
    parsed = make_url(url)
    info = f"host={parsed.host} port={parsed.port or 5432} user={parsed.username}"
    with psycopg.connect(f"{info} dbname={parsed.database}") as conn:
        row = conn.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY"
            "   extract(epoch FROM e.created_at - l.created_at)),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY"
            "   extract(epoch FROM e.sent_at - e.created_at))"
            " FROM email_events e JOIN leads l ON l.id = e.lead_id"
            " WHERE e.kind = 'auto_reply' AND e.sent_at IS NOT NULL"
        ).fetchone()
    return (float(row[0] or 0), float(row[1] or 0)) if row else (0.0, 0.0)


def _run(
    pg: str,
    rate: float,
    seconds: float,
    ai_delay: float,
    businesses: int,
    code: str | None,
    extra: dict[str, str],
) -> dict[str, Any]:
    name = f"lf_bench_wf_{uuid.uuid4().hex[:8]}"
    _admin(pg, f'CREATE DATABASE "{name}"')
    url = str(make_url(pg).set(drivername="postgresql+asyncpg", database=name))
    smtp, ai = TimedSink(), AIStandIn(default=SLOW, delay_s=ai_delay)
    smtp.start()
    ai.start()
    processes: list[Process] = []
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory() as tmp:
            settings = make_settings(url, Path(tmp) / "data", smtp)
            slugs = asyncio.run(_tenants(settings, smtp, businesses))
            env = server_env(
                settings,
                LEADFLOW_EMAIL_PROVIDER="smtp",
                LEADFLOW_SMTP_HOST="127.0.0.1",
                LEADFLOW_SMTP_PORT=str(smtp.port),
                LEADFLOW_AI_PROVIDER="openai",
                LEADFLOW_AI_BASE_URL=ai.url,
                LEADFLOW_AI_API_KEY="k",
                LEADFLOW_AI_TIMEOUT_S=str(ai_delay + 10),
                LEADFLOW_INTAKE_IP_LIMIT="1000000",
                LEADFLOW_INTAKE_FORM_LIMIT="1000000",
                **extra,
            )
            if code is not None:
                env["PYTHONPATH"] = code  # ahead of this tree's editable install
            api = Process(
                "api",
                ["serve", "--no-worker", "--port", str(free_port())],
                env,
                Path(tmp) / "api.log",
            )
            api.port = int(api.args[-1])
            worker = Process("worker", ["worker"], env, Path(tmp) / "worker.log")
            processes = [api, worker]
            for process in processes:
                process.start()
            wait_healthy(api)
            time.sleep(2.0)  # the worker process is up and polling
            assert worker.popen is not None
            assert api.popen is not None
            cpu_before = _cpu_s(worker.popen.pid)
            api_before, pg_before = _cpu_s(api.popen.pid), _postgres_cpu_s()
            harness_before = time.process_time()
            sent = asyncio.run(_offer(api.url, slugs, rate, seconds))
            deadline = time.monotonic() + seconds + 90
            while time.monotonic() < deadline and not all(e in smtp.arrived for e in sent):
                time.sleep(0.2)
            # Owner alerts may still be on their way; the worker's CPU so far is the leads'.
            worker_cpu_s = _cpu_s(worker.popen.pid) - cpu_before
            api_cpu_s = _cpu_s(api.popen.pid) - api_before
            pg_cpu_s = _postgres_cpu_s() - pg_before
            harness_cpu_s = time.process_time() - harness_before
            stages = _stages(url)
    finally:
        for process in processes:
            process.stop()
        smtp.stop()
        ai.stop()
        _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    latencies = sorted(smtp.arrived[e] - at for e, at in sent.items() if e in smtp.arrived)
    done = len(latencies)
    arrivals = sorted(smtp.arrived[e] for e in sent if e in smtp.arrived)
    # The rate mails came out at over the middle half of the run (the first leads meet an idle
    # worker, the last an emptying queue): the offered rate while the worker keeps up, its
    # capacity when it does not. The model's delay is in the latencies, not in the rate.
    first, last = done // 4, done - 1 - done // 4
    span = arrivals[last] - arrivals[first] if done > 1 else 0.0
    # The last quarter's leads: a p95 that grows from the whole run's to this one is a queue
    # that grows (not sustained).
    last_quarter = sorted(sent.values())[-max(1, len(sent) // 4)]
    late = sorted(
        smtp.arrived[e] - at for e, at in sent.items() if e in smtp.arrived and at >= last_quarter
    )
    return {
        "worker_cpu_ms_per_lead": 1000 * worker_cpu_s / done if done else None,
        # The rest of the machine's share: the API process and PostgreSQL (every process of it
        # on the machine, so other load shows here too).
        "api_cpu_ms_per_lead": 1000 * api_cpu_s / done if done else None,
        "pg_cpu_ms_per_lead": 1000 * pg_cpu_s / done if done else None,
        # This process: the submitting clients, the AI stand-in and the SMTP sink.
        "harness_cpu_ms_per_lead": 1000 * harness_cpu_s / done if done else None,
        "offered": rate,
        "submitted": len(sent),
        "done": done,
        "leads_per_s": (last - first) / span if span else 0.0,
        "p50_s": statistics.median(latencies) if latencies else None,
        "p95_s": latencies[int(0.95 * (done - 1))] if latencies else None,
        "late_p95_s": late[int(0.95 * (len(late) - 1))] if late else None,
        "to_decision_s": stages[0],
        "to_mail_s": stages[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--ai-delay", type=float, default=2.0)
    parser.add_argument(
        "--businesses", type=int, default=1, help="spread the leads over this many businesses"
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "LEADFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--baseline", help="another source tree to run the server from")
    parser.add_argument("--holding", action="store_true", help="also with AI_CONCURRENCY=0")
    args = parser.parse_args()
    variants: list[tuple[str, str | None, dict[str, str]]] = [("this tree", None, {})]
    if args.holding:
        holding = {"LEADFLOW_AI_CONCURRENCY": "0"}
        variants.append(("this tree, AI call holds its slot", None, holding))
    if args.baseline:
        variants.append((f"baseline {args.baseline}", args.baseline, {}))
    print(
        f"# {platform.node()} · {os.cpu_count()} cores · AI answers in {args.ai_delay} s"
        f" · leads to {args.businesses} business(es) · {time.ctime()}"
    )
    print(
        "| server | offered leads/s | submitted | done | done leads/s | p50 s | p95 s "
        "| p95 s, last quarter | p50 s: submit → decision | decision → mail "
        "| CPU ms per lead: worker | API | PostgreSQL | clients, AI and SMTP stand-ins |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rate in (float(r) for r in args.rates.split(",")):
        for label, code, extra in variants:
            r = _run(args.pg, rate, args.seconds, args.ai_delay, args.businesses, code, extra)
            p50 = f"{r['p50_s']:.2f}" if r["p50_s"] is not None else "—"
            p95, late = (
                f"{r[key]:.2f}" if r[key] is not None else "—" for key in ("p95_s", "late_p95_s")
            )
            cpu = " | ".join(
                f"{r[key]:.0f}" if r[key] is not None else "—"
                for key in (
                    "worker_cpu_ms_per_lead",
                    "api_cpu_ms_per_lead",
                    "pg_cpu_ms_per_lead",
                    "harness_cpu_ms_per_lead",
                )
            )
            print(
                f"| {label} | {rate:g} | {r['submitted']} | {r['done']} | "
                f"{r['leads_per_s']:.1f} | {p50} | {p95} | {late} | {r['to_decision_s']:.2f} | "
                f"{r['to_mail_s']:.2f} | {cpu} |",
                flush=True,
            )


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # the sink's threads at shutdown are not results
    main()

"""Submit latency and throughput of the public form, beside a bare one-row-insert endpoint.

    python -m bench submit [--duration 6] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                           [--skip-ai] [--skip-worker]

Every server is its own uvicorn process (same uvicorn, same event loop and HTTP parser); one
load generator (N concurrent submitters, each with its own ``httpx.AsyncClient`` and
connection, each waiting for its answer) drives them in turn, at concurrency 1, 20 and 100, on
SQLite and, with ``--pg``, PostgreSQL. Each row also gives the CPU time per request of the
server process and of the load generator (steadier than wall-clock rates on a shared machine):

- ``bare``: a FastAPI endpoint that validates the same JSON body and inserts one row;
- ``leadflow``: ``POST /api/v1/public/forms/{slug}/submit`` of the real app, API only
  (``LEADFLOW_RUN_WORKER=0``), so the queued jobs wait in the database.

Then the submit latency with the worker running in the API process and the AI stand-in (an
OpenAI-compatible server) answering at once versus after 2 s, and the leads per second one
``leadflow-server worker`` process finishes with the AI answering in 300 ms. On a small machine
the load generator shares the cores with the servers, so compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.cpu import postgres_cpu_s, process_cpu_s

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = Path(tempfile.gettempdir()) / "leadflow-bench-logs"
LEVELS = (1, 20, 100)
_SERVER_PIDS: dict[str, int] = {}  # "host:port" → pid of the uvicorn process serving it
SECRET = "bench-secret-key-0123456789abcdef-0123456789"
ANSWER = {
    "summary": "Asks for help.",
    "urgency": "normal",
    "intent": "question",
    "suggested_reply": "Hi Casey,\n\nThank you for your message. The team will be in touch.",
    "next_step": "Call back.",
    "tags": [],
    "risk_level": "low",
    "confidence_score": 0.9,
    "blocked_topics": [],
    "auto_send_allowed": True,
    "spam": False,
}


class BareBody(BaseModel):
    """The fields the bare endpoint parses (module level, so FastAPI can resolve the hint)."""

    customer_name: str
    customer_email: str | None = None
    message: str = ""
    submission_id: str | None = None


# --- the servers under test (uvicorn factories, run in their own processes) -----------------


def bare_app():  # type: ignore[no-untyped-def]
    """The baseline: parse the same body, insert one row, commit, answer 202."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from sqlalchemy import Column, MetaData, String, Table, Text, event
    from sqlalchemy.ext.asyncio import create_async_engine

    url = os.environ["BENCH_BARE_DATABASE_URL"]
    engine = create_async_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 10}))
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cursor = conn.cursor()  # the same journal settings as LeadFlow's SQLite
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

    table = Table(
        "bare_leads",
        MetaData(),
        Column("id", String(36), primary_key=True),
        Column("customer_name", String(160)),
        Column("customer_email", String(320)),
        Column("message", Text),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/submit", status_code=202)
    async def submit(body: BareBody) -> dict[str, str]:
        async with engine.begin() as conn:
            await conn.execute(
                table.insert().values(
                    id=str(uuid.uuid4()),
                    customer_name=body.customer_name,
                    customer_email=body.customer_email,
                    message=body.message,
                )
            )
        return {"status": "received"}

    return app


def ai_app():  # type: ignore[no-untyped-def]
    """An OpenAI-compatible stand-in answering a valid analysis after ``BENCH_AI_DELAY_S``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    delay = float(os.environ.get("BENCH_AI_DELAY_S", "0"))

    async def completions(_request):  # type: ignore[no-untyped-def]
        await asyncio.sleep(delay)
        content = json.dumps(ANSWER)
        return JSONResponse({"choices": [{"message": {"role": "assistant", "content": content}}]})

    return Starlette(routes=[Route("/chat/completions", completions, methods=["POST"])])


@contextmanager
def uvicorn_process(factory: str, env: dict[str, str], health: str) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    # Server logs (APScheduler notes skipped ticks under load) go to a file, not the report.
    log = open(LOG_DIR / f"{factory.rpartition(':')[2]}-{port}.log", "wb")
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT, stderr=log)
    base = f"http://127.0.0.1:{port}"
    _SERVER_PIDS[f"127.0.0.1:{port}"] = process.pid
    try:
        _wait_healthy(base + health, process)
        yield base
    finally:
        _SERVER_PIDS.pop(f"127.0.0.1:{port}", None)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} never became healthy")


# --- the load generator ---------------------------------------------------------------------


@dataclass
class Result:
    name: str
    concurrency: int
    latencies_ms: list[float]
    errors: int
    elapsed_s: float
    server_cpu_s: float = float("nan")  # CPU time of the server process during the run
    client_cpu_s: float = float("nan")  # CPU time of this load generator during the run
    db_cpu_s: float = float("nan")  # CPU time of every local PostgreSQL process (PostgreSQL)

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def cpu_ms(self, seconds: float) -> float:
        """CPU milliseconds per answered request."""
        return 1000 * seconds / max(1, len(self.latencies_ms))

    def row(self) -> str:
        return (
            f"{self.name:<22} c={self.concurrency:<4} n={len(self.latencies_ms):<6} "
            f"err={self.errors:<4} {self.rps:8.1f} req/s  p50 {self.pct(0.5):7.1f} ms  "
            f"p99 {self.pct(0.99):7.1f} ms  CPU/req server {self.cpu_ms(self.server_cpu_s):.2f} "
            f"client {self.cpu_ms(self.client_cpu_s):.2f}"
            + ("" if self.db_cpu_s != self.db_cpu_s else f" db {self.cpu_ms(self.db_cpu_s):.2f}")
            + " ms"
        )


def _body() -> dict[str, str]:
    tag = uuid.uuid4().hex
    return {
        "customer_name": "Casey Customer",
        "customer_email": f"casey-{tag[:12]}@example.net",
        "message": "Hello, could you help with a deep clean of our flat next week?",
        "submission_id": str(uuid.uuid4()),
    }


async def load(
    url: str,
    name: str,
    concurrency: int,
    duration_s: float,
    after_warm_up: Callable[[], None] | None = None,
) -> Result:
    """``concurrency`` submitters, each sending its next request when the last one answered.

    Also records the CPU time the server process (found by its URL) and this process spent in
    the measured part: on a shared machine that is steadier than the wall-clock rate."""
    latencies: list[float] = []
    errors = 0
    # One client with one connection per submitter, as separate customers would be: with one
    # shared pool of N connections httpx spends O(N) per request on pool bookkeeping, and at
    # c=100 this process used 4-10 ms of CPU per request and was the bottleneck of both servers.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(limits=limits, timeout=60) for _ in range(concurrency)]
    async with AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(client)

        async def submitter(client: httpx.AsyncClient, until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=_body())
                    ok = response.status_code == 202
                    failure = f"status {response.status_code}"
                except httpx.HTTPError as error:
                    ok, failure = False, type(error).__name__
                if record:
                    if ok:
                        latencies.append((time.perf_counter() - started) * 1000)
                    else:
                        errors += 1
                        if errors <= 3:
                            print(f"  {name} c={concurrency}: failed ({failure})", flush=True)

        warm = time.perf_counter() + min(1.0, duration_s / 4)
        await asyncio.gather(*(submitter(c, warm, False) for c in clients))
        if after_warm_up is not None:
            await asyncio.to_thread(after_warm_up)
        pid = _SERVER_PIDS.get(url.split("/", 3)[2])
        server_before = process_cpu_s(pid) if pid else float("nan")
        # Not for the bare endpoint: its pool closes overflow connections as they come back,
        # and the CPU of a backend that exits in between is lost (its figure even went below 0).
        measure_db = "postgres" in name and not name.startswith("bare")
        db_before = postgres_cpu_s() if measure_db else float("nan")
        client_before = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(submitter(c, started + duration_s, True) for c in clients))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_before
        server_cpu = (process_cpu_s(pid) if pid else float("nan")) - server_before
        db_cpu = (postgres_cpu_s() if measure_db else float("nan")) - db_before
    return Result(name, concurrency, latencies, errors, elapsed, server_cpu, client_cpu, db_cpu)


# --- databases and the LeadFlow side --------------------------------------------------------


@contextmanager
def database(kind: str, pg_url: str | None, tmp: Path, label: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / f'{label}.db'}"
        return
    assert pg_url is not None
    name = f"lf_bench_{label}_{uuid.uuid4().hex[:6]}"
    _pg(pg_url, f'CREATE DATABASE "{name}"')
    try:
        yield str(make_url(pg_url).set(drivername="postgresql+asyncpg", database=name))
    finally:
        _pg(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg(url: str, sql: str, *, database: str | None = "postgres") -> None:
    parsed = make_url(url)
    conninfo = (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname={database}"
    )
    if parsed.password:
        conninfo += f" password={parsed.password}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def leadflow_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "LEADFLOW_ENV": "test",
        "LEADFLOW_DATABASE_URL": db_url,
        "LEADFLOW_DATA_DIR": str(data_dir),
        "LEADFLOW_SECRET_KEY": SECRET,
        "LEADFLOW_EMAIL_PROVIDER": "outbox",
        # No limit is reached, but the windows are short: every submit counts the hits in both
        # windows, and production never counts more than its limits (20 and 300: refused
        # submits add no hit), where hour-long windows here would hold every submit of the run
        # and make each one slower than the last (on PostgreSQL the intake query went from
        # 0.2 ms to 1.6 ms over 4,000 submits). One second holds a few hundred.
        "LEADFLOW_INTAKE_IP_LIMIT": "1000000000",
        "LEADFLOW_INTAKE_FORM_LIMIT": "1000000000",
        "LEADFLOW_INTAKE_IP_WINDOW_S": "1",
        "LEADFLOW_INTAKE_FORM_WINDOW_S": "1",
        "LEADFLOW_RUN_WORKER": "0",
        **extra,
    }


async def prepare_leadflow(db_url: str, data_dir: Path) -> str:
    """Migrate, create an active business through the admin API; returns its form slug."""
    from server.admin.accounts import create_or_update_admin
    from server.app import create_app
    from server.config import load_settings
    from server.context import build_context
    from server.migrate import upgrade

    await asyncio.to_thread(upgrade, db_url)
    ctx = build_context(
        load_settings(env="test", data_dir=data_dir, database_url=db_url, secret_key=SECRET)
    )
    async with ctx.db.session() as session:
        await create_or_update_admin(session, "admin@bench.test", "bench-password-1", "Admin")
    app = create_app(ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": "admin@bench.test", "password": "bench-password-1"}
        )
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = await client.post(
            "/api/v1/admin/businesses",
            headers=admin,
            json={
                "name": f"Bench Cleaning {uuid.uuid4().hex[:4]}",
                "contact_email": "desk@bench.example",
                "smart_auto_reply": True,
                "owner_approval_required": False,
                "owner": {"email": "owner@bench.example", "full_name": "Owner"},
            },
        )
        business = created.json()
        await client.patch(
            f"/api/v1/admin/businesses/{business['id']}/status",
            headers=admin,
            json={"status": "active"},
        )
    await ctx.db.dispose()
    return str(business["form_slug"])


def _statistics(kind: str, pg_url: str | None, database_url: str) -> Callable[[], None] | None:
    """PostgreSQL: ``ANALYZE`` the database after each warm-up, for both servers.

    The bench starts from empty tables, which PostgreSQL's autovacuum analyzes at most once a
    minute, so within a run the planner thinks a table of thousands of rows is empty: the open
    duplicate lookup then walked the business's every lead through the phone index to find an
    email (slower with every submit: 42 % and 32 % of bare at c=100 in 8-second runs). A
    database in production has statistics; this gives the bench's the same."""
    if kind != "postgres" or pg_url is None:
        return None
    name = make_url(database_url).database
    return lambda: _pg(pg_url, "ANALYZE", database=name)


async def compare(kind: str, pg_url: str | None, tmp: Path, duration: float) -> list[Result]:
    results = []
    with (
        database(kind, pg_url, tmp, "bare") as bare_url,
        database(kind, pg_url, tmp, "leadflow") as lf_url,
    ):
        data_dir = tmp / f"data-{kind}"
        slug = await prepare_leadflow(lf_url, data_dir)
        with (
            uvicorn_process(
                "bench.submit:bare_app", {"BENCH_BARE_DATABASE_URL": bare_url}, "/health"
            ) as bare,
            uvicorn_process(
                "server.cli:app_from_env", leadflow_env(lf_url, data_dir), "/health"
            ) as leadflow,
        ):
            for concurrency in LEVELS:
                for name, url in (
                    (f"bare/{kind}", f"{bare}/submit"),
                    (f"leadflow/{kind}", f"{leadflow}/api/v1/public/forms/{slug}/submit"),
                ):
                    database_url = bare_url if name.startswith("bare") else lf_url
                    result = await load(
                        url, name, concurrency, duration, _statistics(kind, pg_url, database_url)
                    )
                    print(result.row(), flush=True)
                    results.append(result)
    return results


async def ai_latency(kind: str, pg_url: str | None, tmp: Path, duration: float) -> None:
    """Submit latency with the worker in the API process, the AI instant versus 2 s."""
    for delay in ("0", "2"):
        with (
            database(kind, pg_url, tmp, f"ai{delay}") as lf_url,
            uvicorn_process("bench.submit:ai_app", {"BENCH_AI_DELAY_S": delay}, "/") as ai,
        ):
            data_dir = tmp / f"data-ai-{kind}-{delay}"
            slug = await prepare_leadflow(lf_url, data_dir)
            env = leadflow_env(
                lf_url,
                data_dir,
                LEADFLOW_RUN_WORKER="1",
                LEADFLOW_AI_PROVIDER="openai",
                LEADFLOW_AI_BASE_URL=ai,
                LEADFLOW_AI_API_KEY="k",
            )
            with uvicorn_process("server.cli:app_from_env", env, "/health") as leadflow:
                for concurrency in (1, 20):
                    url = f"{leadflow}/api/v1/public/forms/{slug}/submit"
                    name = f"ai {delay}s/{kind}"
                    print((await load(url, name, concurrency, duration)).row(), flush=True)


async def worker_rate(kind: str, pg_url: str | None, tmp: Path, leads: int) -> None:
    """Leads per second one ``leadflow-server worker`` finishes with the AI answering in 300 ms."""
    from server.config import load_settings
    from server.context import build_context
    from server.models.ops import Job

    with (
        database(kind, pg_url, tmp, "worker") as lf_url,
        uvicorn_process("bench.submit:ai_app", {"BENCH_AI_DELAY_S": "0.3"}, "/") as ai,
    ):
        data_dir = tmp / f"data-worker-{kind}"
        slug = await prepare_leadflow(lf_url, data_dir)
        env = leadflow_env(lf_url, data_dir)
        with uvicorn_process("server.cli:app_from_env", env, "/health") as leadflow:
            url = f"{leadflow}/api/v1/public/forms/{slug}/submit"
            async with httpx.AsyncClient(timeout=60) as client:
                for _ in range(leads):
                    (await client.post(url, json=_body())).raise_for_status()
        ctx = build_context(
            load_settings(env="test", data_dir=data_dir, database_url=lf_url, secret_key=SECRET)
        )

        async def done() -> int:
            async with ctx.db.session() as session:
                query = select(func.count()).where(Job.kind == "process_lead", Job.status == "done")
                return int((await session.execute(query)).scalar_one())

        worker_env = leadflow_env(
            lf_url,
            data_dir,
            LEADFLOW_AI_PROVIDER="openai",
            LEADFLOW_AI_BASE_URL=ai,
            LEADFLOW_AI_API_KEY="k",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "worker"],
            env={**os.environ, **worker_env},
            cwd=ROOT,
            stderr=subprocess.DEVNULL,  # its own logging; the rate is read from the database
        )
        try:
            first = 0
            while (first := await done()) == 0:
                await asyncio.sleep(0.05)
            started = time.perf_counter()
            cpu_before = process_cpu_s(process.pid)
            finished = first
            while finished < leads:
                await asyncio.sleep(0.1)
                finished = await done()
            elapsed = time.perf_counter() - started
            cpu = process_cpu_s(process.pid) - cpu_before
        finally:
            process.terminate()
            process.wait(timeout=30)
            await ctx.db.dispose()
        rate = (finished - first) / elapsed
        # CPU per lead counts everything the worker did meanwhile (its mails too, as they come).
        per_lead = 1000 * cpu / max(1, finished - first)
        print(
            f"worker/{kind}: {leads} leads, AI 300 ms, {rate:.1f} leads/s, "
            f"worker CPU {per_lead:.1f} ms/lead",
            flush=True,
        )


def summary(results: list[Result]) -> None:
    by = {(r.name, r.concurrency): r for r in results}
    for kind in sorted({r.name.split("/")[1] for r in results}):
        bare = {c: by[(f"bare/{kind}", c)] for c in LEVELS}
        lf = {c: by[(f"leadflow/{kind}", c)] for c in LEVELS}
        for c in LEVELS:
            ratio = lf[c].rps / bare[c].rps
            print(f"{kind}: throughput c={c}: {ratio:.0%} of bare (target ≥ 50%)")
        print(
            f"{kind}: p50 c=1: {lf[1].pct(0.5) / bare[1].pct(0.5):.2f}× bare (target ≤ 3×); "
            f"p99 c=20: {lf[20].pct(0.99) / bare[20].pct(0.99):.2f}× bare (target ≤ 2×)"
        )
        print(
            f"{kind}: mean latency c=1 bare {statistics.fmean(bare[1].latencies_ms):.1f} ms, "
            f"leadflow {statistics.fmean(lf[1].latencies_ms):.1f} ms"
        )
        for c in LEVELS:
            print(
                f"{kind}: server CPU/request c={c}: bare {bare[c].cpu_ms(bare[c].server_cpu_s):.2f}"
                f" ms, leadflow {lf[c].cpu_ms(lf[c].server_cpu_s):.2f} ms; load generator "
                f"{bare[c].cpu_ms(bare[c].client_cpu_s):.2f} / "
                f"{lf[c].cpu_ms(lf[c].client_cpu_s):.2f} ms"
            )


async def run(args: argparse.Namespace) -> None:
    kinds = ["sqlite"] + (["postgres"] if args.pg else [])
    if args.only:
        kinds = [kind for kind in kinds if kind == args.only]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results: list[Result] = []
        if not args.skip_load:
            for kind in kinds:
                results += await compare(kind, args.pg, tmp, args.duration)
            summary(results)
        if not args.skip_ai:
            for kind in kinds:
                await ai_latency(kind, args.pg, tmp, args.duration)
        if not args.skip_worker:
            for kind in kinds:
                await worker_rate(kind, args.pg, tmp, args.leads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per measurement")
    parser.add_argument("--pg", default=os.environ.get("LEADFLOW_TEST_DATABASE_URL"))
    parser.add_argument("--leads", type=int, default=300, help="leads for the worker rate")
    parser.add_argument("--skip-load", action="store_true", help="no bare-vs-LeadFlow load runs")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--skip-ai", action="store_true")
    parser.add_argument("--skip-worker", action="store_true")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    LOG_DIR.mkdir(exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; logs in {LOG_DIR}", flush=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    asyncio.run(run(args))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()

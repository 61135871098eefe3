"""Sync and lead search at volume: a business with 50,000 leads and 150,000 messages.

    python -m bench sync [--backend postgres|sqlite|both] [--leads 50000] [--pg URL]

For each backend: a fresh, migrated database is seeded with multi-row INSERTs (versions set
consistently and the ``sync_counters`` row moved to match), ``leadflow-server serve --no-worker``
runs it on a loopback port, and a client measures over HTTP:

- pulling everything from cursor 0 in pages of 500 into a client SQLite file, prefetching the
  next page while one is applied and checkpointing the file's WAL rarely meanwhile, as the
  desktop app does in a bootstrap (target ≤ 10 s); the CPU per page of the server process, of
  its PostgreSQL backends and of the client is printed with it;
- one page's server time, as seen by the client up to the last byte, in a second pass that
  fetches the pages one at a time with nothing else running (target p95 ≤ 100 ms);
- the lead list with a search ``q`` (target p95 ≤ 50 ms);
- a form submit until the ``change`` event reaches a connected client (target p95 ≤ 500 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from bench.cpu import process_cpu_s
from desktop.api import PAGE_HEAD
from desktop.store import BOOTSTRAP_CHECKPOINT
from server.admin.accounts import create_or_update_admin
from server.auth.security import hash_password
from server.businesses.service import create_business, set_status
from server.config import Settings, load_settings
from server.context import build_context
from server.migrate import upgrade
from server.models.base import utcnow
from server.models.business import BusinessMember
from server.models.lead import Lead, Message
from server.models.sync import SyncCounter
from server.models.user import User
from shared.models.business import BusinessCreate
from shared.models.enums import BusinessStatus

PASSWORD = "bench-owner-password"
COUNTER = SyncCounter.__table__
SECRET = "bench-secret-key-0123456789abcdef-0123456789"
FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
]
LAST = [
    "Abbott",
    "Baker",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Quartermain",
]
SERVICES = [
    "Deep clean",
    "Window cleaning",
    "Carpet shampoo",
    "Move-out clean",
    "Gutter repair",
    "Oven clean",
    "Office clean",
    "Pressure washing",
]
WORDS = (
    "please quote kitchen bathroom windows tomorrow weekend urgent flat house office stairs "
    "carpet stain moss roof garden garage price visit morning evening pets allergy"
).split()
SEARCHES = [
    "garcia",
    "quarter",
    "pressure wash",
    "moss",
    "elena",
    "window",
    "867 53",  # a phone fragment, as typed
    "kitchen stain",
    "ava.abbott",
    "carpet",
    "dubois",
    "urgent weekend",
    "office",
    "novak",
    "jade",
]
SYNCED = ("lead", "message", "follow_up", "ai_analysis", "business", "form")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"max {max(ms):.1f} ms (n={len(ms)})"
    )


def settings_for(url: str, data_dir: Path) -> Settings:
    return load_settings(
        env="test",
        data_dir=data_dir,
        database_url=url,
        secret_key=SECRET,
        public_url="http://127.0.0.1",
        intake_ip_limit=1_000_000,
        intake_form_limit=1_000_000,
        form_min_fill_s=0.0,
    )


async def seed(settings: Settings, leads: int, per_lead: int) -> tuple[str, str]:
    """The business (through the services) and its leads and messages (multi-row INSERTs)."""
    ctx = build_context(settings)
    try:
        async with ctx.db.session() as session:
            admin, _ = await create_or_update_admin(
                session, "bench-admin@example.com", PASSWORD, "Bench Admin"
            )
            business, form = await create_business(
                session,
                ctx,
                admin,
                BusinessCreate(
                    name="Bench Cleaning",
                    contact_email="desk@bench.example",
                    owner={"email": "owner@bench.example", "full_name": "Bench Owner"},
                ),
            )
            await set_status(session, admin, business, BusinessStatus.ACTIVE)
            owner = await session.get(
                User,
                (
                    await session.execute(
                        select(BusinessMember.user_id).where(
                            BusinessMember.business_id == business.id
                        )
                    )
                ).scalar_one(),
            )
            owner.password_hash = hash_password(PASSWORD)
            business_id, form_id, slug = business.id, form.id, form.slug
        rng = random.Random(7)
        async with ctx.db.engine.begin() as conn:
            version = (
                await conn.execute(
                    select(COUNTER.c.version).where(COUNTER.c.business_id == business_id)
                )
            ).scalar_one()
            start = utcnow() - timedelta(days=400)
            lead_ids: list[uuid.UUID] = []
            for batch_start in range(0, leads, 5000):
                rows = []
                for n in range(batch_start, min(leads, batch_start + 5000)):
                    version += 1
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    email = f"{first}.{last}{n}@example.net".lower()
                    phone = f"+1{rng.randrange(200, 999)}{rng.randrange(10**6, 10**7)}"
                    when = start + timedelta(minutes=11 * n)
                    lead_id = uuid.uuid4()
                    lead_ids.append(lead_id)
                    rows.append(
                        dict(
                            id=lead_id,
                            business_id=business_id,
                            form_id=form_id,
                            submission_id=uuid.uuid4(),
                            customer_name=f"{first} {last}",
                            customer_email=email,
                            customer_phone=phone,
                            email_normalized=email,
                            phone_normalized=phone,
                            service_needed=rng.choice(SERVICES),
                            message=" ".join(rng.choices(WORDS, k=12)),
                            source="form",
                            status=rng.choice(["new", "contacted", "booked", "lost"]),
                            spam_suspected=False,
                            spam_reasons=[],
                            comm_status="acknowledged",
                            gate_allowed=False,
                            gate_reasons=["owner_approval_required"],
                            auto_sent=False,
                            last_activity_at=when,
                            created_at=when,
                            updated_at=when,
                            version=version,
                        )
                    )
                await conn.execute(Lead.__table__.insert(), rows)
            kinds = ["customer_message", "acknowledgement", "ai_draft", "owner_reply", "note"]
            directions = {
                "customer_message": "inbound",
                "acknowledgement": "outbound",
                "ai_draft": "internal",
                "owner_reply": "outbound",
                "note": "internal",
            }
            messages = []
            for n, lead_id in enumerate(lead_ids):
                for k in range(per_lead):
                    version += 1
                    kind = kinds[k % len(kinds)]
                    messages.append(
                        dict(
                            id=uuid.uuid4(),
                            business_id=business_id,
                            lead_id=lead_id,
                            type=kind,
                            direction=directions[kind],
                            subject=None,
                            content=" ".join(rng.choices(WORDS, k=30)),
                            created_at=start + timedelta(minutes=11 * n, seconds=k),
                            version=version,
                        )
                    )
                if len(messages) >= 10_000:
                    await conn.execute(Message.__table__.insert(), messages)
                    messages = []
            if messages:
                await conn.execute(Message.__table__.insert(), messages)
            await conn.execute(
                update(COUNTER).where(COUNTER.c.business_id == business_id).values(version=version)
            )
            await conn.execute(text("ANALYZE"))
        return slug, str(business_id)
    finally:
        await ctx.db.dispose()


class Server:
    def __init__(self, settings: Settings, port: int) -> None:
        env = os.environ | {
            "LEADFLOW_ENV": "test",
            "LEADFLOW_DATABASE_URL": settings.database_url,
            "LEADFLOW_DATA_DIR": str(settings.data_dir),
            "LEADFLOW_SECRET_KEY": SECRET,
            "LEADFLOW_INTAKE_IP_LIMIT": "1000000",
            "LEADFLOW_INTAKE_FORM_LIMIT": "1000000",
            "LEADFLOW_FORM_MIN_FILL_S": "0",
        }
        script = Path(sys.executable).with_name("leadflow-server")
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [str(script), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (Linux ``/proc``)."""
        return process_cpu_s(self.process.pid)

    def database_cpu_seconds(self, url: str) -> float:
        """CPU used so far by the PostgreSQL backends serving the server's database (they run
        on the same machine; 0 on SQLite, whose work is in the server process)."""
        parsed = make_url(url)
        if not parsed.drivername.startswith("postgresql"):
            return 0.0
        with _pg_maintenance(url) as conn:
            pids = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (parsed.database,)
            ).fetchall()
        cpu = [process_cpu_s(pid) for (pid,) in pids]
        return sum(c for c in cpu if c == c)  # NaN: a backend that ended meanwhile

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def client_store(path: Path) -> sqlite3.Connection:
    # Used by one thread at a time: each page is applied in a worker thread, one after another.
    store = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    store.execute("PRAGMA journal_mode=WAL")
    store.execute("PRAGMA synchronous=NORMAL")  # as the desktop store
    for entity in SYNCED:
        store.execute(f"CREATE TABLE {entity} (id TEXT PRIMARY KEY, version INTEGER, data TEXT)")
    store.execute("CREATE TABLE cursor (value INTEGER)")
    store.execute("INSERT INTO cursor VALUES (0)")
    return store


def page_head(body: bytes) -> tuple[int, bool]:
    """The page's cursor and has_more, which the server writes first (peeked as the desktop app
    does, ``desktop.api.PAGE_HEAD``): the next page is asked for before this one is parsed."""
    head = PAGE_HEAD.match(body[:200])
    if head is None:
        page = orjson.loads(body)
        return page["cursor"], page["has_more"]
    return int(head.group(1)), head.group(2) == b"true"


def apply_page(store: sqlite3.Connection, body: bytes) -> int:
    """Every row of the page and its cursor in one transaction, as the desktop app does;
    returns the number of changes.

    Parsed with orjson and written with one ``executemany`` per entity: applying the page
    inside SQLite from its text (``json_each`` into a temporary table, then ``INSERT … SELECT``)
    was measured too and cost more CPU here (SQLite 3.40 parses each change again for every
    ``->>``).
    """
    page = orjson.loads(body)
    upserts: dict[str, list[tuple[str, int, str]]] = {}
    deletes: dict[str, list[tuple[str]]] = {}
    for change in page["changes"]:
        if change["deleted"]:
            deletes.setdefault(change["entity"], []).append((change["id"],))
        else:
            upserts.setdefault(change["entity"], []).append(
                (change["id"], change["version"], orjson.dumps(change["data"]).decode())
            )
    store.execute("BEGIN")
    for entity, rows in upserts.items():
        store.executemany(f"INSERT OR REPLACE INTO {entity} VALUES (?, ?, ?)", rows)
    for entity, ids in deletes.items():
        store.executemany(f"DELETE FROM {entity} WHERE id = ?", ids)
    store.execute("UPDATE cursor SET value = ?", (page["cursor"],))
    store.execute("COMMIT")
    return len(page["changes"])


async def full_pull(
    http: httpx.AsyncClient, headers: dict[str, str], store: sqlite3.Connection
) -> tuple[float, int, int]:
    """Pull everything from cursor 0, fetching the next page while the current one is applied.

    Every page still crosses HTTP from the real server and every row is written to the file;
    the apply runs in a thread so the next response is received meanwhile (the desktop app's
    sync engine prefetches the same way).
    """

    async def fetch(cursor: int) -> bytes:
        response = await http.get(
            "/api/v1/owner/sync", params={"cursor": cursor, "limit": 500}, headers=headers
        )
        response.raise_for_status()
        return response.content

    rows, pages = 0, 0
    started = time.perf_counter()
    # A bootstrap writes the whole copy: as the desktop store does (BOOTSTRAP_CHECKPOINT in
    # desktop/store.py), the WAL is checkpointed rarely meanwhile instead of after every few
    # pages (copying the pages into the file and syncing it each time), then as usual again.
    store.execute(f"PRAGMA wal_autocheckpoint={BOOTSTRAP_CHECKPOINT}")
    next_page = asyncio.create_task(fetch(0))
    while True:
        body = await next_page
        cursor, has_more = page_head(body)
        if has_more:
            next_page = asyncio.create_task(fetch(cursor))
        rows += await asyncio.to_thread(apply_page, store, body)
        pages += 1
        if not has_more:
            elapsed = time.perf_counter() - started
            store.execute("PRAGMA wal_autocheckpoint=1000")
            return elapsed, rows, pages


async def page_times(http: httpx.AsyncClient, headers: dict[str, str]) -> list[float]:
    """One page at a time from cursor 0, nothing else running: each page's time up to its
    last byte, as the client sees it (the server time of a page plus loopback transfer)."""
    cursor, times = 0, []
    while True:
        sent = time.perf_counter()
        response = await http.get(
            "/api/v1/owner/sync", params={"cursor": cursor, "limit": 500}, headers=headers
        )
        body = response.content
        times.append(time.perf_counter() - sent)
        page = orjson.loads(body)
        cursor = page["cursor"]
        if not page["has_more"]:
            return times


async def searches(http: httpx.AsyncClient, headers: dict[str, str], rounds: int) -> list[float]:
    times = []
    for n in range(rounds):
        q = SEARCHES[n % len(SEARCHES)]
        sent = time.perf_counter()
        response = await http.get(
            "/api/v1/owner/leads", params={"q": q, "limit": 50}, headers=headers
        )
        response.raise_for_status()
        times.append(time.perf_counter() - sent)
    return times


async def submit_to_event(url: str, slug: str, headers: dict[str, str], rounds: int) -> list[float]:
    events: asyncio.Queue[int] = asyncio.Queue()

    async def listen() -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client:
            async with client.stream("GET", f"{url}/api/v1/owner/events", headers=headers) as r:
                async for line in r.aiter_lines():
                    if line.startswith("data:"):
                        await events.put(json.loads(line[5:])["cursor"])

    listener = asyncio.create_task(listen())
    latest = await asyncio.wait_for(events.get(), 10)
    times = []
    async with httpx.AsyncClient(base_url=url) as http:
        for n in range(rounds):
            before = latest
            sent = time.perf_counter()
            response = await http.post(
                f"/api/v1/public/forms/{slug}/submit",
                json={
                    "customer_name": f"Event Test {n}",
                    "customer_email": f"ev{n}@example.net",
                    "message": "Timing the change event",
                    "submission_id": str(uuid.uuid4()),
                },
            )
            assert response.status_code == 202, response.text
            while latest <= before:
                latest = await asyncio.wait_for(events.get(), 5)
            times.append(time.perf_counter() - sent)
            await asyncio.sleep(0.05)
    listener.cancel()
    return times


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


async def run_backend(
    name: str, url: str, leads: int, per_lead: int, workdir: Path, parts: set[str]
) -> None:
    data_dir = workdir / f"data-{name}"
    settings = settings_for(url, data_dir)
    began = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    slug, _business_id = await seed(settings, leads, per_lead)
    print(
        f"[{name}] seeded {leads} leads and {leads * per_lead} messages in "
        f"{time.perf_counter() - began:.1f} s"
    )
    server = Server(settings, port=_free_port())
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"email": "owner@bench.example", "password": PASSWORD}
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            store = client_store(workdir / f"client-{name}.db")
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            database_cpu = server.database_cpu_seconds(url)
            total, rows, count = await full_pull(http, headers, store)
            server_cpu = server.cpu_seconds() - server_cpu
            client_cpu = time.process_time() - client_cpu
            database_cpu = server.database_cpu_seconds(url) - database_cpu
            stored = sum(
                store.execute(f"SELECT count(*) FROM {entity}").fetchone()[0] for entity in SYNCED
            )
            store.close()
            assert stored == rows, f"the client file holds {stored} rows of {rows} pulled"
            print(
                f"[{name}] full pull: {rows} changes in {count} pages of 500 in {total:.2f} s "
                f"(target ≤ 10 s); CPU per page: server {server_cpu / count * 1000:.1f} ms, "
                f"PostgreSQL {database_cpu / count * 1000:.1f} ms, "
                f"client {client_cpu / count * 1000:.1f} ms; load {_load()}"
            )
            if "page" in parts:
                server_cpu = server.cpu_seconds()
                database_cpu = server.database_cpu_seconds(url)
                pages = await page_times(http, headers)
                server_cpu = server.cpu_seconds() - server_cpu
                database_cpu = server.database_cpu_seconds(url) - database_cpu
                print(
                    f"[{name}] one page: {summary(pages)} (target p95 ≤ 100 ms); "
                    f"CPU per page: server {server_cpu / len(pages) * 1000:.1f} ms, "
                    f"PostgreSQL {database_cpu / len(pages) * 1000:.1f} ms; load {_load()}"
                )
            if "search" in parts:
                await searches(http, headers, 15)  # warm up
                print(
                    f"[{name}] lead search: {summary(await searches(http, headers, 300))} "
                    f"(target p95 ≤ 50 ms)"
                )
        if "events" in parts:
            event_times = await submit_to_event(server.url, slug, headers, 40)
            print(f"[{name}] submit → change event: {summary(event_times)} (target p95 ≤ 500 ms)")
    finally:
        server.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_maintenance(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the ``postgres`` database of the server ``url`` names."""
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
    )


def _pg_admin(url: str, sql: str) -> None:
    with _pg_maintenance(url) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--messages-per-lead", type=int, default=3)
    parser.add_argument(
        "--only",
        default="page,search,events",
        help="what to measure after the full pull (comma-separated: page, search, events)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "LEADFLOW_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    parts = set(args.only.split(",")) if args.only else set()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-sync-") as tmp:
        workdir = Path(tmp)
        if args.backend in ("sqlite", "both"):
            await run_backend(
                "sqlite",
                f"sqlite+aiosqlite:///{workdir / 'server.db'}",
                args.leads,
                args.messages_per_lead,
                workdir,
                parts,
            )
        if args.backend in ("postgres", "both"):
            name = f"lf_bench_{uuid.uuid4().hex[:8]}"
            _pg_admin(args.pg, f'CREATE DATABASE "{name}"')
            try:
                await run_backend(
                    "postgres",
                    str(make_url(args.pg).set(database=name)),
                    args.leads,
                    args.messages_per_lead,
                    workdir,
                    parts,
                )
            finally:
                _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

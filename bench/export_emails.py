"""Time and memory of ``GET /api/v1/admin/emails/export`` over a million email rows on PostgreSQL.

    python -m bench.export_emails [--rows 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                  [--keep]

Creates a fresh database, migrates it, loads ``--rows`` email_events with COPY (realistic bodies,
which the export must never read), starts a real ``leadflow-server serve --no-worker`` process,
signs in as a super-admin and downloads the CSV while sampling the server's resident memory from
``/proc/<pid>/status``. The peak is ``VmHWM`` after resetting it (``clear_refs``) at idle, so the
number is the export's own high-water mark, not the start-up one.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from server.admin.accounts import create_or_update_admin
from server.db import Database
from server.migrate import upgrade
from tests.server.support import free_port

ADMIN_EMAIL = "bench-admin@leadflow.test"
ADMIN_PASSWORD = "bench-admin-password"
COLUMNS = (
    "id",
    "business_id",
    "kind",
    "automatic",
    "status",
    "from_address",
    "to_address",
    "subject",
    "text_body",
    "html_body",
    "message_id",
    "attempts",
    "provider",
    "provider_message_id",
    "created_at",
    "sent_at",
)
KINDS = ("acknowledgement", "auto_reply", "owner_alert", "follow_up", "owner_reply")


def _conninfo(url: str, database: str) -> str:
    parsed = make_url(url)
    info = (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname={database}"
    )
    return info + (f" password={parsed.password}" if parsed.password else "")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def load_rows(conninfo: str, rows: int) -> tuple[float, uuid.UUID]:
    """COPY ``rows`` email_events (one business) into the database; seconds taken."""
    started = time.perf_counter()
    business_id = uuid.uuid4()
    now = datetime.now(UTC)
    text = "Hello Casey,\n\nThanks for your request. " + "We will be in touch soon. " * 16
    html = "<html><body><p>" + text.replace("\n", "<br>") * 2 + "</p></body></html>"
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO businesses (id, name, slug, contact_email, brand_color, status, "
            "smart_auto_reply, owner_approval_required, auto_reply_threshold, timezone, version, "
            "created_at, updated_at) VALUES (%s, 'Bench Cleaning', 'bench-cleaning', "
            "'desk@bench.example', '#2563eb', 'active', true, false, 0.75, 'UTC', 1, %s, %s)",
            (business_id, now, now),
        )
        with conn.cursor().copy(f"COPY email_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for n in range(rows):
                at = now - timedelta(seconds=rows - n)
                failed = n % 50 == 0
                copy.write_row(
                    (
                        uuid.uuid4(),
                        business_id,
                        KINDS[n % len(KINDS)],
                        n % 3 == 0,
                        "failed" if failed else "sent",
                        "Bench Cleaning <noreply@leadflow.test>",
                        f"customer{n}@example.net",
                        f"Re: Your deep clean request #{n} — Bench",
                        text,
                        html,
                        f"<{uuid.uuid4().hex}@leadflow.test>",
                        1,
                        "smtp",
                        None if failed else f"prov-{n}",
                        at,
                        None if failed else at,
                    )
                )
        conn.execute("ANALYZE email_events")
        conn.commit()
    return time.perf_counter() - started, business_id


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, _status_kb(self.pid, "VmRSS"))
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "LEADFLOW_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    name = f"lf_bench_export_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(args.pg, "postgres"), autocommit=True) as admin_conn:
        admin_conn.execute(f'CREATE DATABASE "{name}"')
    url = str(make_url(args.pg).set(drivername="postgresql+asyncpg", database=name))
    server: subprocess.Popen[bytes] | None = None
    try:
        upgrade(url)
        load_s, _business = load_rows(_conninfo(args.pg, name), args.rows)
        print(f"loaded {args.rows:,} email_events in {load_s:.1f} s")

        async def make_admin() -> None:
            db = Database(url)
            async with db.session() as session:
                await create_or_update_admin(session, ADMIN_EMAIL, ADMIN_PASSWORD, "Bench")
            await db.dispose()

        asyncio.run(make_admin())
        port = free_port()
        data_dir = tempfile.mkdtemp(prefix="leadflow-bench-")
        env = {
            **os.environ,
            "LEADFLOW_DATABASE_URL": url,
            "LEADFLOW_DATA_DIR": data_dir,
            "LEADFLOW_SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "LEADFLOW_ENV": "development",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from server.cli import main; sys.exit(main())",
                "serve",
                "--no-worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(data_dir) / "server.log", "wb"),
        )
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as http:
            for _ in range(200):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            login = http.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            # Warm up the route (imports, pools), then take the idle baseline.
            warm = http.get("/api/v1/admin/emails/export?status=queued", headers=headers)
            warm.raise_for_status()
            time.sleep(0.5)
            idle_kb = _status_kb(server.pid, "VmRSS")
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # reset VmHWM to now
            sampler = RssSampler(server.pid)
            sampler.start()
            started = time.perf_counter()
            size = lines = 0
            first_byte_s = None
            with http.stream("GET", "/api/v1/admin/emails/export", headers=headers) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    if first_byte_s is None:
                        first_byte_s = time.perf_counter() - started
                    size += len(chunk)
                    lines += chunk.count(b"\n")
            elapsed = time.perf_counter() - started
            sampler.stop.set()
            sampler.join()
            hwm_kb = _status_kb(server.pid, "VmHWM")
        peak_kb = max(hwm_kb, sampler.peak_kb)
        report = io.StringIO()
        report.write(
            f"machine: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n"
        )
        report.write(f"rows exported: {lines - 1:,} (+ header), {size / 1e6:.1f} MB of CSV\n")
        report.write(
            f"time: {elapsed:.1f} s total, first byte after {first_byte_s or 0:.2f} s, "
            f"{(lines - 1) / elapsed:,.0f} rows/s\n"
        )
        report.write(
            f"server RSS: idle {idle_kb / 1024:.1f} MiB, peak during export "
            f"{peak_kb / 1024:.1f} MiB, growth {(peak_kb - idle_kb) / 1024:.1f} MiB\n"
        )
        print(report.getvalue(), end="")
        if lines - 1 != args.rows:
            raise SystemExit(f"expected {args.rows} rows, got {lines - 1}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            with psycopg.connect(_conninfo(args.pg, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

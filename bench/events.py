"""Many desktops listening: one API process holding thousands of ``/events`` streams.

    python -m bench events [--streams 5000] [--submits 3] [--baseline DIR]
                           [--pg postgresql://postgres@127.0.0.1:5432/postgres]

On a fresh PostgreSQL database, one ``leadflow-server serve --no-worker`` process; ``--streams``
clients on loopback (raw asyncio connections, as light as a client can be) each open
``GET /api/v1/owner/events`` as the business's owner and read its first event. Then a form submit
moves the business's version, ``--submits`` times; reported: how long after each submit was
sent the change event reached the clients (p50, p95, the last; the submit's own time is part of
it), and the server's resident memory per open stream (``VmRSS`` with the streams open minus
before, divided by their number). ``--baseline DIR`` runs the same again with the server from
another source tree (e.g. ``git archive <commit> | tar -x -C DIR``), for a side-by-side table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench.workflow import _admin, _tenant
from server.cli import run_loop
from server.migrate import upgrade
from tests.faults.cluster import Process, wait_healthy
from tests.server.conftest import make_settings
from tests.server.support import SmtpSink, free_port, server_env

OPEN_AT_ONCE = 200  # connections being opened at a time (a burst of reconnecting desktops)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Stream(asyncio.Protocol):
    """One desktop's ``/events`` connection, as light as a client can be (a protocol, no reader
    task): the times its ``change`` events arrived."""

    def __init__(self) -> None:
        self.events: list[float] = []
        self.first = asyncio.Event()
        self.transport: asyncio.Transport | None = None
        self._tail = b""

    async def open(self, port: int, headers: dict[str, str]) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, "127.0.0.1", port)
        lines = ["GET /api/v1/owner/events HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        assert self.transport is not None
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        text = self._tail + data
        count = text.count(b"event: change")
        self._tail = text[-16:]
        if b"event: change" in self._tail:
            self._tail = b""  # counted once
        self.events.extend([now] * count)
        if count:
            self.first.set()


async def _measure(port: int, pid: int, tenant: Any, streams: int, submits: int) -> dict[str, Any]:
    headers = dict(tenant.owner_headers)
    before = _rss_kib(pid)
    clients = [Stream() for _ in range(streams)]
    started = time.monotonic()
    for at in range(0, streams, OPEN_AT_ONCE):
        batch = clients[at : at + OPEN_AT_ONCE]
        await asyncio.gather(*(c.open(port, headers) for c in batch))
        await asyncio.wait_for(asyncio.gather(*(c.first.wait() for c in batch)), 120)
    opened_s = time.monotonic() - started
    await asyncio.sleep(2.0)
    after = _rss_kib(pid)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(submits):
            seen = [len(c.events) for c in clients]
            sent = time.monotonic()
            response = await http.post(
                f"http://127.0.0.1:{port}/api/v1/public/forms/{tenant.slug}/submit",
                json={
                    "customer_name": f"Casey {n}",
                    "customer_email": f"events-{n}-{uuid.uuid4().hex[:6]}@customers.example",
                    "message": "Hello, could you help with a deep clean?",
                    "submission_id": str(uuid.uuid4()),
                },
            )
            assert response.status_code == 202, response.text
            deadline = sent + 30
            while time.monotonic() < deadline and any(
                len(c.events) <= s for c, s in zip(clients, seen, strict=True)
            ):
                await asyncio.sleep(0.01)
            latencies += [
                c.events[s] - sent for c, s in zip(clients, seen, strict=True) if len(c.events) > s
            ]
            await asyncio.sleep(1.0)
    for c in clients:
        if c.transport is not None:
            c.transport.close()
    latencies.sort()
    return {
        "streams": streams,
        "opened_s": opened_s,
        "received": len(latencies),
        "expected": streams * submits,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "last_ms": 1000 * latencies[-1],
        "kib_per_stream": (after - before) / streams,
    }


def _run(pg: str, streams: int, submits: int, code: str | None) -> dict[str, Any]:
    name = f"lf_bench_ev_{uuid.uuid4().hex[:8]}"
    _admin(pg, f'CREATE DATABASE "{name}"')
    url = str(make_url(pg).set(drivername="postgresql+asyncpg", database=name))
    smtp = SmtpSink()
    smtp.start()
    api: Process | None = None
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory() as tmp:
            settings = make_settings(url, Path(tmp) / "data", smtp)
            tenant = asyncio.run(_tenant(settings, smtp))
            port = free_port()
            env = server_env(
                settings,
                LEADFLOW_INTAKE_IP_LIMIT="1000000",
                LEADFLOW_INTAKE_FORM_LIMIT="1000000",
            )
            if code is not None:
                env["PYTHONPATH"] = code  # ahead of this tree's editable install
            api = Process(
                "api",
                ["serve", "--no-worker", "--port", str(port)],
                env,
                Path(tmp) / "api.log",
                port,
            )
            api.start()
            wait_healthy(api)
            assert api.popen is not None
            return run_loop(_measure(port, api.popen.pid, tenant, streams, submits))
    finally:
        if api is not None:
            api.stop()
        smtp.stop()
        _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--submits", type=int, default=3)
    parser.add_argument("--baseline", help="another source tree to run the server from")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "LEADFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    # Each stream is a socket here and one in the server (which inherits the limit).
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 4 * args.streams + 1024)
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    print(f"# {platform.node()} · {os.cpu_count()} cores · one API process · {time.ctime()}")
    print(
        "| server | streams | opened in | change events | p50 ms | p95 ms | last ms "
        "| KiB per stream |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, code in (("this tree", None), (f"baseline {args.baseline}", args.baseline)):
        if label.startswith("baseline") and code is None:
            continue
        r = _run(args.pg, args.streams, args.submits, code)
        print(
            f"| {label} | {r['streams']} | {r['opened_s']:.0f} s | "
            f"{r['received']}/{r['expected']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['last_ms']:.0f} | {r['kib_per_stream']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

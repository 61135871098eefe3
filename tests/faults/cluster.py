"""LeadFlow as it runs in production, for the fault suite: ``serve --no-worker`` ×2 and
``worker`` ×2 as real processes on one PostgreSQL database, a real SMTP sink and the AI stand-in;
a bounded load of form submits; and the checks of the whole history afterwards."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from tests.faults.history import problems, record
from tests.faults.sync_log import SyncLog
from tests.server.intake.ai_stand_in import AIStandIn
from tests.server.support import SmtpSink, free_port, server_env

SERVER_SCRIPT = Path(sys.executable).with_name("leadflow-server")


def conninfo(url: str) -> str:
    parsed = make_url(url)
    return (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname={parsed.database}"
    )


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None
    # What runs ``args``: ``leadflow-server``, or a test-only module that wraps it
    # (``planted_worker``: the suite's proof that it catches a bug).
    program: tuple[str, ...] = (str(SERVER_SCRIPT),)

    def start(self) -> None:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            [*self.program, *self.args], env=self.env, stdout=handle, stderr=handle
        )
        handle.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease released, exactly like a crash."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tracebacks(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text if "Traceback" in text else ""


@dataclass
class Outcome:
    """What the clients saw: each submit's email and final answer."""

    accepted: list[str] = field(default_factory=list)  # customer emails answered 202
    statuses: Counter[int] = field(default_factory=Counter)
    retry_after: int = 0  # 503 answers carrying Retry-After
    errors: list[str] = field(default_factory=list)


class Cluster:
    """The processes of one scenario; ``settings`` is the tests' Settings for the database."""

    def __init__(self, settings: Any, smtp: SmtpSink, ai: AIStandIn, logs: Path, **env: str):
        self.settings = settings
        self.smtp = smtp
        self.ai = ai
        self.env = server_env(
            settings,
            LEADFLOW_EMAIL_PROVIDER="smtp",
            LEADFLOW_SMTP_HOST="127.0.0.1",
            LEADFLOW_SMTP_PORT=str(smtp.port),
            LEADFLOW_SMTP_TIMEOUT_S="2",
            LEADFLOW_AI_PROVIDER="openai",
            LEADFLOW_AI_BASE_URL=ai.url,
            LEADFLOW_AI_API_KEY="k",
            LEADFLOW_AI_TIMEOUT_S="5",
            LEADFLOW_JOB_LEASE_S="3",
            LEADFLOW_WORKER_CONCURRENCY="8",
            LEADFLOW_INTAKE_IP_LIMIT="100000",
            LEADFLOW_INTAKE_FORM_LIMIT="100000",
            **env,
        )
        self.logs = logs
        self.apis = [
            self._process(f"api-{n}", ["serve", "--no-worker"], free_port()) for n in (1, 2)
        ]
        self.workers = [self._process(f"worker-{n}", ["worker"]) for n in (1, 2)]

    def _process(self, name: str, args: list[str], port: int | None = None) -> Process:
        if port is not None:
            args = [*args, "--host", "127.0.0.1", "--port", str(port)]
        return Process(name, args, dict(self.env), self.logs / f"{name}.log", port)

    def start(self) -> None:
        for process in [*self.apis, *self.workers]:
            process.start()
        for api in self.apis:
            wait_healthy(api)

    def stop(self) -> None:
        for process in [*self.apis, *self.workers]:
            process.stop()

    def tracebacks(self) -> str:
        return "\n".join(filter(None, (p.tracebacks() for p in [*self.apis, *self.workers])))


def wait_healthy(api: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api.url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if api.popen is not None and api.popen.poll() is not None:
            break
        time.sleep(0.1)
    log = api.log.read_text(errors="replace")[-3000:] if api.log.exists() else ""
    raise AssertionError(f"{api.name} never became healthy:\n{log}")


async def submit_load(
    urls: list[str],
    slug: str,
    *,
    leads: int,
    clients: int,
    seconds: float,
    outcome: Outcome | None = None,
    retries: int = 0,
) -> Outcome:
    """``leads`` submits spread over ``seconds`` by ``clients`` concurrent clients, round-robin
    over ``urls``. A submit answered 503 or cut off is retried (same ``submission_id``) up to
    ``retries`` times, as a careful client does."""
    outcome = outcome or Outcome()
    gap = seconds / max(1, leads)
    gate = asyncio.Semaphore(clients)
    # No keep-alive: a reused connection the server just closed would look like a fault.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:

        async def one(n: int) -> None:
            await asyncio.sleep(n * gap)
            email = f"lead-{n}-{uuid.uuid4().hex[:6]}@customers.example"
            body = {
                "customer_name": f"Casey {n}",
                "customer_email": email,
                "service_needed": "Deep clean",
                "message": f"Hello, could you help with a deep clean? (lead {n})",
                "submission_id": str(uuid.uuid4()),
            }
            async with gate:
                for attempt in range(retries + 1):
                    url = urls[(n + attempt) % len(urls)]
                    try:
                        response = await http.post(
                            f"{url}/api/v1/public/forms/{slug}/submit", json=body
                        )
                    except httpx.HTTPError as error:
                        outcome.errors.append(f"{type(error).__name__}")
                        await asyncio.sleep(0.5)
                        continue
                    outcome.statuses[response.status_code] += 1
                    if response.status_code == 202:
                        outcome.accepted.append(email)
                        return
                    if response.status_code == 503:
                        outcome.retry_after += "retry-after" in response.headers
                        await asyncio.sleep(0.5)
                        continue
                    outcome.errors.append(f"{response.status_code}: {response.text[:200]}")
                    return

        await asyncio.gather(*(one(n) for n in range(leads)))
    return outcome


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo(url)) as conn:
        return list(conn.execute(sql, params).fetchall())  # type: ignore[arg-type]


def wait_settled(url: str, timeout: float = 90.0) -> None:
    """Until no job is running or due within a minute (a mail waiting out another worker's
    send claim is due soon): the workers have done everything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(open_jobs,)] = query(
            url,
            "SELECT count(*) FROM jobs WHERE status = 'running'"
            " OR (status = 'queued' AND run_at <= now() + interval '60 seconds')",
        )
        if open_jobs == 0:
            return
        time.sleep(0.3)
    rows = query(
        url,
        "SELECT kind, status, attempts, last_error FROM jobs WHERE status IN"
        " ('queued', 'running') LIMIT 5",
    )
    raise AssertionError(f"jobs never settled: {rows}")


def mails_being_sent(url: str) -> set[str]:
    """Message-IDs of the mails claimed for sending and not yet recorded: read right after a
    worker is killed, the only mails that may go out twice (ARCHITECTURE, "sent at most once")."""
    rows = query(
        url,
        "SELECT message_id FROM email_events WHERE status = 'queued' AND sending_until IS NOT NULL",
    )
    return {message_id for (message_id,) in rows}


def mail_history(url: str, message_ids: set[str]) -> str:
    """For a failure message: each mail's row and its delivery job (attempts, last error)."""
    rows = query(
        url,
        "SELECT e.message_id, e.status, e.attempts, e.sending_until, e.sent_at, e.error,"
        " j.status, j.attempts, j.locked_by, j.last_error FROM email_events e"
        " LEFT JOIN jobs j ON j.dedupe_key = 'email:' || e.id::text"
        " WHERE e.message_id = ANY(%s)",
        sorted(message_ids),
    )
    lines = []
    for m, status, claims, until, sent, error, job, attempts, locked_by, last_error in rows:
        lines.append(
            f"{m}: mail {status} after {claims} claims (sending_until {until}, sent_at {sent},"
            f" error {error!r}); job {job} after {attempts} attempts by {locked_by},"
            f" last error {(last_error or '')[:200]!r}"
        )
    return "\n".join(lines)


def check_history(
    url: str,
    smtp: SmtpSink,
    outcome: Outcome,
    *,
    business_contact: str,
    in_flight_at_kill: frozenset[str] = frozenset(),
    sync: SyncLog | None = None,
    business_id: str | None = None,
) -> None:
    """Fail with every violation of the history (``history.problems``): a lead lost or stored
    twice, a mail missing or repeated, a job left, a change the desktop (``sync``, following
    ``business_id``) missed or saw twice. A repeated mail's rows and job are in the message."""
    history = record(
        query,
        url,
        smtp,
        outcome,
        business_contact=business_contact,
        business_id=business_id,
        sync=sync,
    )
    found = problems(history, in_flight_at_kill)
    delivered = Counter(message_id for message_id, _to in history.delivered)
    repeated = {m for m, n in delivered.items() if n > 1 and m not in in_flight_at_kill}
    if repeated:
        found.append(mail_history(url, repeated))
    assert not found, "\n".join(found)

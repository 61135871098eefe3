"""The labelled leads through the whole workflow: the local analyser and the safety gate.

    python -m bench labelled [--data PATH]

Each record of ``shared/data/leads-labelled.jsonl`` is submitted through the public JSON route
to its business (created once per business through the admin API: name, industry, services,
smart auto-reply on, owner approval off, active); the worker then runs the real pipeline, and
the lead's ``auto_sent`` and stored analysis are compared with the record's ``expected`` labels.

``tests/server/intake/test_labelled_workflow.py`` calls ``measure`` against the test databases
and holds the figures to the issue's bar; run as a module it uses a temporary SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from server.context import ServerContext
from server.jobs.worker import Worker
from server.models.lead import AIAnalysis, Lead

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "leads-labelled.jsonl"
TOPICS = (
    "price_commitment",
    "booking_confirmation",
    "availability_promise",
    "refund_or_discount",
    "legal_advice",
    "medical_advice",
    "financial_advice",
)
WORKER_CONCURRENCY = 1  # on SQLite, parallel jobs only queue for the write lock (busy waits)
# A lead the intake itself stores as spam (links in the name, link stuffing) is never analysed;
# it reads as what the labelling rules give link spam.
INTAKE_SPAM_READING = {
    "urgency": "low",
    "intent": "spam",
    "risk_level": "high",
    "spam": True,
    "blocked_topics": [],
}


def load_records(path: Path = DATA) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Outcome:
    record: dict[str, Any]
    auto_sent: bool
    reading: dict[str, Any]  # the stored analysis (or the intake's spam reading)
    gate_reasons: list[str]

    @property
    def expected(self) -> dict[str, Any]:
        return dict(self.record["expected"])


@dataclass
class Figures:
    total: int
    unsafe_auto_replied: list[str]
    safe_with_email: int
    safe_auto_replied: int
    agreement: dict[str, float]
    topic_caught: dict[str, tuple[int, int]]  # labelled topic → (caught, labelled)
    topic_extra: dict[str, int]  # topic flagged but not labelled
    missed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def safe_reply_rate(self) -> float:
        return self.safe_auto_replied / self.safe_with_email if self.safe_with_email else 0.0

    def lines(self) -> list[str]:
        out = [
            f"labelled leads through the workflow: {self.total}",
            f"auto_send_safe=false leads auto-replied: {len(self.unsafe_auto_replied)}"
            + (f" ({', '.join(self.unsafe_auto_replied)})" if self.unsafe_auto_replied else ""),
            f"auto_send_safe=true leads with an email auto-replied: {self.safe_auto_replied}"
            f"/{self.safe_with_email} ({self.safe_reply_rate:.0%})",
        ]
        for name, value in self.agreement.items():
            out.append(f"agreement {name}: {value:.1%}")
        for topic, (caught, labelled) in self.topic_caught.items():
            out.append(
                f"topic {topic}: caught {caught}/{labelled}, flagged unlabelled "
                f"{self.topic_extra.get(topic, 0)}"
            )
        for name, ids in self.missed.items():
            if ids:
                out.append(f"disagree {name}: {', '.join(ids)}")
        return out


async def create_businesses(
    client: httpx.AsyncClient, admin: dict[str, str], records: list[dict[str, Any]]
) -> dict[str, str]:
    """One active business per ``business_name``; returns name → form slug."""
    slugs: dict[str, str] = {}
    for record in records:
        name = record["business_name"]
        if name in slugs:
            continue
        tag = uuid.uuid4().hex[:8]
        created = await client.post(
            "/api/v1/admin/businesses",
            headers=admin,
            json={
                "name": name,
                "industry": record["industry"],
                "contact_email": f"desk-{tag}@example.org",
                "smart_auto_reply": True,
                "owner_approval_required": False,
                "owner": {"email": f"owner-{tag}@example.org", "full_name": "Owner"},
            },
        )
        created.raise_for_status()
        business = created.json()
        form = await client.patch(
            f"/api/v1/admin/businesses/{business['id']}/form",
            headers=admin,
            json={"services": record["services"]},
        )
        form.raise_for_status()
        active = await client.patch(
            f"/api/v1/admin/businesses/{business['id']}/status",
            headers=admin,
            json={"status": "active"},
        )
        active.raise_for_status()
        slugs[name] = business["form_slug"]
    return slugs


async def submit_records(
    client: httpx.AsyncClient, slugs: dict[str, str], records: list[dict[str, Any]]
) -> dict[str, uuid.UUID]:
    """Submit every record through the public JSON route; returns record id → submission id."""
    submitted: dict[str, uuid.UUID] = {}
    for record in records:
        submission_id = uuid.uuid4()
        body = {
            name: record[name]
            for name in (
                "customer_name",
                "customer_email",
                "customer_phone",
                "service_needed",
                "preferred_time",
                "message",
            )
            if record.get(name) is not None
        }
        body["submission_id"] = str(submission_id)
        response = await client.post(
            f"/api/v1/public/forms/{slugs[record['business_name']]}/submit", json=body
        )
        if response.status_code != 202:
            raise RuntimeError(f"{record['id']}: {response.status_code} {response.text}")
        submitted[record["id"]] = submission_id
    return submitted


async def collect(
    ctx: ServerContext, records: list[dict[str, Any]], submitted: dict[str, uuid.UUID]
) -> list[Outcome]:
    outcomes = []
    async with ctx.db.session() as session:
        for record in records:
            lead = (
                await session.execute(
                    select(Lead).where(Lead.submission_id == submitted[record["id"]])
                )
            ).scalar_one()
            analysis = (
                await session.execute(
                    select(AIAnalysis)
                    .where(AIAnalysis.lead_id == lead.id)
                    .order_by(AIAnalysis.created_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if analysis is not None:
                reading = dict(analysis.parsed)
            elif lead.status == "spam":
                reading = dict(INTAKE_SPAM_READING)
            else:
                raise RuntimeError(f"{record['id']}: the lead was never analysed")
            outcomes.append(Outcome(record, lead.auto_sent, reading, list(lead.gate_reasons)))
    return outcomes


def figures(outcomes: list[Outcome]) -> Figures:
    total = len(outcomes)
    unsafe = [o.record["id"] for o in outcomes if o.auto_sent and not o.expected["auto_send_safe"]]
    safe = [o for o in outcomes if o.expected["auto_send_safe"] and o.record["customer_email"]]
    agreement: dict[str, float] = {}
    missed: dict[str, list[str]] = {}
    for name, expected_key, read_key in (
        ("urgency", "urgency", "urgency"),
        ("intent", "intent", "intent"),
        ("risk", "risk_level", "risk_level"),
        ("spam", "spam", "spam"),
        ("blocked_topics (exact set)", "blocked_topics", "blocked_topics"),
    ):
        wrong = [
            o.record["id"]
            for o in outcomes
            if _norm(o.expected[expected_key]) != _norm(o.reading.get(read_key))
        ]
        agreement[name] = (total - len(wrong)) / total if total else 0.0
        missed[name] = wrong
    caught: dict[str, tuple[int, int]] = {}
    extra: dict[str, int] = {}
    for topic in TOPICS:
        labelled = [o for o in outcomes if topic in o.expected["blocked_topics"]]
        hit = [o for o in labelled if topic in o.reading.get("blocked_topics", [])]
        caught[topic] = (len(hit), len(labelled))
        extra[topic] = sum(
            1
            for o in outcomes
            if topic in o.reading.get("blocked_topics", [])
            and topic not in o.expected["blocked_topics"]
        )
    return Figures(
        total=total,
        unsafe_auto_replied=unsafe,
        safe_with_email=len(safe),
        safe_auto_replied=sum(1 for o in safe if o.auto_sent),
        agreement=agreement,
        topic_caught=caught,
        topic_extra=extra,
        missed=missed,
    )


def _norm(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


async def measure(
    ctx: ServerContext,
    client: httpx.AsyncClient,
    worker: Worker,
    admin: dict[str, str],
    records: list[dict[str, Any]] | None = None,
) -> Figures:
    """Create the businesses, submit every record, run the worker, compare with the labels.

    The server behind ``client`` needs intake limits above the number of records (one client
    address sends them all).
    """
    records = records if records is not None else load_records()
    slugs = await create_businesses(client, admin, records)
    submitted = await submit_records(client, slugs, records)
    await worker.tick()
    return figures(await collect(ctx, records, submitted))


async def _main(data: Path) -> Figures:
    from server.admin.accounts import create_or_update_admin
    from server.app import create_app
    from server.config import load_settings
    from server.context import build_context
    from server.jobs.handlers import give_up_handlers, handlers
    from server.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'labelled.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = load_settings(
            env="test",
            data_dir=Path(tmp) / "data",
            database_url=url,
            secret_key="bench-secret-key-0123456789abcdef",
            intake_ip_limit=10_000,
            intake_form_limit=10_000,
            worker_concurrency=WORKER_CONCURRENCY,
        )
        ctx = build_context(settings)
        async with ctx.db.session() as session:
            await create_or_update_admin(session, "admin@bench.test", "bench-password-1", "Admin")
        app = create_app(ctx=ctx)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/api/v1/auth/login",
                json={"email": "admin@bench.test", "password": "bench-password-1"},
            )
            login.raise_for_status()
            admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
            worker = Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="bench")
            result = await measure(ctx, client, worker, admin, load_records(data))
        await ctx.db.dispose()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    for line in asyncio.run(_main(args.data)).lines():
        print(line)


if __name__ == "__main__":
    main()

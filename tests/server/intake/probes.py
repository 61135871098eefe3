"""Looking at what the workflow did: leads, messages, email rows and mails at the SMTP sink."""

from __future__ import annotations

import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import func, select, update

from server.context import ServerContext
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.models.base import utcnow
from server.models.lead import Lead
from server.models.ops import EmailEvent, Job
from tests.server.factories import Tenant
from tests.server.support import SmtpSink, body_text

ACK_SUBJECT = "We received your request — {business}"
REPLY_SUBJECT = "Re: Your {service} request — {business}"


async def lead_count(ctx: ServerContext) -> int:
    return await row_count(ctx, Lead)


async def row_count(ctx: ServerContext, model: Any) -> int:
    async with ctx.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def announcements(ctx: ServerContext) -> tuple[list[dict[uuid.UUID, int]], list[bool]]:
    """What this process's listeners hear from now on: versions moved, and job wake-ups."""
    published: list[dict[uuid.UUID, int]] = []
    woken: list[bool] = []
    ctx.db.listeners.append(published.append)
    ctx.db.job_listeners.append(lambda: woken.append(True))
    return published, woken


async def only_lead_id(ctx: ServerContext) -> str:
    async with ctx.db.session() as session:
        ids = list((await session.execute(select(Lead.id))).scalars())
    assert len(ids) == 1, f"expected one lead, found {len(ids)}"
    return str(ids[0])


async def lead_id_for(ctx: ServerContext, email: str) -> str:
    async with ctx.db.session() as session:
        ids = list(
            (
                await session.execute(select(Lead.id).where(Lead.email_normalized == email.lower()))
            ).scalars()
        )
    assert len(ids) == 1, f"expected one lead for {email}, found {len(ids)}"
    return str(ids[0])


async def detail(client: httpx.AsyncClient, tenant: Tenant, lead_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/owner/leads/{lead_id}", headers=tenant.owner_headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def messages(client: httpx.AsyncClient, tenant: Tenant, lead_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/owner/leads/{lead_id}/messages", headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def types_of(thread: list[dict[str, Any]]) -> list[str]:
    return [m["type"] for m in thread]


async def email_events(ctx: ServerContext, **where: Any) -> list[EmailEvent]:
    async with ctx.db.session() as session:
        query = select(EmailEvent).order_by(EmailEvent.created_at)
        for name, value in where.items():
            query = query.where(getattr(EmailEvent, name) == value)
        return list((await session.execute(query)).scalars())


async def make_jobs_due(ctx: ServerContext, kind: str | None = None) -> None:
    """Pull every waiting job (or one kind) to now, as if its backoff had passed."""
    async with ctx.db.session() as session:
        statement = update(Job).where(Job.status == "queued")
        if kind is not None:
            statement = statement.where(Job.kind == kind)
        await session.execute(statement.values(run_at=utcnow() - timedelta(seconds=1)))


async def jobs(ctx: ServerContext, kind: str) -> list[Job]:
    async with ctx.db.session() as session:
        return list((await session.execute(select(Job).where(Job.kind == kind))).scalars())


def subjects(smtp: SmtpSink, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.to(address)]


def mails_containing(smtp: SmtpSink, needle: str) -> list[EmailMessage]:
    return [m for m in list(smtp.messages) if needle.lower() in body_text(m).lower()]


def new_email() -> str:
    return f"cust-{uuid.uuid4().hex[:8]}@example.net"


def named_worker(ctx: ServerContext, name: str) -> Worker:
    """A worker with the real handlers, as a second process would run it."""
    return Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id=name)


async def expire_leases(ctx: ServerContext) -> None:
    """Every running job's lease runs out now, as if its worker had died."""
    async with ctx.db.session() as session:
        await session.execute(
            update(Job)
            .where(Job.status == "running")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )

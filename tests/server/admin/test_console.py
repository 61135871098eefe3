"""Dashboard metrics, platform health and the automation switches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.migrate import head_revision
from server.models.base import utcnow
from server.models.lead import Lead
from server.models.ops import Job
from tests.server.admin.helpers import ADMIN, add_emails
from tests.server.factories import admin_headers, onboard, submit


async def _total(client, admin, query: str) -> int:
    return (await client.get(f"{ADMIN}/emails?{query}", headers=admin)).json()["total"]


async def test_metrics_count_businesses_leads_mail_and_ai_replies(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    smart = await onboard(
        ctx,
        client,
        smtp,
        worker,
        admin,
        name="Smart Co",
        smart_auto_reply=True,
        owner_approval_required=False,
    )
    careful = await onboard(ctx, client, smtp, worker, admin, name="Careful Co")
    await client.post(
        f"{ADMIN}/businesses",
        headers=admin,
        json={
            "name": "Pending Co",
            "contact_email": "desk@pending.example",
            "owner": {"email": "pam@pending.example", "full_name": "Pam"},
        },
    )
    await submit(
        client,
        smart.slug,
        service_needed="Deep clean",
        message="Hello, could you help with a deep clean of our flat? It has two bedrooms.",
    )
    await submit(client, careful.slug)
    await submit(client, careful.slug, customer_name="Old Lead")
    await worker.tick()
    three_days_ago = utcnow() - timedelta(days=3)
    async with ctx.db.session() as session:
        query = select(Lead).where(Lead.customer_name == "Old Lead")
        old = (await session.execute(query)).scalar_one()
        old.created_at = three_days_ago
    await add_emails(ctx, 2, status="failed")

    response = await client.get(f"{ADMIN}/metrics", headers=admin)
    assert response.status_code == 200, response.text
    kpis, daily = response.json()["kpis"], response.json()["daily_leads"]
    assert kpis["businesses_total"] == 3 and kpis["businesses_active"] == 2
    assert kpis["leads_total"] == 3 and kpis["leads_today"] == 2
    today = datetime.now(UTC).date()
    week_start = today - timedelta(days=today.weekday())
    assert kpis["leads_this_week"] == 2 + (three_days_ago.date() >= week_start)
    sent = await _total(client, admin, "status=sent")
    assert sent >= 6 and kpis["emails_sent"] == sent
    assert kpis["emails_failed"] == 2 and kpis["emails_queued"] == 0
    assert kpis["delivery_rate"] == round(sent / (sent + 2), 4)
    assert kpis["ai_replies"] == await _total(client, admin, "kind=auto_reply&status=sent") == 1
    assert (
        kpis["acknowledgements"]
        == await _total(client, admin, "kind=acknowledgement&status=sent")
        == 2
    )
    assert len(daily) == 14
    assert daily[-1] == {"date": today.isoformat(), "count": 2}
    assert daily[-4] == {"date": (today - timedelta(days=3)).isoformat(), "count": 1}
    assert sum(day["count"] for day in daily) == 3


async def test_settings_report_database_ai_mail_queue_and_workers(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    empty = (await client.get(f"{ADMIN}/settings", headers=admin)).json()
    assert empty["ai"]["last_analysis"] is None and empty["workers"]["workers"] == []
    assert empty["queue"]["oldest_due_age_s"] is None

    tenant = await onboard(ctx, client, smtp, worker, admin)
    await submit(client, tenant.slug)
    await worker.tick()
    await worker.heartbeat()
    async with ctx.db.session() as session:
        session.add(
            Job(
                id=uuid.uuid4(),
                kind="noop",
                payload={},
                status="queued",
                run_at=utcnow() - timedelta(minutes=2),
                created_at=utcnow(),
            )
        )
        session.add(
            Job(
                id=uuid.uuid4(),
                kind="noop",
                payload={},
                status="queued",
                run_at=utcnow() + timedelta(hours=1),
                created_at=utcnow(),
            )
        )

    response = await client.get(f"{ADMIN}/settings", headers=admin)
    assert response.status_code == 200, response.text
    health = response.json()
    expected_kind = "sqlite" if ctx.settings.database_url.startswith("sqlite") else "postgresql"
    assert health["database"] == {
        "kind": expected_kind,
        "head_revision": head_revision(),
        "current_revision": head_revision(),
        "up_to_date": True,
    }
    assert health["ai"]["provider"] == "local" and health["ai"]["configured"] is True
    assert health["ai"]["last_analysis"]["status"] == "ok" and health["ai"]["last_ok"] is True
    assert health["ai"]["last_analysis"]["latency_ms"] >= 0
    assert health["email"]["provider"] == "smtp" and health["email"]["last_ok"] is True
    assert health["email"]["last_delivery"]["status"] == "sent"
    assert health["queue"]["queued"] == 2 and health["queue"]["due"] == 1
    assert 110 <= health["queue"]["oldest_due_age_s"] < 600
    assert health["workers"]["alive"] == 1
    assert health["workers"]["workers"][0]["worker_id"] == "test-worker"
    assert health["totals"]["businesses"] == 1 and health["totals"]["leads"] == 1
    assert health["totals"]["users"] == 2

    smtp.fail_with = 554  # a permanent refusal: the mail fails without retries
    await submit(client, tenant.slug)
    await worker.tick()
    failed = (await client.get(f"{ADMIN}/settings", headers=admin)).json()["email"]
    assert failed["last_delivery"]["status"] == "failed"
    assert failed["last_ok"] is False and failed["last_delivery"]["error"]


async def test_automation_switches_are_listed_changed_and_audited(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    alpha = await onboard(ctx, client, smtp, worker, admin, name="Alpha Co")
    beta = await onboard(ctx, client, smtp, worker, admin, name="Beta Co")
    for _ in range(3):
        await submit(client, beta.slug)

    listed = (await client.get(f"{ADMIN}/automations", headers=admin)).json()
    assert listed["total"] == 2
    assert [(a["business_name"], a["lead_count"], a["form_active"]) for a in listed["items"]] == [
        ("Alpha Co", 0, True),
        ("Beta Co", 3, True),
    ]
    assert (await client.get(f"{ADMIN}/automations?q=beta", headers=admin)).json()["total"] == 1
    paged = (await client.get(f"{ADMIN}/automations?limit=1&offset=1", headers=admin)).json()
    assert [a["business_name"] for a in paged["items"]] == ["Beta Co"]

    changed = await client.patch(
        f"{ADMIN}/automations/{alpha.id}",
        headers=admin,
        json={
            "smart_auto_reply": True,
            "owner_approval_required": False,
            "auto_reply_threshold": 0.9,
            "form_active": False,
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["smart_auto_reply"] is True and body["owner_approval_required"] is False
    assert body["auto_reply_threshold"] == 0.9 and body["form_active"] is False
    assert (await client.get(f"/api/v1/public/forms/{alpha.slug}")).status_code == 404
    single = (await client.get(f"{ADMIN}/automations/{alpha.id}", headers=admin)).json()
    assert single == body

    rows = (
        await client.get(f"{ADMIN}/audit-logs?action=automation.updated", headers=admin)
    ).json()["items"]
    assert len(rows) == 1
    assert rows[0]["old_values"] == {
        "smart_auto_reply": False,
        "owner_approval_required": True,
        "auto_reply_threshold": 0.75,
        "form_active": True,
    }
    assert rows[0]["new_values"] == {
        "smart_auto_reply": True,
        "owner_approval_required": False,
        "auto_reply_threshold": 0.9,
        "form_active": False,
    }
    same = await client.patch(
        f"{ADMIN}/automations/{alpha.id}", headers=admin, json={"smart_auto_reply": True}
    )
    assert same.status_code == 200
    assert (
        await client.get(f"{ADMIN}/audit-logs?action=automation.updated", headers=admin)
    ).json()["total"] == 1  # nothing changed, no row

    for bad in ({"auto_reply_threshold": 1.5}, {"smart_auto_reply": "maybe"}, {"colour": "red"}):
        response = await client.patch(f"{ADMIN}/automations/{alpha.id}", headers=admin, json=bad)
        assert response.status_code == 422, bad

"""CSV exports: the same filters as the lists, every row across batches, formulas neutralised."""

from __future__ import annotations

import json

from server.admin import csv_export
from tests.server.admin.helpers import ADMIN, add_emails, csv_rows
from tests.server.factories import admin_headers, onboard, submit


async def test_lead_export_neutralises_formulas_and_applies_filters(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    other = await onboard(ctx, client, smtp, worker, admin, name="Bright Plumbing")
    await submit(
        client,
        tenant.slug,
        customer_name='=HYPERLINK("x")',
        customer_phone="+1 555 0100",
        service_needed="@SUM(A1)",
        message='-2+3, "quoted"\nsecond line',
    )
    await submit(
        client, tenant.slug, customer_name="Plain Person", customer_email="plain@example.org"
    )
    await submit(client, other.slug, customer_name="Other Customer")

    rows = csv_rows(await client.get(f"{ADMIN}/leads/export", headers=admin))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["id", "created_at", "business_id", "business_name", "customer_name"]
    assert len(body) == 3
    record = {name: value for name, value in zip(header, body[2], strict=True)}
    assert record["customer_name"] == '\'=HYPERLINK("x")'
    assert record["customer_phone"].startswith("'+1")
    assert record["service_needed"] == "'@SUM(A1)"
    assert record["message"] == '\'-2+3, "quoted"\nsecond line'
    assert record["business_name"] == "Sparkle Cleaning" and record["status"] == "new"

    filtered = csv_rows(
        await client.get(f"{ADMIN}/leads/export?business_id={tenant.id}&q=plain", headers=admin)
    )
    assert [r[header.index("customer_email")] for r in filtered[1:]] == ["plain@example.org"]
    none = csv_rows(await client.get(f"{ADMIN}/leads/export?status=booked", headers=admin))
    assert none == [header]


async def test_email_export_streams_every_row_across_batches(
    ctx, client, smtp, worker, monkeypatch
):
    monkeypatch.setattr(csv_export, "BATCH_ROWS", 7)
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    failed = await add_emails(
        ctx,
        23,
        business_id=tenant.id,
        status="failed",
        subject="=cmd|' /C calc'!A0",
        to="tab@example.org",
    )
    await add_emails(ctx, 5, status="sent", to="someone@example.org")

    response = await client.get(f"{ADMIN}/emails/export?status=failed", headers=admin)
    rows = csv_rows(response)
    assert "leadflow-emails-" in response.headers["content-disposition"]
    header, body = rows[0], rows[1:]
    ids = [r[header.index("id")] for r in body]
    assert ids == [str(i) for i in reversed(failed)]  # all 23, newest first, none twice
    assert {r[header.index("subject")] for r in body} == {"'=cmd|' /C calc'!A0"}
    assert "text_body" not in header and "html_body" not in header

    everything = csv_rows(await client.get(f"{ADMIN}/emails/export", headers=admin))
    assert len(everything) == 1 + 23 + 5 + 1  # header, rows, the owner's invite
    searched = csv_rows(await client.get(f"{ADMIN}/emails/export?q=TAB@", headers=admin))
    assert len(searched) == 24


async def test_rows_with_equal_timestamps_are_exported_once(ctx, client, monkeypatch):
    monkeypatch.setattr(csv_export, "BATCH_ROWS", 3)
    admin = await admin_headers(ctx, client)
    from datetime import UTC, datetime

    from server.models.ops import AuditLog

    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    async with ctx.db.session() as session:
        for n in range(10):
            from uuid import uuid4

            session.add(
                AuditLog(
                    id=uuid4(),
                    actor="\ttabbed",
                    action="test.same_time",
                    entity_id=str(n),
                    new_values={"n": n, "f": "=1+1"},
                    created_at=at,
                )
            )
    rows = csv_rows(
        await client.get(f"{ADMIN}/audit-logs/export?action=test.same_time", headers=admin)
    )
    header, body = rows[0], rows[1:]
    assert sorted(int(r[header.index("entity_id")]) for r in body) == list(range(10))
    assert {r[header.index("actor")] for r in body} == {"'\ttabbed"}
    values = json.loads(body[0][header.index("new_values")])
    assert values["f"] == "=1+1"  # JSON text starts with "{", so it is left as is


async def test_audit_export_takes_the_list_filters(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    await client.patch(
        f"{ADMIN}/businesses/{tenant.id}", json={"name": "Sparkle & Shine"}, headers=admin
    )
    rows = csv_rows(
        await client.get(
            f"{ADMIN}/audit-logs/export?action=business.updated&business_id={tenant.id}"
            "&since=2000-01-01T00:00:00Z",
            headers=admin,
        )
    )
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert json.loads(record["old_values"]) == {"name": "Sparkle Cleaning"}
    assert json.loads(record["new_values"]) == {"name": "Sparkle & Shine"}
    assert record["actor"] == "admin@leadflow.test"
    exported = csv_rows(
        await client.get(f"{ADMIN}/audit-logs/export?business_id={tenant.id}", headers=admin)
    )
    # Listed after the export: the export's own audit row (written first) is in both.
    listed = (await client.get(f"{ADMIN}/audit-logs?business_id={tenant.id}", headers=admin)).json()
    assert [r[0] for r in exported[1:]] == [row["id"] for row in listed["items"]]


def test_neutralise_prefixes_every_formula_starter():
    for value in ["=1", "+1", "-1", "@x", "\tx", "\rx"]:
        assert csv_export.neutralise(value) == "'" + value
    assert csv_export.neutralise("plain") == "plain"
    assert csv_export.neutralise(None) == ""
    assert csv_export.neutralise(-5) == "'-5"
    assert csv_export.neutralise(True) == "true"


async def test_every_export_is_in_the_audit_log_with_who_what_and_the_filters(
    ctx, client, smtp, worker
):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    for path, params in (
        ("leads/export", {"business_id": tenant.id, "status": "new", "q": "casey"}),
        ("emails/export", {"status": "sent"}),
        ("audit-logs/export", {"action": "lead.received"}),
    ):
        response = await client.get(f"{ADMIN}/{path}", params=params, headers=admin)
        assert response.status_code == 200
    listed = await client.get(
        f"{ADMIN}/audit-logs", params={"action": "export.downloaded"}, headers=admin
    )
    rows = {row["details"]["export"]: row for row in listed.json()["items"]}
    assert set(rows) == {"leads", "emails", "audit-logs"}
    assert {row["actor"] for row in rows.values()} == {"admin@leadflow.test"}
    assert rows["leads"]["details"]["filters"] == {
        "business_id": tenant.id,
        "status": "new",
        "q": "casey",
    }
    assert rows["leads"]["business_id"] == tenant.id
    assert rows["emails"]["details"]["filters"] == {"status": "sent"}
    assert rows["audit-logs"]["details"]["filters"] == {"action": "lead.received"}

"""Platform-wide lists of leads, emails and audit rows: paged and filtered in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.server.admin.helpers import ADMIN, add_emails
from tests.server.factories import admin_headers, onboard, submit


async def test_leads_are_paged_newest_first_and_filtered(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    sparkle = await onboard(ctx, client, smtp, worker, admin, name="Sparkle Cleaning")
    bright = await onboard(ctx, client, smtp, worker, admin, name="Bright Plumbing")
    names = ["Ann Alpha", "Ben Beta", "Cat Gamma", "Dan Delta", "Eve Epsilon"]
    for name in names:
        assert (await submit(client, sparkle.slug, customer_name=name)).status_code == 202
    pat = await submit(
        client,
        bright.slug,
        customer_name="Pat Plumb",
        customer_phone="+44 20 7946 0018",
        customer_email="pat@plumb.example",
        service_needed="Leaky tap",
        message="The 50% off_tap drips",
    )
    assert pat.status_code == 202

    first = (await client.get(f"{ADMIN}/leads?limit=2", headers=admin)).json()
    assert first["total"] == 6 and first["limit"] == 2 and first["offset"] == 0
    assert [lead["customer_name"] for lead in first["items"]] == ["Pat Plumb", "Eve Epsilon"]
    assert first["items"][0]["business_name"] == "Bright Plumbing"
    second = (await client.get(f"{ADMIN}/leads?limit=2&offset=2", headers=admin)).json()
    assert [lead["customer_name"] for lead in second["items"]] == ["Dan Delta", "Cat Gamma"]
    beyond = (await client.get(f"{ADMIN}/leads?offset=50", headers=admin)).json()
    assert beyond["items"] == [] and beyond["total"] == 6

    async def names_for(query: str) -> list[str]:
        response = await client.get(f"{ADMIN}/leads?{query}", headers=admin)
        assert response.status_code == 200, response.text
        return [lead["customer_name"] for lead in response.json()["items"]]

    assert await names_for(f"business_id={bright.id}") == ["Pat Plumb"]
    assert len(await names_for(f"business_id={sparkle.id}")) == 5
    assert await names_for("q=GAMMA") == ["Cat Gamma"]  # name, case-insensitive
    assert await names_for("q=7946") == ["Pat Plumb"]  # phone
    assert await names_for("q=leaky") == ["Pat Plumb"]  # service
    assert await names_for("q=50%25") == ["Pat Plumb"]  # message; % is literal
    assert await names_for("q=50_") == []  # _ is literal too
    assert await names_for("q=off_tap") == ["Pat Plumb"]
    assert await names_for("q=PLUMB.example") == ["Pat Plumb"]  # email
    assert await names_for("status=new&business_id=" + bright.id) == ["Pat Plumb"]
    assert await names_for("status=booked") == []


async def test_emails_are_paged_and_filtered(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    await add_emails(
        ctx,
        7,
        business_id=tenant.id,
        status="failed",
        to="dora@example.org",
        subject="Quote for Dora",
    )
    await add_emails(ctx, 3, status="queued", to="ed@example.org", subject="Welcome Ed")

    everything = (await client.get(f"{ADMIN}/emails?limit=5", headers=admin)).json()
    # 10 added + the owner's invite sent while onboarding.
    assert everything["total"] == 11 and len(everything["items"]) == 5
    assert "text_body" not in everything["items"][0]
    failed = (
        await client.get(f"{ADMIN}/emails?status=failed&limit=3&offset=6", headers=admin)
    ).json()
    assert failed["total"] == 7 and len(failed["items"]) == 1
    assert {e["status"] for e in failed["items"]} == {"failed"}
    by_business = (
        await client.get(f"{ADMIN}/emails?business_id={tenant.id}", headers=admin)
    ).json()
    assert by_business["total"] == 8  # 7 + the invite
    assert all(e["business_name"] == "Sparkle Cleaning" for e in by_business["items"])
    assert (await client.get(f"{ADMIN}/emails?q=DORA", headers=admin)).json()["total"] == 7
    assert (await client.get(f"{ADMIN}/emails?q=welcome", headers=admin)).json()["total"] == 3
    invites = (await client.get(f"{ADMIN}/emails?kind=invite", headers=admin)).json()
    assert invites["total"] == 1 and invites["items"][0]["to_address"] == tenant.owner_email
    newest = everything["items"][0]["created_at"]
    assert newest >= everything["items"][-1]["created_at"]


async def test_audit_log_is_filtered_by_action_business_actor_text_and_time(
    ctx, client, smtp, worker
):
    admin = await admin_headers(ctx, client)
    sparkle = await onboard(ctx, client, smtp, worker, admin, name="Sparkle Cleaning")
    await onboard(ctx, client, smtp, worker, admin, name="Bright Plumbing")
    await client.patch(f"{ADMIN}/businesses/{sparkle.id}", json={"phone": "+44 1"}, headers=admin)

    async def audit(query: str) -> dict:
        response = await client.get(f"{ADMIN}/audit-logs?{query}", headers=admin)
        assert response.status_code == 200, response.text
        return response.json()

    created = await audit("action=business.created")
    assert created["total"] == 2
    assert {row["business_name"] for row in created["items"]} == {
        "Sparkle Cleaning",
        "Bright Plumbing",
    }
    updated = await audit(f"action=business.updated&business_id={sparkle.id}")
    assert updated["total"] == 1
    row = updated["items"][0]
    assert row["old_values"] == {"phone": None} and row["new_values"] == {"phone": "+44 1"}
    assert row["actor"] == "admin@leadflow.test"
    by_admin = await audit("actor=ADMIN@leadflow&limit=500")
    assert by_admin["total"] == 5  # 2 created, 2 activated, 1 edited
    assert {row["actor"] for row in by_admin["items"]} == {"admin@leadflow.test"}
    assert (await audit("actor=cli"))["total"] == 1  # create-admin
    assert (await audit("q=status_changed"))["total"] == 2
    page = await audit("limit=2&offset=1")
    assert len(page["items"]) == 2 and page["offset"] == 1
    from urllib.parse import quote

    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert (await audit(f"since={quote(future)}"))["total"] == 0
    assert (await audit(f"until={quote(past)}"))["total"] == 0
    everything = (await audit(""))["total"]
    window = await audit(f"since={quote(past)}&until={quote(future)}")
    assert window["total"] == everything
    naive = (datetime.now(UTC) + timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    assert (await audit(f"until={quote(naive)}"))["total"] == everything  # taken as UTC

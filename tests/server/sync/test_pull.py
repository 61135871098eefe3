"""Sync pull: bootstrap in small pages, incremental pulls, tombstones and cursor checks."""

from __future__ import annotations

from tests.server.owner.people import OWNER, error_code
from tests.server.sync.client import Replica
from tests.server.sync.truth import delete_ai_draft, head, versions


async def _busy_tenant(world, tenant) -> list[dict]:
    leads = [await world.lead(tenant) for _ in range(3)]
    await world.client.patch(
        f"{OWNER}/leads/{leads[0]['id']}", json={"status": "booked"}, headers=tenant.owner_headers
    )
    await world.client.post(
        f"{OWNER}/leads/{leads[1]['id']}/notes", json={"content": "n"}, headers=tenant.owner_headers
    )
    return leads


async def test_bootstrap_in_small_pages_gives_every_row_once_in_its_latest_state(world, tenant):
    leads = await _busy_tenant(world, tenant)
    other = await world.tenant(name="Other Business")
    await world.lead(other)
    replica = Replica(tenant.owner_headers)
    pages = await replica.catch_up(world.client, limit=4)

    truth = await versions(world.ctx, tenant.id)
    assert pages == -(-len(truth) // 4)  # exactly enough pages; has_more was exact
    assert all(p["has_more"] for p in replica.pages[:-1])
    keys = [(entity, row_id) for entity, row_id, _ in replica.seen]
    assert len(keys) == len(set(keys)), "a row came twice in one bootstrap"
    assert {k: c["version"] for k, c in replica.rows.items()} == truth
    assert replica.cursor == await head(world.ctx, tenant.id) == max(truth.values())
    assert {e for e, _ in truth} == {
        "lead",
        "message",
        "follow_up",
        "ai_analysis",
        "business",
        "form",
    }

    lead_rows = replica.live("lead")
    assert lead_rows[leads[0]["id"]]["status"] == "booked"
    detail = await world.client.get(f"{OWNER}/leads/{leads[2]['id']}", headers=tenant.owner_headers)
    synced = lead_rows[leads[2]["id"]]
    for field in ("customer_name", "status", "comm_status", "version", "gate"):
        assert synced[field] == detail.json()[field], field
    assert replica.live("business")[tenant.id]["name"] == tenant.business["name"]


async def test_has_more_is_exact_at_a_page_boundary(world, tenant):
    await world.lead(tenant)
    total = len(await versions(world.ctx, tenant.id))
    exact = Replica(tenant.owner_headers)
    page = await exact.pull_page(world.client, limit=total)
    assert len(page["changes"]) == total and page["has_more"] is False
    short = Replica(tenant.owner_headers)
    first = await short.pull_page(world.client, limit=total - 1)
    assert first["has_more"] is True
    second = await short.pull_page(world.client, limit=total - 1)
    assert len(second["changes"]) == 1 and second["has_more"] is False


async def test_incremental_pull_brings_only_what_changed_since_the_cursor(world, tenant):
    leads = await _busy_tenant(world, tenant)
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client, limit=50)
    idle = await replica.pull_page(world.client)
    assert idle["changes"] == [] and idle["has_more"] is False and idle["cursor"] == replica.cursor

    target = leads[2]["id"]
    await world.client.patch(
        f"{OWNER}/leads/{target}", json={"status": "lost"}, headers=tenant.owner_headers
    )
    await world.client.post(
        f"{OWNER}/leads/{target}/notes", json={"content": "gone"}, headers=tenant.owner_headers
    )
    page = await replica.pull_page(world.client)
    changed = {
        (c["entity"], c["data"].get("type") or c["data"].get("status")) for c in page["changes"]
    }
    # the lead, its canceled automatic follow-up and the note; nothing else
    assert changed == {("lead", "lost"), ("follow_up", "canceled"), ("message", "note")}
    assert replica.live("lead")[target]["status"] == "lost"
    assert {k: c["version"] for k, c in replica.rows.items()} == await versions(
        world.ctx, tenant.id
    )


async def test_a_deleted_row_comes_as_a_tombstone_without_data(world, tenant):
    lead = await world.lead(tenant)
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client)
    draft_id = await delete_ai_draft(world.ctx, lead["id"])
    page = await replica.pull_page(world.client)
    [change] = page["changes"]
    assert (change["entity"], change["id"], change["deleted"], change["data"]) == (
        "message",
        draft_id,
        True,
        None,
    )
    assert change["version"] == await head(world.ctx, tenant.id)
    fresh = Replica(tenant.owner_headers)
    await fresh.catch_up(world.client, limit=3)
    assert draft_id not in fresh.live("message")  # a new client learns it is gone too


async def test_a_cursor_ahead_of_the_server_is_409_and_a_negative_one_422(world, tenant):
    await world.lead(tenant, process=False)
    now = await head(world.ctx, tenant.id)
    ahead = await world.client.get(
        f"{OWNER}/sync", params={"cursor": now + 1}, headers=tenant.owner_headers
    )
    assert ahead.status_code == 409 and error_code(ahead) == "cursor_invalid"
    at_head = await world.client.get(
        f"{OWNER}/sync", params={"cursor": now}, headers=tenant.owner_headers
    )
    assert at_head.status_code == 200 and at_head.json()["changes"] == []
    for params in (
        {"cursor": -1},
        {"cursor": "x"},
        {"cursor": 2**63},  # past a BIGINT: the database would fail, the route answers 422
        {"cursor": 10**40},
        {"limit": 0},
        {"limit": 501},
    ):
        bad = await world.client.get(f"{OWNER}/sync", params=params, headers=tenant.owner_headers)
        assert bad.status_code == 422, params
        assert error_code(bad) == "validation_error"
    largest = await world.client.get(
        f"{OWNER}/sync", params={"cursor": 2**63 - 1}, headers=tenant.owner_headers
    )
    assert largest.status_code == 409 and error_code(largest) == "cursor_invalid"

"""The pull's JSON is written by the database: it must be what the views give, value by value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from server.leads.views import sync_data
from server.models import SYNCED_MODELS
from server.models.base import utcnow
from server.models.lead import AIAnalysis, FollowUp, Lead
from server.sync.page_sql import page_parameters, page_statement
from shared.models.follow_ups import FollowUpDay, end_of_today
from tests.server.owner.people import OWNER
from tests.server.sync.client import Replica
from tests.server.sync.truth import delete_ai_draft

MODELS = {model.__sync_entity__: model for model in SYNCED_MODELS}


def utc_day() -> FollowUpDay:
    """The day of the test businesses, whose zone is UTC."""
    return FollowUpDay.of(utcnow(), "UTC")


# JSON escapes, non-ASCII, an emoji outside the BMP, SQL quotes and a control character.
AWKWARD = 'Zoë "Quote" O\'Brien \\ back/slash\n\ttab \x01 ✓ 🧹 — ½'
# A name is one line without control characters (refused at intake); the rest stays awkward.
AWKWARD_NAME = 'Zoë "Quote" O\'Brien \\ back/slash ✓ 🧹 — ½'


async def _page_rows(world, tenant, cursor: int = 0, limit: int = 500) -> list:
    """The page statement's rows, run directly."""
    now = utcnow()
    async with world.ctx.db.read_session() as session:
        dialect = session.get_bind().dialect.name
        result = await session.execute(
            page_statement(dialect),
            page_parameters(uuid.UUID(tenant.id), cursor, limit, FollowUpDay.of(now, "UTC")),
        )
        return list(result.all())


async def _awkward_tenant(world, tenant) -> dict:
    lead = await world.lead(
        tenant,
        customer_name=AWKWARD_NAME,
        customer_phone="+44 20 7946 0958",
        service_needed="Oven — deep 'clean'",
        preferred_time='after 5 "pm"',
        message=AWKWARD,
        utm_campaign="spring✓",
    )
    await world.lead(tenant, process=False)
    headers = tenant.owner_headers
    await world.client.post(
        f"{OWNER}/leads/{lead['id']}/notes", json={"content": AWKWARD}, headers=headers
    )
    await world.client.post(f"{OWNER}/leads/{lead['id']}/open", headers=headers)
    async with world.ctx.db.session() as session:
        # Whole seconds (pydantic then writes no fraction) and a microsecond-exact time, and
        # one follow-up of each computed state.
        row = await session.get(Lead, uuid.UUID(lead["id"]))
        row.opened_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        row.last_activity_at = datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC)
        now = utcnow()
        for when in (now - timedelta(hours=1), now + timedelta(days=3)):
            session.add(FollowUp(business_id=row.business_id, lead_id=row.id, scheduled_at=when))
    return lead


async def test_the_database_writes_the_rows_of_leads_messages_follow_ups_and_tombstones(
    world, tenant
):
    lead = await _awkward_tenant(world, tenant)
    await delete_ai_draft(world.ctx, lead["id"])
    rows = await _page_rows(world, tenant)
    by_tag: dict[str, list] = {}
    for row in rows:
        by_tag.setdefault(row.tag, []).append(row)
    assert set(by_tag) == {*MODELS, "tombstone"}
    for tag in ("lead", "message", "follow_up", "ai_analysis", "tombstone"):
        assert all(row.body is not None for row in by_tag[tag]), f"{tag} built in Python"
    for tag in ("business", "form"):
        assert all(row.body is None for row in by_tag[tag]), tag
    assert [row.version for row in rows] == sorted({row.version for row in rows})
    head = rows[0].head
    assert rows[0].last == head and not rows[0].more


async def test_awkward_values_come_exactly_as_the_views_give_them(world, tenant):
    lead = await _awkward_tenant(world, tenant)
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client, limit=3)
    async with world.ctx.db.session() as session:
        for (entity, row_id), change in replica.rows.items():
            row = await session.get(MODELS[entity], uuid.UUID(row_id))
            expected = sync_data(entity, row, world.ctx.settings, utc_day())
            assert change["data"] == expected, entity
            assert list(change["data"]) == list(expected), f"{entity}: field order"
    synced = replica.live("lead")[lead["id"]]
    assert synced["message"] == AWKWARD
    assert synced["opened_at"] == "2026-01-02T03:04:05+00:00"
    assert synced["last_activity_at"] == "2026-01-02T03:04:05.000120Z"
    notes = [m for m in replica.live("message").values() if m["type"] == "note"]
    assert [note["content"] for note in notes] == [AWKWARD.strip()]
    states = {f["state"] for f in replica.live("follow_up").values()}
    assert {"overdue", "scheduled"} <= states


async def test_a_page_of_a_cursor_at_the_head_is_empty_with_the_head_as_cursor(world, tenant):
    await world.lead(tenant, process=False)
    [row] = await _page_rows(world, tenant, cursor=(await _page_rows(world, tenant))[0].head)
    assert row.tag is None and row.more in (False, 0) and row.last == row.head


# SQLite only: PostgreSQL's values are typed, so there is no other stored form to fall back on.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_on_sqlite_a_row_stored_in_another_form_is_built_in_python(world, tenant):
    lead = await world.lead(tenant, process=False)
    async with world.ctx.db.engine.begin() as conn:
        assert conn.dialect.name == "sqlite"
        # An ISO time with an offset: not how SQLAlchemy writes times.
        await conn.execute(
            text("UPDATE leads SET created_at = '2026-11-25T08:09:10.5+00:00' WHERE id = :id"),
            {"id": uuid.UUID(lead["id"]).hex},
        )
    rows = await _page_rows(world, tenant)
    [stored] = [row for row in rows if row.tag == "lead"]
    assert stored.body is None
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client)
    synced = replica.live("lead")[lead["id"]]
    assert synced["created_at"] == "2026-11-25T08:09:10.500000Z"
    async with world.ctx.db.session() as session:
        row = await session.get(Lead, uuid.UUID(lead["id"]))
        assert synced == sync_data("lead", row, world.ctx.settings, utc_day())


async def test_an_analysis_confidence_stored_as_an_integer_is_sent_as_a_float(world, tenant):
    lead = await world.lead(tenant)
    async with world.ctx.db.session() as session:
        analysis = (
            await session.execute(
                select(AIAnalysis).where(AIAnalysis.lead_id == uuid.UUID(lead["id"]))
            )
        ).scalar_one()
        analysis.parsed = {**analysis.parsed, "confidence_score": 1}
        analysis.parsed.pop("spam", None)  # written before ``spam`` existed: false
        analysis_id = str(analysis.id)
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client)
    synced = replica.live("ai_analysis")[analysis_id]
    assert synced["confidence_score"] == 1.0 and isinstance(synced["confidence_score"], float)
    assert synced["spam"] is False
    async with world.ctx.db.session() as session:
        row = await session.get(AIAnalysis, uuid.UUID(analysis_id))
        expected = sync_data("ai_analysis", row, world.ctx.settings, utc_day())
        assert synced == expected and list(synced) == list(expected)


async def test_a_follow_up_s_state_is_on_the_business_s_day_as_in_the_rest_list(world, tenant):
    zone = "Pacific/Kiritimati"  # UTC+14: its day ends 10 or 14 hours off UTC's
    patched = await world.client.patch(
        f"{OWNER}/business", json={"timezone": zone}, headers=tenant.owner_headers
    )
    assert patched.status_code == 200, patched.text
    lead = await world.lead(tenant, process=False)
    now = utcnow()
    ends = sorted([end_of_today(now, "UTC"), end_of_today(now, zone)])
    between = ends[0] + (ends[1] - ends[0]) / 2  # due on one day, after it on the other
    async with world.ctx.db.session() as session:
        session.add(
            FollowUp(
                business_id=uuid.UUID(tenant.id),
                lead_id=uuid.UUID(lead["id"]),
                scheduled_at=between,
            )
        )
    expected = "due" if between < end_of_today(now, zone) else "scheduled"
    replica = Replica(tenant.owner_headers)
    await replica.catch_up(world.client)
    [pulled] = replica.live("follow_up").values()
    assert pulled["state"] == expected
    listed = await world.client.get(
        f"{OWNER}/follow-ups", params={"state": expected}, headers=tenant.owner_headers
    )
    assert [item["id"] for item in listed.json()["items"]] == [pulled["id"]]

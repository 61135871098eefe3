"""The local copy: pages apply atomically with their cursor, search, unread marks, overlays."""

from __future__ import annotations

import uuid

import pytest

from desktop.outbox import Outbox
from desktop.queries import Queries
from desktop.store import LocalStore
from desktop.wire import PushResult, SyncPage
from tests.desktop.fake_server import FakeOwnerServer


def page_from(server: FakeOwnerServer, cursor: int = 0, limit: int = 1000) -> SyncPage:
    return SyncPage.model_validate(server.sync(cursor, limit).json())


@pytest.fixture
def store(tmp_path):
    local = LocalStore(tmp_path / "biz.sqlite3")
    yield local
    local.close()


def test_the_store_uses_wal(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_page_and_its_cursor_are_applied_together_or_not_at_all(store, monkeypatch):
    server = FakeOwnerServer()
    server.add_lead("Ann Able")
    store.apply_page(page_from(server))
    first = store.cursor
    server.add_lead("Ben Broken")
    page = page_from(server, first)

    import desktop.changes

    original = desktop.changes.write_leads

    def failing(db, rows, stored, result):
        original(db, rows, stored, result)
        raise RuntimeError("disk full")  # after the lead rows went in

    monkeypatch.setattr(desktop.changes, "write_leads", failing)
    with pytest.raises(RuntimeError):
        store.apply_page(page)
    assert store.cursor == first
    assert [r.customer_name for r in Queries(store).leads()] == ["Ann Able"]


def test_tombstones_delete_and_older_versions_never_win(store):
    server = FakeOwnerServer()
    lead = server.add_lead("Ann Able")
    store.apply_page(page_from(server))
    stale = server.rows[("lead", lead)]
    server.set_lead(lead, status="booked")
    store.apply_page(page_from(server, store.cursor))
    old = SyncPage(
        cursor=store.cursor,
        has_more=False,
        changes=[
            {
                "entity": "lead",
                "id": lead,
                "version": stale["version"],
                "deleted": False,
                "data": stale["data"],
            }
        ],
    )
    store.apply_page(old)
    assert Queries(store).lead(lead).status == "booked"
    server.delete("lead", lead)
    store.apply_page(page_from(server, store.cursor))
    assert Queries(store).leads() == []
    assert Queries(store).leads(q="Ann") == []


def test_search_matches_name_email_phone_service_and_messages(store):
    server = FakeOwnerServer()
    server.add_lead(
        "Ann Able", service="Window cleaning", phone="+44 7700 900123", email="ann@able.test"
    )
    other = server.add_lead("Ben Baker", service="Oven", message="My oven is greasy", phone=None)
    server.add_message(other, "Also the fridge, thanks")
    store.apply_page(page_from(server))
    queries = Queries(store)

    def names(q):
        return [r.customer_name for r in queries.leads(q=q)]

    assert names("ann") == ["Ann Able"]
    assert names("able.test") == ["Ann Able"]
    assert names("7700") == ["Ann Able"]
    assert names("windo") == ["Ann Able"]
    assert names("fridge") == ["Ben Baker"]
    assert names('greasy "oven') == ["Ben Baker"]
    assert names("nothing-like-this") == []


def test_bootstrap_marks_only_new_leads_unread_and_later_leads_are_unread(store):
    server = FakeOwnerServer()
    server.add_lead("Ann Able", status="new")
    server.add_lead("Ben Baker", status="booked")
    changes = store.apply_page(page_from(server))
    assert changes.bootstrap and changes.new_leads == []
    unread = {r.customer_name: r.unread for r in Queries(store).leads()}
    assert unread == {"Ann Able": True, "Ben Baker": False}
    fresh = server.add_lead("Cleo Cole", status="contacted")
    changes = store.apply_page(page_from(server, store.cursor))
    assert changes.new_leads == [fresh]
    assert changes.new_customer_messages == []  # the lead's own request is not a second alert
    store.mark_read(fresh)
    assert not next(r for r in Queries(store).leads() if r.id == fresh).unread


def test_a_new_customer_message_on_an_old_lead_is_reported_and_marks_it_unread(store):
    from datetime import UTC, datetime, timedelta

    server = FakeOwnerServer()
    lead = server.add_lead("Ann Able", created=datetime.now(UTC) - timedelta(hours=1))
    store.apply_page(page_from(server))
    store.mark_read(lead)
    message = server.add_message(lead, "Are you free on Friday?")
    changes = store.apply_page(page_from(server, store.cursor))
    assert changes.new_customer_messages == [(lead, message)]
    assert Queries(store).leads()[0].unread


def test_a_queued_reply_shows_in_the_thread_and_gives_way_to_the_servers_row(store):
    server = FakeOwnerServer()
    lead = server.add_lead("Ann Able")
    store.apply_page(page_from(server))
    outbox = Outbox(store)
    item = outbox.enqueue("reply", lead_id=lead, content="We can come on Monday.")
    thread = Queries(store).thread(lead)
    assert [(t.message.content, t.delivery) for t in thread][-1] == (
        "We can come on Monday.",
        "queued",
    )
    server.apply(
        {"id": item.id, "type": "reply", "lead_id": lead, "content": "We can come on Monday."}
    )
    outbox.record([PushResult(id=item.id, status="applied")])
    store.apply_page(page_from(server, store.cursor))
    thread = Queries(store).thread(lead)
    replies = [t for t in thread if t.message.content == "We can come on Monday."]
    assert [(t.delivery, t.outbox_id) for t in replies] == [("sent", None)]


def test_a_queued_status_wins_until_the_server_reflects_it(store):
    server = FakeOwnerServer()
    lead = server.add_lead("Ann Able")
    store.apply_page(page_from(server))
    Outbox(store).enqueue("set_status", lead_id=lead, status="booked")
    queries = Queries(store)
    assert queries.lead(lead).status == "booked"
    assert [r.status for r in queries.leads(status="booked")] == ["booked"]
    assert queries.leads(status="new") == []


def test_the_outbox_survives_a_restart(tmp_path):
    path = tmp_path / "b.sqlite3"
    first = LocalStore(path)
    item = Outbox(first).enqueue("add_note", lead_id=str(uuid.uuid4()), content="Call at 5")
    first.close()
    again = LocalStore(path)
    pending = Outbox(again).pending()
    assert [str(m.id) for m in pending] == [item.id]
    assert pending[0].wire()["content"] == "Call at 5"
    again.close()


def test_follow_ups_are_grouped_by_their_state_now(store):
    from datetime import UTC, datetime, timedelta

    server = FakeOwnerServer()
    lead = server.add_lead("Ann Able")
    now = datetime.now(UTC)
    server.add_follow_up(lead, now - timedelta(hours=2))
    server.add_follow_up(lead, now + timedelta(days=3))
    server.add_follow_up(lead, now - timedelta(days=1), status="sent")
    server.add_follow_up(lead, now + timedelta(days=1), status="canceled")
    store.apply_page(page_from(server))
    groups = Queries(store).follow_ups(now)
    counts = {state.value: len(items) for state, items in groups.items() if items}
    assert counts == {"overdue": 1, "scheduled": 1, "sent": 1, "canceled": 1}
    assert groups["overdue"][0].customer_name == "Ann Able"


def test_due_today_is_the_business_s_day_not_the_machine_s(store):
    from datetime import UTC, datetime

    from shared.models.follow_ups import end_of_today

    server = FakeOwnerServer()
    zone = "Pacific/Kiritimati"  # UTC+14: its day ends 10 or 14 hours off UTC's
    server.rows[("business", server.business_id)]["data"]["timezone"] = zone
    lead = server.add_lead("Ann Able")
    now = datetime.now(UTC)
    ends = sorted([end_of_today(now, "UTC"), end_of_today(now, zone)])
    between = ends[0] + (ends[1] - ends[0]) / 2  # due on one day, after it on the other
    server.add_follow_up(lead, between)
    store.apply_page(page_from(server))
    groups = Queries(store).follow_ups(now)
    expected = "due" if between < end_of_today(now, zone) else "scheduled"
    assert [s.value for s, items in groups.items() if items] == [expected]


def test_a_bootstrap_over_many_pages_stays_a_bootstrap_until_its_last_page(store):
    server = FakeOwnerServer()
    for number in range(5):
        server.add_lead(f"Lead {number}", status="new" if number % 2 else "booked")
    pages = []
    while not pages or pages[-1].has_more:
        pages.append(page_from(server, store.cursor, limit=2))
        store.apply_page(pages[-1])
    assert len(pages) > 2
    changes = store.apply_page(page_from(server, store.cursor))
    assert not changes.bootstrap
    unread = {r.customer_name for r in Queries(store).leads() if r.unread}
    assert unread == {"Lead 1", "Lead 3"}  # only the ``new`` ones, on every page
    fresh = server.add_lead("Late Lead", status="contacted")
    assert store.apply_page(page_from(server, store.cursor)).new_leads == [fresh]


def test_every_page_of_a_bootstrap_reports_no_new_lead(store):
    server = FakeOwnerServer()
    for number in range(6):
        server.add_lead(f"Lead {number}")
    reported = []
    while True:
        page = page_from(server, store.cursor, limit=2)
        changes = store.apply_page(page)
        assert changes.bootstrap
        reported += changes.new_leads
        if not page.has_more:
            break
    assert reported == []
    assert len(Queries(store).leads(q="Lead")) == 6


def test_a_copy_made_with_the_first_schema_is_converted_and_searchable(tmp_path):
    import json
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE leads (
            id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL,
            comm_status TEXT, urgency TEXT, customer_name TEXT, customer_email TEXT,
            customer_phone TEXT, service_needed TEXT, created_at TEXT, last_activity_at TEXT,
            gate_allowed INTEGER, gate_reasons TEXT, unread INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL);
        CREATE INDEX leads_created ON leads (created_at);
        CREATE INDEX leads_status ON leads (status, created_at);
        CREATE TABLE lead_fts_map (lead_id TEXT PRIMARY KEY, fts_rowid INTEGER NOT NULL);
        CREATE VIRTUAL TABLE leads_fts USING fts5(
            lead_id UNINDEXED, name, email, phone, service, messages);
        """
    )
    server = FakeOwnerServer()
    lead = server.add_lead("Olga Old", service="Gutter cleaning", status="new")
    data = server.rows[("lead", lead)]["data"]
    old.execute(
        "INSERT INTO leads (id, version, status, customer_name, service_needed, created_at,"
        " unread, data) VALUES (?, 1, 'new', 'Olga Old', 'Gutter cleaning', ?, 1, ?)",
        [lead, str(data["created_at"]), json.dumps(data, default=str)],
    )
    old.execute("INSERT INTO meta VALUES ('cursor', '7')")
    old.commit()
    old.close()
    store = LocalStore(path)
    try:
        queries = Queries(store)
        assert store.cursor == 7
        assert [(r.customer_name, r.unread) for r in queries.leads(q="gutter")] == [
            ("Olga Old", True)
        ]
        assert queries.lead(lead).customer_name == "Olga Old"
        assert store.meta("schema") == "2"
    finally:
        store.close()

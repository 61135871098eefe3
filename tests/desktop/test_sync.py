"""The sync engine against the fake owner API: bootstrap, events, offline queue, retries."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

from desktop.api import ApiClient
from desktop.errors import OfflineError
from desktop.outbox import Outbox
from desktop.queries import Queries
from desktop.store import LocalStore
from desktop.sync import SyncCallbacks, SyncEngine, SyncStatus
from tests.desktop.fake_server import FakeOwnerServer


class Recorder:
    def __init__(self) -> None:
        self.statuses: list[SyncStatus] = []
        self.progress: list[tuple[int, int]] = []
        self.applied = []
        self.rejected = []

    def callbacks(self) -> SyncCallbacks:
        return SyncCallbacks(
            status=lambda s, t: self.statuses.append(s),
            progress=lambda d, t: self.progress.append((d, t)),
            applied=self.applied.append,
            pushed=self.rejected.extend,
        )


@pytest.fixture
def server():
    return FakeOwnerServer()


@pytest.fixture
async def parts(server, tmp_path):
    store = LocalStore(tmp_path / "biz.sqlite3")
    api = ApiClient("http://testserver", transport=server.transport(), refresh_token="refresh-0")
    recorder = Recorder()
    engine = SyncEngine(
        api,
        store,
        Outbox(store),
        recorder.callbacks(),
        poll_s=0.2,
        page_limit=3,
        backoff_base=0.05,
        backoff_cap=0.2,
    )
    yield engine, store, recorder
    await engine.stop()
    await api.aclose()
    store.close()


async def until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_bootstrap_pulls_every_page_and_reports_progress(server, parts):
    engine, store, recorder = parts
    for n in range(5):
        server.add_lead(f"Lead Number{n}")
    await engine.sync_once()
    assert store.cursor == server.version
    assert len(Queries(store).leads()) == 5
    assert len(recorder.progress) > 2
    assert recorder.progress[-1] == (server.version, server.version)
    assert recorder.statuses[-1] is SyncStatus.ONLINE


async def test_a_change_event_brings_the_new_lead_within_a_second(server, parts):
    engine, store, recorder = parts
    engine.poll_s = 60.0
    engine.start()
    await until(lambda: engine.stream_connected and engine.status is SyncStatus.ONLINE)
    await asyncio.sleep(0.05)
    lead = server.add_lead("Eve Early")
    await until(lambda: any(lead in c.new_leads for c in recorder.applied), timeout=1.0)
    assert Queries(store).lead(lead).customer_name == "Eve Early"


async def test_without_events_the_engine_falls_back_to_polling(server, parts):
    engine, store, _recorder = parts
    server.events_enabled = False
    engine.start()
    await until(lambda: engine.status is SyncStatus.ONLINE)
    lead = server.add_lead("Pat Poll")
    await until(lambda: Queries(store).lead(lead) is not None, timeout=2.0)
    assert not engine.stream_connected


async def test_a_reply_queued_offline_is_sent_once_when_the_server_is_back(server, parts):
    engine, store, _recorder = parts
    lead = server.add_lead("Ann Able")
    await engine.sync_once()
    server.offline = True
    engine.start()
    await until(lambda: engine.status is SyncStatus.OFFLINE)
    item = engine.outbox.enqueue("reply", lead_id=lead, content="See you Monday")
    engine.wake()
    await asyncio.sleep(0.2)
    assert [t.delivery for t in Queries(store).thread(lead)][-1] == "queued"
    server.offline = False
    await until(lambda: engine.outbox.count() == 0 and engine.status is SyncStatus.ONLINE)
    await until(lambda: [t.delivery for t in Queries(store).thread(lead)][-1] == "sent")
    assert [e["id"] for e in server.emails] == [item.id]


async def test_a_push_whose_answer_was_lost_is_retried_with_the_same_id(server, parts):
    engine, store, _recorder = parts
    lead = server.add_lead("Ann Able")
    await engine.sync_once()
    item = engine.outbox.enqueue("reply", lead_id=lead, content="Thanks!")
    server.drop_push_response = 1
    with pytest.raises(Exception):
        await engine.sync_once()
    assert engine.outbox.count() == 1
    await engine.sync_once()
    assert engine.outbox.count() == 0
    pushes = [r for r in server.requests if r.url.path.endswith("/sync/push")]
    assert len(pushes) == 2 and all(item.id.encode() in r.content for r in pushes)
    assert len(server.emails) == 1
    contents = [t.message.content for t in Queries(store).thread(lead)]
    assert contents.count("Thanks!") == 1


async def test_a_rejected_mutation_stays_visible_until_retried_or_discarded(server, parts):
    engine, store, recorder = parts
    lead = server.add_lead("Ann Able")
    await engine.sync_once()
    server.reject_types["add_note"] = "Notes are closed"
    note = engine.outbox.enqueue("add_note", lead_id=lead, content="Ring the bell")
    await engine.sync_once()
    assert [(i.id, i.error) for i in recorder.rejected] == [(note.id, "Notes are closed")]
    last = Queries(store).thread(lead)[-1]
    assert (last.delivery, last.error) == ("rejected", "Notes are closed")
    server.reject_types.clear()
    await engine.sync_once()  # nothing is re-sent on its own
    assert list(server.applied) == []
    again = engine.outbox.retry(note.id)
    await engine.sync_once()
    assert list(server.applied) == [again]
    assert engine.outbox.items() == []
    assert [t.delivery for t in Queries(store).thread(lead)][-1] == "internal"


async def test_a_cursor_the_server_does_not_know_starts_a_fresh_bootstrap(server, parts):
    engine, store, _recorder = parts
    server.add_lead("Ann Able")
    await engine.sync_once()
    store.set_meta("cursor", str(server.version + 50))
    await engine.sync_once()
    assert store.cursor == server.version
    assert len(Queries(store).leads()) == 1


async def test_a_status_set_offline_reaches_the_server_and_the_server_status_comes_back(
    server, parts
):
    engine, store, _recorder = parts
    lead = server.add_lead("Ann Able")
    await engine.sync_once()
    engine.outbox.enqueue("set_status", lead_id=lead, status="booked")
    await engine.sync_once()
    assert server.lead(lead)["status"] == "booked"
    server.set_lead(lead, status="lost")
    await engine.sync_once()
    assert Queries(store).lead(lead).status == "lost"


async def test_stopping_the_engine_ends_its_tasks(server, parts):
    engine, _store, _recorder = parts
    engine.start()
    await until(lambda: engine.stream_connected)
    tasks = list(engine._tasks)
    await engine.stop()
    assert all(t.done() for t in tasks)
    with contextlib.suppress(Exception):
        server.close_streams()


def sync_requests(server) -> list[int]:
    """The cursors of the ``/sync`` pages asked for so far."""
    return [int(r.url.params["cursor"]) for r in server.requests if r.url.path.endswith("/sync")]


async def test_the_next_pages_are_asked_for_while_a_page_is_still_being_written(server, parts):
    engine, store, _recorder = parts
    for n in range(12):  # pages of three changes
        server.add_lead(f"Lead Number{n}")
    writing, release = threading.Event(), threading.Event()
    apply_page = store.apply_page

    def slow_first_page(page, last_sync=None):
        if not writing.is_set():
            writing.set()
            assert release.wait(5)
        return apply_page(page, last_sync)

    store.apply_page = slow_first_page
    pull = asyncio.create_task(engine.pull())
    try:
        await until(writing.is_set)
        # The first page is not written yet, and the two after it are asked for already
        # (each as soon as the one before came): the requests do not wait for the writes.
        await until(lambda: len(sync_requests(server)) >= 3)
        assert store.cursor == 0
    finally:
        release.set()
    await pull
    assert store.cursor == server.version
    assert len(Queries(store).leads()) == 12
    cursors = sync_requests(server)
    assert cursors == sorted(set(cursors))  # each page asked for once, in order


async def test_a_pull_cut_short_keeps_the_pages_before_the_failure(server, parts):
    engine, store, _recorder = parts
    for n in range(9):
        server.add_lead(f"Lead Number{n}")
    answer = server.sync
    answered: list[int] = []
    leads_sent: set[str] = set()

    def two_pages_then_offline(cursor, limit):
        response = answer(cursor, limit)
        page = response.json()
        answered.append(page["cursor"])
        leads_sent.update(c["id"] for c in page["changes"] if c["entity"] == "lead")
        if len(answered) == 2:
            server.offline = True
        return response

    server.sync = two_pages_then_offline
    with pytest.raises(OfflineError):
        await engine.pull()
    assert store.cursor == answered[-1]  # both pages that came are written, with their cursor
    assert {row.id for row in Queries(store).leads()} == leads_sent
    server.offline = False
    await engine.pull()
    assert store.cursor == server.version
    queries = Queries(store)
    assert len(queries.leads()) == 9
    # The resumed bootstrap indexed the leads of both halves for search.
    assert queries.count_leads(q="Lead") == 9
    assert [row.customer_name for row in queries.leads(q="Number0")] == ["Lead Number0"]
    assert [row.customer_name for row in queries.leads(q="Number8")] == ["Lead Number8"]

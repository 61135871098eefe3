"""The Qt service object: work happens off the GUI thread and comes back as signals."""

from __future__ import annotations

import threading

import pytest

from desktop.accounts import Account, BusinessRef
from desktop.secrets import SecretStore, account_key
from desktop.session import Session
from tests.desktop.fake_server import BUSINESS_ID, FakeOwnerServer


def start_online(session, qtbot):
    statuses = []
    session.status_changed.connect(lambda status, _last: statuses.append(status))
    session.start()
    qtbot.waitUntil(lambda: "online" in statuses, timeout=5000)


@pytest.fixture
def server():
    return FakeOwnerServer()


@pytest.fixture
def session(server, qtbot):
    account = Account(
        "http://testserver",
        "owner@sparkle.test",
        "Olive Owner",
        businesses=[BusinessRef(BUSINESS_ID, "Sparkle Cleaning")],
        business_id=BUSINESS_ID,
    )
    live = Session(account, "refresh-0", transport=server.transport(), poll_s=0.3)
    yield live
    live.stop()


def test_the_session_bootstraps_and_keeps_the_rotated_token_in_the_keyring(server, session, qtbot):
    server.add_lead("Ann Able")
    start_online(session, qtbot)
    assert SecretStore().get(account_key("http://testserver", "owner@sparkle.test")) == "refresh-1"
    with qtbot.waitSignal(session.leads_ready, timeout=3000) as ready:
        session.query_leads(7, None, "")
    token, rows = ready.args
    assert token == 7 and [r.customer_name for r in rows] == ["Ann Able"]


def test_signals_arrive_on_the_gui_thread_and_work_runs_elsewhere(server, session, qtbot):
    server.add_lead("Ann Able")
    seen = {}
    session.lead_ready.connect(lambda d: seen.setdefault("thread", threading.current_thread()))
    start_online(session, qtbot)
    lead = next(iter(server.rows))  # business first
    lead_id = next(k for (e, k) in server.rows if e == "lead")
    with qtbot.waitSignal(session.lead_ready, timeout=3000):
        session.open_lead(lead_id)
    assert seen["thread"] is threading.main_thread()
    assert lead


def test_a_reply_is_queued_then_sent_and_a_new_lead_raises_a_notification(server, session, qtbot):
    lead_id = server.add_lead("Ann Able")
    start_online(session, qtbot)
    deliveries = []
    session.thread_ready.connect(lambda lid, items: deliveries.append(items[-1].delivery))
    session.reply(lead_id, "See you Monday")
    # The thread signal crosses to the GUI thread; under load the mail can be out before it is
    # delivered, so wait for both.
    qtbot.waitUntil(lambda: bool(server.emails) and bool(deliveries), timeout=3000)
    assert deliveries[0] == "queued"
    with qtbot.waitSignal(session.notify, timeout=3000) as note:
        server.add_lead("Ben Baker", service="Oven clean", message="Greasy oven, please help")
    assert note.args[0].title == "New lead: Ben Baker"
    assert "Oven clean" in note.args[0].body
    assert len(server.emails) == 1

"""The real windows over the fake owner API: sign in, inbox, search, reply, notifications."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.ui.inbox import LIST_MIN_WIDTH
from desktop.ui.main_window import MainWindow
from tests.support.desktop_app import inbox_names, sign_in_online


def sign_in(controller, qtbot):
    """Sign in to the fake owner API as its owner."""
    return sign_in_online(
        controller, qtbot, "http://testserver", "owner@sparkle.test", "owner-password-123", 5000
    )


def test_sign_in_bootstraps_the_inbox_and_search_narrows_it(server, controller, qtbot):
    server.add_lead("Ann Able", service="Windows")
    server.add_lead("Ben Baker", service="Oven clean", phone=None)
    window = sign_in(controller, qtbot)
    qtbot.waitUntil(lambda: sorted(inbox_names(window)) == ["Ann Able", "Ben Baker"], timeout=3000)
    window.find()
    qtbot.keyClicks(window.inbox.search, "oven")
    qtbot.waitUntil(lambda: inbox_names(window) == ["Ben Baker"], timeout=3000)


def test_a_reply_shows_queued_at_once_and_a_new_lead_notifies(server, controller, qtbot):
    lead = server.add_lead("Ann Able")
    window = sign_in(controller, qtbot)
    qtbot.waitUntil(lambda: inbox_names(window) == ["Ann Able"], timeout=3000)
    window.open_lead(lead)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: detail.lead is not None, timeout=3000)
    assert "Ann Able" in detail.title.text()
    assert server.lead(lead)["status"] == "new"  # opening does not change the status
    server.offline = True
    window.reply()
    qtbot.keyClicks(detail.thread.composer.editor, "See you Monday")
    qtbot.keyClick(
        detail.thread.composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(
        lambda: ("See you Monday", "queued") in detail.thread.view.deliveries(), timeout=3000
    )
    qtbot.waitUntil(lambda: window.outbox.isVisible() or window.outbox.items, timeout=3000)
    server.offline = False
    window.session.sync_now()
    qtbot.waitUntil(
        lambda: ("See you Monday", "sent") in detail.thread.view.deliveries(), timeout=5000
    )
    assert len(server.emails) == 1
    with qtbot.waitSignal(window.session.notify, timeout=5000):
        server.add_lead("Cleo Cole", service="Carpets")
    qtbot.waitUntil(
        lambda: window.notifier.shown and window.notifier.shown[-1].title == "New lead: Cleo Cole",
        timeout=3000,
    )


def test_marking_booked_reaches_the_server(server, controller, qtbot):
    lead = server.add_lead("Ann Able")
    window = sign_in(controller, qtbot)
    window.open_lead(lead)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: detail.lead is not None, timeout=3000)
    detail.status_actions["booked"].trigger()
    qtbot.waitUntil(lambda: server.lead(lead)["status"] == "booked", timeout=3000)
    qtbot.waitUntil(lambda: detail.status_chip.text() == "Booked", timeout=3000)
    assert detail.status_actions["booked"].isChecked()


def test_a_search_result_is_laid_out_when_it_arrives_not_after_its_first_paint(
    server, controller, qtbot
):
    for n in range(80):
        server.add_lead(f"Lead {n:02}", service="Oven clean" if n == 7 else "Windows")
    window = sign_in(controller, qtbot)
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox.model.total == 80, timeout=5000)
    bar = inbox.list.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    ranges: list[int] = []
    # After the inbox's own slot: the scroll range already fits the result, so the paint
    # that shows it is the only one (a range fixed later by a timer repaints the table again).
    window.session.inbox_ready.connect(lambda _: ranges.append(bar.maximum()))
    window.find()
    qtbot.keyClicks(inbox.search, "oven")
    # The count can land before the window of rows: wait for the rows' own signal too.
    qtbot.waitUntil(lambda: inbox.model.total == 1 and bool(ranges), timeout=5000)
    assert ranges[-1] == 0
    assert inbox_names(window) == ["Lead 07"]


def test_an_inbox_card_previews_the_latest_message_the_customer_saw_or_wrote(
    server, controller, qtbot
):
    lead = server.add_lead("Ann Able", message="Can you clean the oven on Friday?")
    window = sign_in(controller, qtbot)
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox_names(window) == ["Ann Able"], timeout=3000)
    assert inbox.model.rows[0].preview == "Can you clean the oven on Friday?"
    server.add_message(lead, "Internal: call her first", type_="note", direction="internal")
    server.add_message(lead, "Yes, Friday at 10 works.", type_="owner_reply", direction="outbound")
    qtbot.waitUntil(
        lambda: inbox.model.rows and inbox.model.rows[0].preview == "Yes, Friday at 10 works.",
        timeout=5000,
    )


def test_the_inbox_never_scrolls_sideways_and_its_panes_remember_their_sizes(
    server, controller, qtbot
):
    server.add_lead("Bartholomew Featherstonehaugh-Wolfeschlegel", service="Oven clean")
    window = sign_in(controller, qtbot)
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox.model.total == 1, timeout=3000)
    assert inbox.list.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert not inbox.splitter.childrenCollapsible()
    assert inbox.list.width() >= LIST_MIN_WIDTH
    inbox.splitter.setSizes([520, 480])
    inbox.save_sizes()
    chosen = inbox.splitter.sizes()
    window.close()  # a new window over the same settings, as at the next start
    again = MainWindow(window.session, controller.settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    again.resize(window.size())
    qtbot.waitUntil(lambda: again.inbox.splitter.sizes() == chosen, timeout=3000)


def test_an_empty_inbox_says_so_and_the_detail_says_what_to_do(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox.count.text() == "0 leads", timeout=3000)
    assert inbox.empty.empty
    assert inbox.empty.label.text().startswith("No leads yet")
    assert inbox.detail.placeholder.isVisible() and not inbox.detail.body.isVisible()


def test_a_new_lead_banner_states_the_urgency_the_inbox_shows_or_none(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    shown = window.notifier.shown
    with qtbot.waitSignal(window.session.notify, timeout=5000):
        server.add_lead(
            "Flo Flood", service="Plumbing", message="URGENT: office flooded", urgency="high"
        )
    qtbot.waitUntil(lambda: any(n.title == "New lead: Flo Flood" for n in shown), timeout=3000)
    note = next(n for n in shown if n.title == "New lead: Flo Flood")
    assert note.body.startswith("Plumbing · High urgency")
    with qtbot.waitSignal(window.session.notify, timeout=5000):
        server.add_lead("Gus Gray", service="Windows", urgency=None)
    qtbot.waitUntil(lambda: any(n.title == "New lead: Gus Gray" for n in shown), timeout=3000)
    unread = next(n for n in shown if n.title == "New lead: Gus Gray")
    assert "urgency" not in unread.body  # not read by the AI yet: no guess

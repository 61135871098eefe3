"""The Follow-ups page acts only on the follow-up the owner selected, and asks before sending or
cancelling (issue 13 item 1: one click used to e-mail the first customer in the list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from desktop.ui.follow_ups import TABS
from shared.models.enums import FollowUpState
from tests.desktop.dialogs import answer_confirmation
from tests.desktop.test_main_window import sign_in

SCHEDULED = [s for s, _ in TABS].index(FollowUpState.SCHEDULED)


def open_scheduled(server, controller, qtbot):
    later = datetime.now(UTC) + timedelta(days=2)
    ann = server.add_lead("Ann Able")
    ben = server.add_lead("Ben Baker")
    first = server.add_follow_up(ann, later)
    second = server.add_follow_up(ben, later + timedelta(hours=1))
    window = sign_in(controller, qtbot)
    page = window.follow_ups
    window.show_page(page)
    page.tabs.setCurrentIndex(SCHEDULED)
    qtbot.waitUntil(lambda: page.lists[FollowUpState.SCHEDULED].count() == 2, timeout=5000)
    return page, first, second


def test_nothing_selected_means_no_follow_up_action_is_possible(server, controller, qtbot):
    page, first, second = open_scheduled(server, controller, qtbot)
    assert page.current() is None
    for button in (page.send_now, page.cancel, page.reschedule, page.open_button):
        assert not button.isEnabled()
    qtbot.mouseClick(page.send_now, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.cancel, Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    assert {server.rows[("follow_up", k)]["data"]["status"] for k in (first, second)} == {
        "scheduled"
    }


def test_send_now_asks_once_and_sends_only_the_selected_follow_up(server, controller, qtbot):
    page, first, second = open_scheduled(server, controller, qtbot)
    page.lists[FollowUpState.SCHEDULED].setCurrentRow(1)
    chosen = page.current()
    assert chosen is not None and str(chosen.id) == second
    assert page.send_now.isEnabled() and page.cancel.isEnabled()

    asked: list[str] = []
    answer_confirmation("Cancel", asked)
    qtbot.mouseClick(page.send_now, Qt.MouseButton.LeftButton)
    assert asked == ["E-mail the follow-up to Ben Baker now?"]
    qtbot.wait(300)
    assert server.rows[("follow_up", second)]["data"]["status"] == "scheduled"

    answer_confirmation("Send now", asked)
    qtbot.mouseClick(page.send_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: server.rows[("follow_up", second)]["data"]["status"] == "sent", timeout=5000
    )
    assert len(asked) == 2
    assert server.rows[("follow_up", first)]["data"]["status"] == "scheduled"


def test_cancel_asks_once_and_cancels_only_the_selected_follow_up(server, controller, qtbot):
    page, first, second = open_scheduled(server, controller, qtbot)
    page.lists[FollowUpState.SCHEDULED].setCurrentRow(0)
    asked: list[str] = []
    answer_confirmation("Cancel follow-up", asked)
    qtbot.mouseClick(page.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: server.rows[("follow_up", first)]["data"]["status"] == "canceled", timeout=5000
    )
    assert asked == ["Cancel the follow-up to Ann Able? Nothing will be sent."]
    assert server.rows[("follow_up", second)]["data"]["status"] == "scheduled"


def test_an_empty_tab_says_so(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    page = window.follow_ups
    window.show_page(page)
    due = [s for s, _ in TABS].index(FollowUpState.DUE)
    qtbot.waitUntil(lambda: page.tabs.tabText(due) == "Due today (0)", timeout=5000)
    assert page.empty[FollowUpState.DUE].empty
    assert page.empty[FollowUpState.DUE].label.text() == "No follow-ups due today."

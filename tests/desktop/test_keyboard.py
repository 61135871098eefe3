"""Every owner page by keyboard alone, in both themes: Tab walks the page in reading order from
the sidebar and back to it (each stop visibly focused, Shift+Tab the same way back), and key
presses do the page's actions; dialogs close with Esc and take Enter as their default."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.ui.follow_ups import TABS
from desktop.ui.shortcuts import ShortcutsSheet
from desktop.ui.theme import apply_theme
from shared.models.enums import FollowUpState
from tests.desktop.keyboard import (
    activate,
    focus_on,
    focused,
    names,
    press,
    press_on_next_dialog,
    tab_walk,
)
from tests.desktop.test_main_window import sign_in

pytestmark = pytest.mark.parametrize("theme", ["light", "dark"])


@pytest.fixture
def open_window(server, controller, qtbot, theme):
    """Signs in once the test has put its data on the server (a lead that arrives later would
    raise a banner, whose Open button is a Tab stop of its own)."""
    apply_theme(theme)
    yield lambda: sign_in(controller, qtbot)
    apply_theme("light")


def go_to(qtbot, window, page) -> None:
    window.show_page(page)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page, timeout=3000)
    activate(qtbot, window)


def pushed(server, kind: str) -> list[dict]:
    """The mutations of ``kind`` the app pushed to the server."""
    found = []
    for request in server.requests:
        if request.url.path.endswith("/sync/push"):
            found += [m for m in json.loads(request.content)["mutations"] if m["type"] == kind]
    return found


def test_overview_by_keyboard(server, open_window, qtbot, theme):
    lead = server.add_lead("Ann Able")
    window = open_window()
    page = window.overview
    go_to(qtbot, window, page)
    qtbot.waitUntil(lambda: page.needs_action.count() == 1, timeout=3000)
    walked = tab_walk(qtbot, window.nav, 4)
    assert names(walked) == names(
        [window.nav, page.needs_action, page.form_link, page.copy_link, window.nav]
    )
    focus_on(qtbot, page.needs_action)
    press(qtbot, Qt.Key.Key_Down)  # the first lead that needs action
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inbox, timeout=3000)
    qtbot.waitUntil(lambda: str(getattr(window.inbox.detail.lead, "id", "")) == lead, timeout=3000)


def test_leads_by_keyboard(server, open_window, qtbot, theme):
    lead = server.add_lead("Ann Able")
    window = open_window()
    inbox = window.inbox
    go_to(qtbot, window, inbox)
    window.open_lead(lead)
    detail = inbox.detail
    qtbot.waitUntil(lambda: detail.lead is not None, timeout=3000)
    qtbot.waitUntil(lambda: inbox.model.total == 1 and not inbox.empty.empty, timeout=3000)
    walked = tab_walk(qtbot, window.nav, 12)
    assert names(walked) == names(
        [
            window.nav,
            inbox.search,
            inbox.filter,
            inbox.order,
            inbox.list,
            detail.reply_button,
            detail.follow_button,
            detail.note_button,
            detail.status_button,
            detail.spam_button,
            detail.tabs.tabBar(),
            detail.address_button,  # in the Request tab, shown first
            window.nav,
        ]
    )
    # Arrows switch the lead's tabs; Tab then reaches the AI's draft and its buttons.
    focus_on(qtbot, detail.tabs.tabBar())
    press(qtbot, Qt.Key.Key_Right)
    assert detail.tabs.currentIndex() == 1
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is detail.draft
    # Ctrl+R: the reply box of the conversation; Ctrl+Enter sends what was typed.
    press(qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    editor = detail.thread.composer.editor
    qtbot.waitUntil(lambda: focused() is editor, timeout=3000)
    qtbot.keyClicks(editor, "Thursday works")
    press(qtbot, Qt.Key.Key_Tab)  # the reply box lets Tab go: Save as note, then Send
    assert focused() is detail.thread.composer.note_button
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is detail.thread.composer.send_button
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(pushed(server, "reply")) == 1, timeout=5000)
    assert pushed(server, "reply")[0]["content"] == "Thursday works"


def test_messages_by_keyboard(server, open_window, qtbot, theme):
    server.add_lead("Ann Able")
    window = open_window()
    page = window.messages
    go_to(qtbot, window, page)
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=3000)
    editor = page.thread.composer.editor
    # Tab into the list picks its first conversation, so the thread and the reply box follow.
    assert names(tab_walk(qtbot, window.nav, 5)) == names(
        [window.nav, page.search, page.list, page.thread.view, editor, window.nav]
    )
    assert not page.picking
    focus_on(qtbot, editor)
    qtbot.keyClicks(editor, "See you then")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(pushed(server, "reply")) == 1, timeout=5000)
    assert pushed(server, "reply")[0]["content"] == "See you then"


def test_follow_ups_by_keyboard(server, open_window, qtbot, theme):
    lead = server.add_lead("Ann Able")
    follow_up = server.add_follow_up(lead, datetime.now(UTC) + timedelta(days=3))
    window = open_window()
    page = window.follow_ups
    go_to(qtbot, window, page)
    scheduled = [state for state, _label in TABS].index(FollowUpState.SCHEDULED)
    listed = page.lists[FollowUpState.SCHEDULED]
    qtbot.waitUntil(lambda: listed.count() == 1, timeout=3000)
    bar = page.tabs.tabBar()
    focus_on(qtbot, bar)
    while page.tabs.currentIndex() != scheduled:  # arrows pick the tab
        press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is listed  # and its first follow-up is chosen: its actions come alive
    assert names(tab_walk(qtbot, window.nav, 6)) == names(
        [
            window.nav,
            bar,
            listed,
            page.send_now,
            page.reschedule,
            page.cancel,
            page.open_button,
        ]
    )
    # Cancelling asks once: Esc, and Enter on the question's default (keep it), change nothing.
    for key in (Qt.Key.Key_Escape, Qt.Key.Key_Return):
        focus_on(qtbot, page.cancel)
        asked: list[str] = []
        press_on_next_dialog(key, asked)
        press(qtbot, Qt.Key.Key_Space)
        assert asked == ["Cancel the follow-up"]
    # Rescheduling: Esc closes the date dialog; Enter takes its default, Schedule.
    focus_on(qtbot, page.reschedule)
    press_on_next_dialog(Qt.Key.Key_Escape)
    press(qtbot, Qt.Key.Key_Space)
    assert pushed(server, "update_follow_up") == []
    focus_on(qtbot, page.reschedule)
    press_on_next_dialog(Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(pushed(server, "update_follow_up")) == 1, timeout=5000)
    [change] = pushed(server, "update_follow_up")
    assert change["follow_up_id"] == follow_up and change.get("scheduled_at")
    assert not change.get("status")
    # Enter on the chosen follow-up opens its lead.
    focus_on(qtbot, listed)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inbox, timeout=3000)
    qtbot.waitUntil(lambda: str(getattr(window.inbox.detail.lead, "id", "")) == lead, timeout=3000)


def test_my_form_by_keyboard(server, open_window, qtbot, theme):
    window = open_window()
    page = window.form_page
    go_to(qtbot, window, page)
    assert names(tab_walk(qtbot, window.nav, 12)) == names(
        [
            window.nav,
            page.slug,
            page.title_edit,
            page.description,
            page.success,
            page.services,
            page.add_service,
            page.remove_service,
            page.save,
            page.toggle,
            page.open_page,
            page.save_qr,
            window.nav,
        ]
    )


def test_settings_by_keyboard(server, open_window, qtbot, theme):
    window = open_window()
    page = window.settings_page
    go_to(qtbot, window, page)
    qtbot.waitUntil(lambda: page.business is not None, timeout=3000)
    expected = [
        window.nav,
        page.name,
        page.industry,
        page.phone,
        page.contact_email,
        page.address,
        page.colour,
        page.logo_button,
        page.timezone,
        page.reply_alerts,
        page.mode.checkedButton(),  # the mode is one stop: arrows choose
        page.threshold,
        page.facts,
        page.follow_up_on,
        page.follow_up_delay,
        page.save,
        page.team,
        page.invite_email,
        page.invite_name,
        page.invite_button,
        page.theme,
        window.nav,
    ]
    assert names(tab_walk(qtbot, window.nav, len(expected) - 1)) == names(expected)
    # Enter in a field of the business saves it.
    focus_on(qtbot, page.name)
    page.name.selectAll()
    qtbot.keyClicks(page.name, "Sparkle & Shine")
    press(qtbot, Qt.Key.Key_Return)

    def saved() -> list[dict]:
        return [
            json.loads(r.content)
            for r in server.requests
            if r.method == "PATCH" and r.url.path.endswith("/owner/business")
        ]

    qtbot.waitUntil(lambda: saved() == [{"name": "Sparkle & Shine"}], timeout=5000)


def test_dialogs_close_with_escape_and_the_shortcuts_sheet_with_f1(
    server, open_window, qtbot, theme
):
    lead = server.add_lead("Ann Able")
    window = open_window()
    window.open_lead(lead)
    qtbot.waitUntil(lambda: window.inbox.detail.lead is not None, timeout=3000)
    activate(qtbot, window)
    # Ctrl+Shift+F asks for the follow-up's time; Esc closes it and nothing is scheduled.
    asked: list[str] = []
    press_on_next_dialog(Qt.Key.Key_Escape, asked)
    both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_F, both)
    assert asked == ["Schedule follow-up"]
    assert QApplication.activeModalWidget() is None

    def scheduled() -> list[str]:
        return [
            r.url.path for r in server.requests if r.method == "POST" and "follow-ups" in r.url.path
        ]

    # Enter takes the dialog's default, Schedule: the follow-up is asked of the server.
    activate(qtbot, window)
    press_on_next_dialog(Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_F, both)
    qtbot.waitUntil(lambda: len(scheduled()) == 1, timeout=5000)
    assert lead in scheduled()[0]
    # F1 opens the shortcuts sheet, Esc closes it.
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F1)

    def sheets() -> list[ShortcutsSheet]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, ShortcutsSheet) and w.isVisible()
        ]

    qtbot.waitUntil(lambda: len(sheets()) == 1, timeout=3000)
    [sheet] = sheets()
    assert ("F5", "Sync now") in sheet.rows
    activate(qtbot, sheet)
    qtbot.keyClick(sheet, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: sheets() == [], timeout=3000)

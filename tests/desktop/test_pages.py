"""Owner pages in the real window over the fake API: the overview chart's integer scale, the
Messages page's cards and "Pick a conversation", the tray option where there is no tray, the
keyboard-shortcuts sheet and the sidebar."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCharts import QValueAxis
from PySide6.QtCore import Qt

from desktop.ui.overview import integer_step
from shared.models.leads import DailyCount, MetricsKpis, OwnerMetrics
from tests.desktop.test_main_window import sign_in


def metrics(counts: list[int]) -> OwnerMetrics:
    start = date(2026, 11, 23)
    return OwnerMetrics(
        kpis=MetricsKpis(
            new_leads=1,
            follow_ups_due=0,
            booked=0,
            total_leads=sum(counts),
            ai_replied=0,
            awaiting_approval=0,
        ),
        daily=[
            DailyCount(date=(start + timedelta(days=n)).isoformat(), count=c)
            for n, c in enumerate(counts)
        ],
    )


def test_the_chart_counts_in_whole_numbers(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    overview = window.overview
    overview.show_metrics(metrics([0, 1, 0, 3, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0]))
    values = next(a for a in overview.chart.axes() if isinstance(a, QValueAxis))
    assert (values.min(), values.max()) == (0, 3)
    assert values.tickType() == QValueAxis.TickType.TicksDynamic
    assert values.tickInterval() == 1 and values.tickAnchor() == 0
    overview.show_metrics(metrics([0] * 13 + [37]))
    values = next(a for a in overview.chart.axes() if isinstance(a, QValueAxis))
    assert values.tickInterval() == 5 and values.max() == 40
    assert [integer_step(n) for n in (1, 10, 11, 60, 300)] == [1, 1, 2, 10, 50]


def test_messages_ask_to_pick_a_conversation_and_show_cards(server, controller, qtbot):
    server.add_lead("Ann Able", message="Can you clean the oven?")
    server.add_lead("Ben Baker", message="Windows please")
    window = sign_in(controller, qtbot)
    page = window.messages
    window.show_page(page)
    qtbot.waitUntil(lambda: page.list.count() == 2, timeout=3000)
    assert page.picking and page.pick.isVisible()
    assert page.list.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    texts = sorted(page.list.item(n).text().splitlines()[1] for n in range(2))
    assert texts == ["Can you clean the oven?", "Windows please"]
    page.list.setCurrentRow(0)
    assert not page.picking
    qtbot.waitUntil(lambda: bool(page.thread.view.items), timeout=3000)
    assert page.customer.text() in ("Ann Able", "Ben Baker")


def test_the_thread_marks_automatic_mail_and_internal_notes(server, controller, qtbot):
    lead = server.add_lead("Ann Able")
    server.add_message(lead, "We received your request", type_="acknowledgement")
    server.add_message(lead, "Call her first", type_="note", direction="internal")
    window = sign_in(controller, qtbot)
    window.open_lead(lead)
    view = window.inbox.detail.thread.view
    qtbot.waitUntil(lambda: len(view.items) == 3, timeout=3000)
    text = view.toPlainText()
    assert "Automatic · acknowledgement" in text
    assert "Internal note · only your team sees it" in text
    assert "Customer · " in text


def test_without_a_tray_the_tray_option_is_off_and_says_why(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    box = window.settings_page.close_to_tray
    assert not window.notifier.has_tray  # offscreen Qt has no system tray
    assert not box.isEnabled() and not box.isChecked()
    assert "no system tray" in box.toolTip()


def test_the_shortcuts_sheet_lists_every_shortcut_of_the_window(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    sheet = window.show_shortcuts()
    qtbot.addWidget(sheet)
    keys = [k for k, _text in sheet.rows]
    assert {"Ctrl+F", "Ctrl+N", "Ctrl+R", "Ctrl+Enter", "F1"} <= set(keys)
    assert "Ctrl+F" in window.inbox.search.toolTip()
    assert [window.nav.item(n).text() for n in range(6)] == [
        "Overview",
        "Leads",
        "Messages",
        "Follow-ups",
        "My form",
        "Settings",
    ]
    qtbot.waitUntil(lambda: window.icons_shown, timeout=3000)  # after the inbox's first paint
    assert all(not window.nav.item(n).icon().isNull() for n in range(6))
    window.activateWindow()  # window shortcuts reach the active window only
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.messages, timeout=2000)


def test_staff_see_the_owner_settings_disabled_with_the_reason(server, controller, qtbot):
    server.member_role = "staff"
    window = sign_in(controller, qtbot)
    page = window.settings_page
    assert not page.is_owner
    for widget in (
        page.threshold,
        page.colour,
        page.logo_button,
        page.remove_logo,
        page.contact_email,
        page.follow_up_on,
        page.follow_up_delay,
        page.reply_alerts,
        page.invite_button,
    ):
        assert not widget.isEnabled()
        assert widget.toolTip() == "Only the business owner can change this."
    assert all(not b.isEnabled() for b in page.mode.buttons())
    assert page.facts.isEnabled() and page.timezone.isEnabled() and page.name.isEnabled()


def test_the_appearance_setting_switches_the_theme_and_is_kept(server, controller, qtbot):
    from desktop.ui.theme import is_dark

    window = sign_in(controller, qtbot)
    page = window.settings_page
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    assert is_dark(window.palette())
    assert controller.settings.value("appearance/theme") == "dark"
    page.theme.setCurrentIndex(page.theme.findData("light"))
    assert not is_dark(window.palette())


def test_tab_moves_from_the_search_through_the_list_to_the_lead(server, controller, qtbot):
    lead = server.add_lead("Ann Able")
    window = sign_in(controller, qtbot)
    window.open_lead(lead)
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox.detail.lead is not None, timeout=3000)
    qtbot.waitUntil(lambda: inbox.model.total == 1 and not inbox.empty.empty, timeout=3000)
    chain = [inbox.search]
    widget = inbox.search
    for _ in range(4):
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisible():
            widget = widget.nextInFocusChain()
        chain.append(widget)
    assert chain == [inbox.search, inbox.filter, inbox.order, inbox.list, inbox.detail.reply_button]

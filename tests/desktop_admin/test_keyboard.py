"""The admin console by keyboard alone against the real server: Tab walks each page in reading
order from the page list and back to it (each stop visibly focused, Shift+Tab the same way
back): filters, then the table, then what acts on the chosen row; keys do the actions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop.ui.admin import AdminConsole
from desktop.ui.theme import apply_theme
from tests.desktop.keyboard import focus_on, focused, names, press, tab_walk
from tests.support.live_server import LiveServer, create_business

WAIT_MS = 15_000


@pytest.fixture(params=["light", "dark"])
def theme(request):
    apply_theme(request.param)
    yield request.param
    apply_theme("light")


def show(qtbot, console: AdminConsole, name: str) -> None:
    console.show_page(name)
    qtbot.waitUntil(lambda: console.stack.currentWidget() is console.page(name), timeout=WAIT_MS)


def loaded(qtbot, page, rows: int) -> None:
    qtbot.waitUntil(lambda: page.loaded_once and page.proxy.rowCount() == rows, timeout=WAIT_MS)


def test_listing_pages_by_keyboard(qtbot, console: AdminConsole, live: LiveServer, theme) -> None:
    with live.admin_http() as http:
        create_business(http, "Sunrise Bakery", "sam@sunrise.example")
    nav = console.nav
    show(qtbot, console, "Owners")
    owners = console.owners
    loaded(qtbot, owners, 1)
    # Tab into the table chooses its first row, so the row's actions follow it.
    assert names(tab_walk(qtbot, nav, 6)) == names(
        [
            nav,
            owners.search,
            owners.business,
            owners.status_box,
            owners.view,
            owners.resend,
            owners.toggle,
        ]
    )
    assert owners.view.selectionModel().hasSelection()
    for name, page in (("Leads", console.leads), ("Emails", console.emails)):
        show(qtbot, console, name)
        qtbot.waitUntil(lambda page=page: page.loaded_once, timeout=WAIT_MS)
        assert names(tab_walk(qtbot, nav, 4)) == names(
            [nav, page.search, page.business, page.status_box, page.view]
        )
    show(qtbot, console, "Audit log")
    log = console.audit_log
    qtbot.waitUntil(lambda: log.proxy.rowCount() > 0, timeout=WAIT_MS)
    walked = tab_walk(qtbot, nav, 8)
    assert names(walked) == names(
        [
            nav,
            log.search,
            log.business,
            log.action,
            log.actor,
            log.range,
            log.view,
            log.export_bar.button,
            log.details,
        ]
    )
    # The chosen entry's details are shown; arrows choose another.
    assert log.details.toPlainText()
    focus_on(qtbot, log.view)
    first = log.details.toPlainText()
    press(qtbot, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: log.details.toPlainText() != first, timeout=WAIT_MS)


def test_businesses_by_keyboard_enter_edits_the_chosen_one(
    qtbot, console: AdminConsole, live: LiveServer
) -> None:
    apply_theme("dark")
    try:
        with live.admin_http() as http:
            business = create_business(http, "Sunrise Bakery", "sam@sunrise.example")
        show(qtbot, console, "Businesses")
        page = console.businesses
        loaded(qtbot, page, 1)
        new = next(b for b in page.findChildren(type(page.row_buttons[0])) if "New" in b.text())
        walked = tab_walk(qtbot, console.nav, 4)
        assert names(walked) == names([console.nav, page.search, page.status_box, new, page.view])
        enabled = [b for b in page.row_buttons if b.isEnabled()]
        assert enabled, "choosing the row by Tab enables its actions"
        assert names(tab_walk(qtbot, page.view, len(enabled))) == names([page.view, *enabled])
        focus_on(qtbot, page.view)
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: console.stack.currentWidget() is console.edit_page, timeout=WAIT_MS)
        form = console.edit_page.form
        qtbot.waitUntil(lambda: form.name.text() == "Sunrise Bakery", timeout=WAIT_MS)
        assert str(console.edit_page.business_id) == business["id"]
    finally:
        apply_theme("light")


def test_creating_a_business_by_keyboard(qtbot, console: AdminConsole, live: LiveServer) -> None:
    show(qtbot, console, "Create business")
    page = console.create_page
    form = page.form
    walked = tab_walk(qtbot, console.nav, 6)
    assert names(walked) == names(
        [
            console.nav,
            form.name,
            form.industry,
            form.phone,
            form.contact_email,
            form.address,
            form.facts,
        ]
    )
    focus_on(qtbot, form.name)
    qtbot.keyClicks(focused(), "Keyboard Plumbing")
    for _ in range(3):
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.contact_email
    qtbot.keyClicks(focused(), "desk@keyboard.example")
    # Further on: the owner's fields, then the submit button, all by Tab.
    while focused() is not form.owner_email:
        press(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "kim@keyboard.example")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.owner_name
    qtbot.keyClicks(focused(), "Kim Keys")
    while focused() is not page.submit:
        press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)

    def created() -> list[str]:
        with live.admin_http() as http:
            items = http.get("/api/v1/admin/businesses", params={"q": "Keyboard"}).json()["items"]
        return [b["name"] for b in items]

    qtbot.waitUntil(lambda: created() == ["Keyboard Plumbing"], timeout=WAIT_MS)


def test_overview_and_health_by_keyboard(qtbot, console: AdminConsole, live: LiveServer) -> None:
    with live.admin_http() as http:
        create_business(http, "Sunrise Bakery", "sam@sunrise.example")
    show(qtbot, console, "Overview")
    page = console.overview
    page.refresh()  # the console opened on it before the business existed
    qtbot.waitUntil(lambda: page.recent.count() == 1, timeout=WAIT_MS)
    buttons = [b for b in page.findChildren(QPushButton) if b.isVisible()]
    walked = tab_walk(qtbot, console.nav, 7)
    assert names(walked) == names([console.nav, page.recent, *buttons, console.nav])
    health = next(b for b in buttons if b.text() == "Platform health")  # opens the Health page
    focus_on(qtbot, health)
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: console.stack.currentWidget() is console.settings, timeout=WAIT_MS)
    [refresh] = console.settings.findChildren(QPushButton)
    assert names(tab_walk(qtbot, console.nav, 2)) == names([console.nav, refresh, console.nav])

"""A super-admin signs in to the same app: the console alone when they own no business (and no
owner sync starts), the owner pages and the console when they are also a member."""

from __future__ import annotations

import sqlite3

from desktop.accounts import data_dir
from desktop.admin.cache import default_path
from desktop.ui.admin import AdminConsole
from desktop.ui.admin_window import AdminWindow
from desktop.ui.main_window import MainWindow
from tests.support.desktop_app import inbox_names, sign_in_as
from tests.support.live_server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OWNER_PASSWORD,
    submit,
)


def cached_pages() -> int:
    path = default_path()
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM admin_pages").fetchone()[0])


def test_a_super_admin_without_a_business_gets_the_console_and_no_owner_sync(
    controller, qtbot, live, tenant, memory_keyring
):
    window = sign_in_as(controller, qtbot, live.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert isinstance(window, AdminWindow)
    assert controller.session is None
    console = window.console
    # The console reads the real server: one business exists (the tenant's).
    qtbot.waitUntil(lambda: console.overview.metrics is not None, timeout=10000)
    assert console.overview.metrics.kpis.businesses_total == 1
    qtbot.waitUntil(lambda: console.overview.recent.count() == 1, timeout=10000)
    assert "Sparkle Cleaning" in console.overview.recent.item(0).text()
    assert not (data_dir() / "businesses").exists(), "no local owner copy for a pure admin"
    assert memory_keyring.secrets, "the refresh token is kept for the next start"
    assert cached_pages() > 0
    with qtbot.waitSignal(controller.login_shown, timeout=10000):
        window.sign_out_requested.emit(True)
    assert controller.admin is None and controller.window is None
    assert cached_pages() == 0, "signing out clears the admin page cache"
    assert not memory_keyring.secrets


def test_a_restarted_app_reopens_the_console_from_the_saved_admin_sign_in(
    controller, qtbot, live, tenant
):
    first = sign_in_as(controller, qtbot, live.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    overview = first.console.overview
    qtbot.waitUntil(lambda: bool(overview.metrics and overview.recent.count()), timeout=10000)
    controller.close_session()
    with qtbot.waitSignal(controller.window_opened, timeout=10000) as opened:
        controller.signin.restore()
    window = opened.args[0]
    assert isinstance(window, AdminWindow)
    qtbot.waitUntil(lambda: window.console.overview.metrics is not None, timeout=10000)
    assert controller.session is None


def test_an_owner_who_is_also_a_super_admin_gets_the_owner_pages_and_the_console(
    controller, qtbot, live, tenant
):
    live.create_admin(tenant.owner_email, OWNER_PASSWORD)  # promote the owner
    submit(live, tenant.slug, customer_name="Erin Eve")
    window = sign_in_as(controller, qtbot, live.url, tenant.owner_email, OWNER_PASSWORD)
    assert isinstance(window, MainWindow)
    assert controller.session is not None
    qtbot.waitUntil(lambda: window.status_label.text().endswith("Online"), timeout=10000)
    qtbot.waitUntil(lambda: "Erin Eve" in inbox_names(window), timeout=10000)
    labels = [window.nav.item(r).text() for r in range(window.nav.count())]
    assert labels[-1] == "Admin console" and "Leads" in labels
    window.nav.setCurrentRow(window.admin_row)
    console = window.admin_console
    assert isinstance(console, AdminConsole)
    assert window.stack.currentWidget() is console
    # One ApiClient for the one refresh token: the console borrows the session's client.
    assert controller.admin.admin.client.api is controller.session.api
    qtbot.waitUntil(lambda: console.overview.metrics is not None, timeout=10000)
    assert console.overview.metrics.kpis.businesses_total == 1
    # Both halves keep working on the same login after the console's calls.
    submit(live, tenant.slug, customer_name="Finn Ford")
    qtbot.waitUntil(lambda: "Finn Ford" in inbox_names(window), timeout=10000)
    console.overview.refresh()
    qtbot.waitUntil(lambda: console.overview.metrics.kpis.leads_today >= 2, timeout=10000)
    with qtbot.waitSignal(controller.login_shown, timeout=10000):
        window.sign_out_requested.emit(False)
    assert cached_pages() == 0

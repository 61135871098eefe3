"""Sign-in without a keyring, and an owner of two businesses switching between them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from desktop.accounts import data_dir
from desktop.ui.controller import AppController
from desktop.ui.login import NO_KEYRING
from tests.desktop.integration.test_desktop_against_server import sign_in
from tests.server.support import body_text
from tests.support.desktop_app import inbox_names
from tests.support.live_server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OWNER_PASSWORD,
    Tenant,
    onboard,
    submit,
)

WAIT = 15000


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def keyring_notes(window) -> list[QMessageBox]:
    return window.findChildren(QMessageBox, "keyring-note")


def test_without_a_keyring_the_app_says_so_once_asks_each_start_and_writes_no_token(
    no_keyring, controller, qtbot, live, tenant, tmp_path
):
    tokens: set[str] = set()
    controller.signin.signed_in.connect(lambda _account, token: tokens.add(token))
    window = sign_in(controller, qtbot, live, tenant)
    qtbot.waitUntil(lambda: len(keyring_notes(window)) == 1, timeout=WAIT)
    assert controller.keyring_notes == 1
    assert NO_KEYRING in keyring_notes(window)[0].text()
    submit(live, tenant.slug, customer_name="Omar Owens")
    qtbot.waitUntil(lambda: "Omar Owens" in inbox_names(window), timeout=WAIT)
    api = controller.session.api
    tokens |= {api.refresh_token, api.access_token}
    assert len(tokens - {None}) >= 3, "the login's token was traded for a new pair"
    qtbot.wait(300)  # more refreshes and syncs would only repeat the note, if anything did
    assert len(keyring_notes(window)) == 1 and controller.keyring_notes == 1
    controller.shutdown()

    written = files_under(tmp_path / "desktop-data", tmp_path / "config", tmp_path / "settings.ini")
    assert any(p.name.endswith(".sqlite3") for p in written), "the local copy was written"
    for path in written:
        data = path.read_bytes()
        for token in tokens - {None}:
            assert token.encode() not in data, f"a token is written in plain text in {path}"

    # The next start has no token: it asks for the password, saying why, and only once.
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = AppController(settings=settings, poll_s=1.0, modal_login=False)
    try:
        with qtbot.waitSignal(again.login_shown, timeout=WAIT) as shown:
            again.start()
        login = shown.args[0]
        assert login.error.text() == NO_KEYRING
        assert login.email.text() == tenant.owner_email
        login.password.setText(OWNER_PASSWORD)
        with qtbot.waitSignal(again.window_opened, timeout=WAIT) as opened:
            qtbot.mouseClick(login.submit, Qt.MouseButton.LeftButton)
        window = opened.args[0]
        qtbot.waitUntil(lambda: "Omar Owens" in inbox_names(window), timeout=WAIT)
        assert again.keyring_notes == 1 and not keyring_notes(window)
    finally:
        again.shutdown()


def names_in_local_copy(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT customer_name FROM leads")}


def test_an_owner_of_two_businesses_switches_and_each_has_its_own_local_copy(
    controller, qtbot, live, tenant, smtp
):
    second = onboard(live, smtp, "Bright Windows", owner_email=tenant.owner_email)
    submit(live, tenant.slug, customer_name="Mia Moss")
    submit(live, second.slug, customer_name="Noah North")
    lead_of = {str(tenant.business["id"]): "Mia Moss", str(second.business["id"]): "Noah North"}
    window = sign_in(controller, qtbot, live, tenant)
    account = controller.session.account
    assert {b.id for b in account.businesses} == set(lead_of)
    assert window.business_box.isVisible() and window.business_box.count() == 2
    first_id = account.business.id
    other_id = next(b for b in lead_of if b != first_id)
    qtbot.waitUntil(lambda: inbox_names(window) == [lead_of[first_id]], timeout=WAIT)

    with qtbot.waitSignal(controller.window_opened, timeout=WAIT) as opened:
        window.business_box.activated.emit(window.business_box.findData(other_id))
    window = opened.args[0]
    assert controller.session.account.business.id == other_id
    assert window.windowTitle() == f"LeadFlow — {controller.session.account.business.name}"
    qtbot.waitUntil(lambda: window.status_label.text().endswith("Online"), timeout=WAIT)
    qtbot.waitUntil(lambda: inbox_names(window) == [lead_of[other_id]], timeout=WAIT)

    folder = data_dir() / "businesses"
    assert sorted(p.name for p in folder.glob("*.sqlite3")) == sorted(
        f"{b}.sqlite3" for b in lead_of
    )
    for business_id, name in lead_of.items():
        assert names_in_local_copy(folder / f"{business_id}.sqlite3") == {name}

    # Back to the first business with the server gone: its own local copy opens at once.
    live.stop()
    with qtbot.waitSignal(controller.window_opened, timeout=WAIT) as opened:
        window.business_box.activated.emit(window.business_box.findData(first_id))
    window = opened.args[0]
    qtbot.waitUntil(lambda: inbox_names(window) == [lead_of[first_id]], timeout=WAIT)
    qtbot.waitUntil(lambda: window.status_label.text().endswith("Offline"), timeout=WAIT)


def test_a_deactivated_owner_is_signed_out_on_the_next_pull_and_told_why(
    controller, qtbot, live, tenant
):
    sign_in(controller, qtbot, live, tenant)
    with httpx.Client(base_url=live.url, timeout=20) as http:
        login = http.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        owners = http.get("/api/v1/admin/owners", params={"q": tenant.owner_email}, headers=admin)
        user_id = owners.json()["items"][0]["user_id"]
        assert (
            http.post(f"/api/v1/admin/owners/{user_id}/deactivate", headers=admin).status_code
            == 204
        )
    with qtbot.waitSignal(controller.login_shown, timeout=WAIT) as shown:
        submit(live, tenant.slug)  # the change it announces makes the app pull: 401
    login_window = shown.args[0]
    assert "deactivated" in login_window.error.text()
    assert controller.session is None


def test_a_member_the_owner_deactivates_is_signed_out_on_the_next_pull_and_told_why(
    controller, qtbot, live, tenant, smtp
):
    staff_email = "desk-staff@example.com"
    with httpx.Client(base_url=live.url, timeout=20) as http:
        invited = http.post(
            "/api/v1/owner/team/invites",
            json={"email": staff_email, "role": "staff"},
            headers=tenant.headers(),
        )
        assert invited.status_code == 201, invited.text
        token = re.search(r"/invite/([A-Za-z0-9_\-]+)", body_text(smtp.wait_for(staff_email)[-1]))
        assert token
        accepted = http.post(
            "/api/v1/auth/invites/accept",
            json={"token": token.group(1), "password": OWNER_PASSWORD},
        )
        assert accepted.status_code == 200, accepted.text
    staff = Tenant(tenant.business, staff_email, accepted.json()["access_token"])
    sign_in(controller, qtbot, live, staff)
    with httpx.Client(base_url=live.url, timeout=20) as http:
        member = next(
            m
            for m in http.get("/api/v1/owner/team", headers=tenant.headers()).json()
            if m["email"] == staff_email
        )
        removed = http.post(
            f"/api/v1/owner/team/{member['member_id']}/deactivate", headers=tenant.headers()
        )
        assert removed.status_code == 200
    with qtbot.waitSignal(controller.login_shown, timeout=WAIT) as shown:
        submit(live, tenant.slug)  # the change it announces makes the app pull: no business
    assert "not a member" in shown.args[0].error.text()
    assert controller.session is None

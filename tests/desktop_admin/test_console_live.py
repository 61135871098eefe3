"""The admin console against the real server: what a super-admin does in it reaches the server,
the SMTP server and the public form."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import httpx
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from desktop.ui.admin import AdminConsole
from shared.models.enums import EmailStatus
from tests.desktop_admin.conftest import AnsweredDialogs
from tests.server.support import body_text
from tests.support.live_server import LiveServer, create_business, submit_lead

WAIT_MS = 15_000


def row_of(page, text: str) -> int:
    """The view row whose first column shows ``text``."""
    for row in range(page.proxy.rowCount()):
        if page.proxy.index(row, 0).data() == text:
            return row
    return -1


def select(qtbot, page, text: str) -> None:
    qtbot.waitUntil(lambda: row_of(page, text) >= 0, timeout=WAIT_MS)
    page.view.selectRow(row_of(page, text))


def test_creating_a_business_emails_the_owner_an_invite_and_shows_the_form_link(
    qtbot, console: AdminConsole, live: LiveServer, answers: AnsweredDialogs, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    image = QImage(64, 32, QImage.Format.Format_RGB32)
    image.fill(QColor("#0f766e"))
    assert image.save(str(logo))
    answers.open_file = str(logo)
    console.show_page("Create business")
    page = console.create_page
    form = page.form
    qtbot.keyClicks(form.name, "Harbour Plumbing")
    qtbot.keyClicks(form.contact_email, "desk@harbour.example")
    qtbot.keyClicks(form.owner_email, "olive@harbour.example")
    qtbot.keyClicks(form.owner_name, "Olive Owner")
    form.colour.setText("#0f766e")
    form.smart_auto_reply.setChecked(True)
    form._choose_logo()
    assert form.logo_path == str(logo)
    with qtbot.waitSignal(page.created, timeout=WAIT_MS) as created:
        qtbot.mouseClick(page.submit, Qt.MouseButton.LeftButton)
    business = created.args[0]

    qtbot.waitUntil(lambda: bool(live.smtp.to("olive@harbour.example")), timeout=WAIT_MS)
    invite = live.smtp.to("olive@harbour.example")[0]
    assert re.search(rf"{live.url}/invite/[A-Za-z0-9_\-]+", body_text(invite))
    assert business.form_slug and business.form_slug in page.link.text()
    qtbot.waitUntil(lambda: "invite email sent" in page.invite.text(), timeout=WAIT_MS)
    assert "account invited" in page.invite.text()
    qtbot.waitUntil(lambda: page.business.logo_url is not None, timeout=WAIT_MS)
    with live.admin_http() as http:
        stored = http.get(f"/api/v1/admin/businesses/{business.id}").json()
    assert stored["status"] == "pending"
    assert stored["smart_auto_reply"] is True
    assert stored["logo_url"]


def test_pausing_a_business_after_confirmation_takes_its_public_form_offline(
    qtbot, console: AdminConsole, live: LiveServer, answers: AnsweredDialogs
) -> None:
    with live.admin_http() as http:
        business = create_business(http, "Sunrise Bakery", "sam@sunrise.example")
    slug = business["form_slug"]
    assert httpx.get(f"{live.url}/forms/{slug}").status_code == 200
    console.show_page("Businesses")
    page = console.businesses
    select(qtbot, page, "Sunrise Bakery")
    assert page.actions["pause"].text() == "Pause"

    answers.confirm_answer = False
    page.actions["pause"].trigger()
    assert len(answers.questions) == 1 and "Pause Sunrise Bakery" in answers.questions[0]
    assert httpx.get(f"{live.url}/api/v1/public/forms/{slug}").status_code == 200

    answers.confirm_answer = True
    with qtbot.waitSignal(console.service.business_saved, timeout=WAIT_MS):
        page.actions["pause"].trigger()
    qtbot.waitUntil(lambda: "now paused" in page.status.text(), timeout=WAIT_MS)
    assert httpx.get(f"{live.url}/forms/{slug}").status_code == 404
    assert httpx.get(f"{live.url}/api/v1/public/forms/{slug}").status_code == 404
    assert page.actions["pause"].text() == "Activate"

    console.show_page("Audit log")
    audit = console.audit_log
    changed = "Business status changed"  # the action in words, not business.status_changed
    qtbot.waitUntil(lambda: row_of_action(audit, changed) >= 0, timeout=WAIT_MS)
    audit.view.selectRow(row_of_action(audit, changed))
    assert "business.status_changed" not in [
        audit.proxy.index(r, audit.model.ACTION).data() for r in range(audit.proxy.rowCount())
    ]
    assert '"active" → "paused"' in audit.details.toPlainText()
    assert "Sunrise Bakery" in audit.details.toPlainText()


def row_of_action(page, action: str) -> int:
    for row in range(page.proxy.rowCount()):
        if page.proxy.index(row, page.model.ACTION).data() == action:
            return row
    return -1


def test_exporting_leads_writes_the_filtered_csv_with_formula_cells_neutralised(
    qtbot, console: AdminConsole, live: LiveServer, answers: AnsweredDialogs, tmp_path: Path
) -> None:
    with live.admin_http() as http:
        harbour = create_business(http, "Harbour Plumbing", "olive@harbour.example")
        other = create_business(http, "Sunrise Bakery", "sam@sunrise.example")
        for name in ("Maya Chen", "=HYPERLINK(1)", "Tom Becker"):
            submit_lead(http, harbour["form_slug"], customer_name=name, message="A leak")
        submit_lead(http, other["form_slug"], customer_name="Not Exported", message="Bread")
    answers.save_to = str(tmp_path / "harbour-leads")
    console.show_page("Leads")
    page = console.leads
    qtbot.waitUntil(lambda: page.pager.total == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.business.findData(harbour["id"]) >= 0, timeout=WAIT_MS)
    page.business.setCurrentIndex(page.business.findData(harbour["id"]))
    qtbot.waitUntil(lambda: page.pager.total == 3, timeout=WAIT_MS)

    with qtbot.waitSignal(page.export_bar.finished, timeout=WAIT_MS) as done:
        qtbot.mouseClick(page.export_bar.button, Qt.MouseButton.LeftButton)
    path, rows = done.args
    assert path == str(tmp_path / "harbour-leads.csv") and rows == 3
    with open(path, newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    assert sorted(r["customer_name"] for r in records) == [
        "'=HYPERLINK(1)",
        "Maya Chen",
        "Tom Becker",
    ]
    assert {r["business_name"] for r in records} == {"Harbour Plumbing"}
    assert not Path(path + ".part").exists()
    assert "Exported 3 rows" in page.export_bar.label.text()


def test_toggling_an_automation_switch_saves_it_on_the_server(
    qtbot, console: AdminConsole, live: LiveServer
) -> None:
    with live.admin_http() as http:
        business = create_business(http, "Harbour Plumbing", "olive@harbour.example")
    assert business["smart_auto_reply"] is False
    console.show_page("Automations")
    page = console.automations
    qtbot.waitUntil(lambda: row_of(page, "Harbour Plumbing") >= 0, timeout=WAIT_MS)
    index = page.proxy.index(row_of(page, "Harbour Plumbing"), page.model.AUTO_REPLY)
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked

    with qtbot.waitSignal(console.service.automation_saved, timeout=WAIT_MS):
        assert page.proxy.setData(
            index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
        )
        assert "Saving" in page.proxy.index(index.row(), page.model.STATE).data()
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert page.proxy.index(index.row(), page.model.STATE).data() == ""
    with live.admin_http() as http:
        stored = http.get(f"/api/v1/admin/automations/{business['id']}").json()
        log = http.get("/api/v1/admin/audit-logs", params={"action": "automation.updated"})
    assert stored["smart_auto_reply"] is True
    assert log.json()["items"][0]["new_values"] == {"smart_auto_reply": True}


def test_a_taken_form_address_is_refused_with_the_servers_words(
    qtbot, console: AdminConsole, live: LiveServer
) -> None:
    with live.admin_http() as http:
        first = create_business(http, "Harbour Plumbing", "olive@harbour.example")
        second = create_business(http, "Sunrise Bakery", "sam@sunrise.example")
    console.edit_business(second["id"])
    page = console.edit_page
    qtbot.waitUntil(lambda: page.save.isEnabled(), timeout=WAIT_MS)
    assert page.form.slug.text() == second["form_slug"]
    page.form.slug.setText(first["form_slug"])
    with qtbot.waitSignal(console.service.failed, timeout=WAIT_MS):
        qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    assert "already taken" in page.status.text()


def test_the_health_page_shows_platform_health(qtbot, console: AdminConsole) -> None:
    console.show_page("Health")
    page = console.settings
    qtbot.waitUntil(lambda: page.health is not None, timeout=WAIT_MS)
    assert page.health.database.kind == "sqlite"
    labels = [
        page.boxes["Email"].itemAt(i).widget().text() for i in range(page.boxes["Email"].count())
    ]
    assert "smtp" in labels
    inbound = page.boxes["Inbound mail"]
    texts = [inbound.itemAt(i).widget().text() for i in range(inbound.count())]
    assert "off (no inbound domain set)" in texts


def test_editing_a_business_saves_only_what_changed_and_shows_its_logo(
    qtbot, console: AdminConsole, live: LiveServer, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    image = QImage(40, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("#b45309"))
    assert image.save(str(logo))
    with live.admin_http() as http:
        business = create_business(http, "Sunrise Bakery", "sam@sunrise.example")
        with open(logo, "rb") as handle:
            uploaded = http.post(
                f"/api/v1/admin/businesses/{business['id']}/logo",
                files={"file": ("logo.png", handle, "image/png")},
            )
        assert uploaded.status_code == 200, uploaded.text
    console.edit_business(business["id"])
    page = console.edit_page
    qtbot.waitUntil(lambda: page.form.logo_preview.pixmap().width() > 0, timeout=WAIT_MS)
    page.form.name.setText("Sunrise Bakery & Café")
    page.form.form_active.setChecked(False)
    with qtbot.waitSignal(page.saved, timeout=WAIT_MS):
        qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    with live.admin_http() as http:
        stored = http.get(f"/api/v1/admin/businesses/{business['id']}").json()
        form = http.get(f"/api/v1/admin/businesses/{business['id']}/form").json()
        log = http.get(
            "/api/v1/admin/audit-logs",
            params={"business_id": business["id"], "action": "business.updated"},
        ).json()
    assert stored["name"] == "Sunrise Bakery & Café"
    assert form["active"] is False
    assert log["items"][0]["new_values"] == {"name": "Sunrise Bakery & Café"}
    assert httpx.get(f"{live.url}/forms/{business['form_slug']}").status_code == 404


def test_deactivating_an_owner_asks_first_and_stops_their_sign_in(
    qtbot, console: AdminConsole, live: LiveServer, answers: AnsweredDialogs
) -> None:
    with live.admin_http() as http:
        create_business(http, "Harbour Plumbing", "olive@harbour.example")
    token = re.search(
        r"/invite/([A-Za-z0-9_\-]+)",
        body_text(qtbot_wait_mail(qtbot, live, "olive@harbour.example")),
    )
    accepted = httpx.post(
        f"{live.url}/api/v1/auth/invites/accept",
        json={"token": token.group(1), "password": "owner-password-123"},
    )
    assert accepted.status_code == 200, accepted.text
    console.show_page("Owners")
    page = console.owners
    select(qtbot, page, "Olive Owner")
    assert page.toggle.text() == "Deactivate…"
    with qtbot.waitSignal(console.service.done, timeout=WAIT_MS):
        qtbot.mouseClick(page.toggle, Qt.MouseButton.LeftButton)
    assert "Deactivate Olive Owner?" in answers.questions[-1]
    login = httpx.post(
        f"{live.url}/api/v1/auth/login",
        json={"email": "olive@harbour.example", "password": "owner-password-123"},
    )
    assert login.status_code == 401
    qtbot.waitUntil(
        lambda: (
            row_of(page, "Olive Owner") >= 0
            and page.proxy.index(row_of(page, "Olive Owner"), page.model.STATUS).data()
            == "Deactivated"
        ),
        timeout=WAIT_MS,
    )


def qtbot_wait_mail(qtbot, live: LiveServer, address: str):
    qtbot.waitUntil(lambda: bool(live.smtp.to(address)), timeout=WAIT_MS)
    return live.smtp.to(address)[-1]


def test_a_failed_mail_in_the_email_log_is_resent_once_with_resend(
    qtbot, console: AdminConsole, live: LiveServer
) -> None:
    owner = "ruth@refusing.example"
    live.smtp.refused[owner] = 550  # the owner's server refuses the invite for good
    with live.admin_http() as http:
        create_business(http, "Refused Roofing", owner)
    console.show_page("Emails")
    page = console.emails

    def failed_row() -> int:
        for row in range(page.proxy.rowCount()):
            to = page.proxy.index(row, page.model.TO).data()
            status = page.proxy.index(row, page.model.STATUS).data()
            if to == owner and status == EmailStatus.FAILED.label:
                return row
        return -1

    for _ in range(15):  # the log shows the mail once its delivery has failed
        page.reload()
        qtbot.wait(1000)
        if failed_row() >= 0:
            break
    assert not page.resend.isEnabled()
    page.view.selectRow(failed_row())
    assert page.resend.isEnabled()
    del live.smtp.refused[owner]
    with qtbot.waitSignal(console.service.done, timeout=WAIT_MS):
        qtbot.mouseClick(page.resend, Qt.MouseButton.LeftButton)
    assert not page.resend.isEnabled()
    qtbot_wait_mail(qtbot, live, owner)
    qtbot.wait(1000)  # a second delivery, if there were one, would be on its way by now
    assert len(live.smtp.to(owner)) == 1
    assert "/invite/" in body_text(live.smtp.to(owner)[0])

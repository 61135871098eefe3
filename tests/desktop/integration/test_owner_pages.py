"""The owner pages against the real server: follow-up actions, Overview figures, automation
mode, and My form's QR code and live preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from desktop.ui.follow_ups import TABS
from desktop.ui.lead_detail import FollowUpDialog
from desktop.ui.settings_page import MODES
from shared.models.enums import FollowUpState
from tests.desktop.integration.live_server import submit
from tests.desktop.integration.test_desktop_against_server import inbox_names, sign_in
from tests.server.support import body_text

WAIT = 15000


def server_get(live, tenant, path, **params):
    response = httpx.get(
        f"{live.url}/api/v1/owner{path}", headers=tenant.headers(), params=params, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def follow_ups_on_server(live, tenant, state):
    return {
        item["lead_id"]: item
        for item in server_get(live, tenant, "/follow-ups", state=state)["items"]
    }


def choose(page, state, lead_id):
    """Select the follow-up of ``lead_id`` on the tab of ``state``."""
    page.tabs.setCurrentIndex([s for s, _ in TABS].index(state))
    widget = page.lists[state]
    for row in range(widget.count()):
        if str(widget.item(row).data(Qt.ItemDataRole.UserRole).lead_id) == lead_id:
            widget.setCurrentRow(row)
            return
    raise AssertionError(f"no follow-up of {lead_id} on the {state} tab")


def test_send_now_reschedule_and_cancel_reach_the_server(controller, qtbot, live, tenant, smtp):
    names = ("Gina Green", "Hugo Hill", "Ivy Irons")
    emails = {name: submit(live, tenant.slug, customer_name=name) for name in names}
    # The pipeline schedules one follow-up per lead with an email, a day ahead.
    qtbot.waitUntil(lambda: len(follow_ups_on_server(live, tenant, "scheduled")) == 3, timeout=WAIT)
    window = sign_in(controller, qtbot, live, tenant)
    qtbot.waitUntil(lambda: sorted(inbox_names(window)) == sorted(names), timeout=WAIT)
    lead_of = {r.customer_name: r.id for r in window.inbox.model.rows}
    window.show_page(window.follow_ups)
    page = window.follow_ups
    scheduled = page.lists[FollowUpState.SCHEDULED]
    qtbot.waitUntil(lambda: scheduled.count() == 3, timeout=WAIT)
    assert page.tabs.tabText(2) == "Scheduled (3)"

    choose(page, FollowUpState.SCHEDULED, lead_of["Gina Green"])
    qtbot.mouseClick(page.send_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: lead_of["Gina Green"] in follow_ups_on_server(live, tenant, "sent"), timeout=WAIT
    )
    qtbot.waitUntil(lambda: page.lists[FollowUpState.SENT].count() == 1, timeout=WAIT)
    mail = smtp.wait_for(emails["Gina Green"], count=2, timeout=20)  # acknowledgement + follow-up
    assert any("Following up on your request" in str(m["Subject"]) for m in mail)

    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)

    def answer_the_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, FollowUpDialog)
        dialog.picker.setDateTime(QDateTime(when.astimezone()))
        dialog.accept()

    choose(page, FollowUpState.SCHEDULED, lead_of["Hugo Hill"])
    QTimer.singleShot(0, answer_the_dialog)
    qtbot.mouseClick(page.reschedule, Qt.MouseButton.LeftButton)

    def rescheduled() -> bool:
        item = follow_ups_on_server(live, tenant, "scheduled").get(lead_of["Hugo Hill"])
        return item is not None and datetime.fromisoformat(item["scheduled_at"]) == when

    qtbot.waitUntil(rescheduled, timeout=WAIT)

    choose(page, FollowUpState.SCHEDULED, lead_of["Ivy Irons"])
    qtbot.mouseClick(page.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: lead_of["Ivy Irons"] in follow_ups_on_server(live, tenant, "canceled"),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: page.tabs.tabText(4) == "Canceled (1)", timeout=WAIT)
    assert page.tabs.tabText(2) == "Scheduled (1)" and page.tabs.tabText(3) == "Sent (1)"
    assert not [m for m in smtp.to(emails["Ivy Irons"]) if "Following up" in body_text(m)]


def test_overview_figures_are_the_servers_metrics(controller, qtbot, live, tenant):
    for name in ("Jo Jones", "Kai Kent", "Lee Lowe"):
        submit(live, tenant.slug, customer_name=name)
    window = sign_in(controller, qtbot, live, tenant)
    qtbot.waitUntil(lambda: len(inbox_names(window)) == 3, timeout=WAIT)
    lead_id = next(r.id for r in window.inbox.model.rows if r.customer_name == "Kai Kent")
    window.session.set_status(lead_id, "booked")
    qtbot.waitUntil(
        lambda: server_get(live, tenant, f"/leads/{lead_id}")["status"] == "booked", timeout=WAIT
    )
    window.show_page(window.overview)
    page = window.overview
    metrics = server_get(live, tenant, "/metrics")
    assert metrics["kpis"]["total_leads"] == 3 and metrics["kpis"]["booked"] == 1

    def shown() -> dict[str, str]:
        return {key: card.value.text() for key, card in page.cards.items()}

    expected = {key: str(value) for key, value in metrics["kpis"].items()}
    qtbot.waitUntil(lambda: shown() == expected, timeout=WAIT)
    bars = page.chart.series()[0].barSets()[0]
    assert [int(bars.at(i)) for i in range(bars.count())] == [d["count"] for d in metrics["daily"]]


def test_the_automation_mode_buttons_set_the_servers_switches(controller, qtbot, live, tenant):
    window = sign_in(controller, qtbot, live, tenant)
    window.show_page(window.settings_page)
    page = window.settings_page
    qtbot.waitUntil(lambda: page.business is not None, timeout=WAIT)
    for number, (label, smart, approval, _text) in reversed(list(enumerate(MODES))):
        button = page.mode.button(number)
        assert button.text() == label
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert "smart_auto_reply = " + ("on" if smart else "off") in page.switches.text()
        qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)

        def stored(smart=smart, approval=approval) -> bool:
            business = server_get(live, tenant, "/business")
            return (business["smart_auto_reply"], business["owner_approval_required"]) == (
                smart,
                approval,
            )

        qtbot.waitUntil(stored, timeout=WAIT)
        qtbot.waitUntil(lambda number=number: page.mode.checkedId() == number, timeout=WAIT)


def test_my_form_shows_the_qr_code_saves_it_as_png_and_previews_the_real_page(
    controller, qtbot, live, tenant, tmp_path
):
    window = sign_in(controller, qtbot, live, tenant)
    page = window.form_page
    with qtbot.waitSignal(page.preview.loaded, timeout=30000) as loaded:
        window.show_page(page)
    assert loaded.args == [True]
    assert page.preview.url == f"{live.url}/forms/{tenant.slug}"
    qtbot.waitUntil(lambda: bool(page.qr_png), timeout=WAIT)
    assert not page.qr.pixmap().isNull()
    # The preview shows the real public page: its HTML has the business's name.
    html: list[str] = []
    page.preview.view.page().toHtml(html.append)
    qtbot.waitUntil(lambda: bool(html), timeout=WAIT)
    assert "Sparkle Cleaning" in html[0] and 'name="customer_name"' in html[0]

    target = tmp_path / "form-qr.png"
    page.save_qr_path = str(target)
    qtbot.mouseClick(page.save_qr, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.exists, timeout=WAIT)
    qtbot.waitUntil(lambda: target.stat().st_size == len(page.qr_png), timeout=WAIT)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage(str(target))
    assert not image.isNull() and image.width() >= 100 and image.width() == image.height()


def test_the_settings_page_says_inbound_is_off_and_switches_the_reply_alert(
    controller, qtbot, live, tenant
):
    window = sign_in(controller, qtbot, live, tenant)
    window.show_page(window.settings_page)
    page = window.settings_page
    qtbot.waitUntil(lambda: page.business is not None, timeout=WAIT)
    assert "Inbound mail is off" in page.inbound.text()
    assert page.reply_alerts.isChecked()
    page.reply_alerts.setChecked(False)
    qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: server_get(live, tenant, "/business")["reply_alerts"] is False, timeout=WAIT
    )

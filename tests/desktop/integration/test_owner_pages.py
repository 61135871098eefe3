"""The owner pages against the real server: follow-up actions, Overview figures, automation
mode, and My form's QR code and live preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from PySide6.QtCore import QDateTime, QLocale, Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from desktop.ui.follow_ups import TABS
from desktop.ui.lead_detail import FollowUpDialog
from desktop.ui.settings_page import MODES
from shared.models.enums import FollowUpState
from tests.desktop.dialogs import answer_confirmation
from tests.desktop.integration.test_desktop_against_server import open_lead_named, sign_in
from tests.desktop.keyboard import focus_on, press
from tests.server.support import body_text
from tests.support.desktop_app import inbox_names
from tests.support.live_server import submit

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
    answer_confirmation("Send now")
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
    answer_confirmation("Cancel follow-up")
    qtbot.mouseClick(page.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: lead_of["Ivy Irons"] in follow_ups_on_server(live, tenant, "canceled"),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: page.tabs.tabText(4) == "Cancelled (1)", timeout=WAIT)
    assert page.tabs.tabText(2) == "Scheduled (1)" and page.tabs.tabText(3) == "Sent (1)"
    assert not [m for m in smtp.to(emails["Ivy Irons"]) if "Following up" in body_text(m)]


def test_schedule_follow_up_creates_one_at_the_chosen_time_when_none_is_pending(
    controller, qtbot, live, tenant
):
    submit(live, tenant.slug, customer_name="Noor Nash")
    qtbot.waitUntil(lambda: len(follow_ups_on_server(live, tenant, "scheduled")) == 1, timeout=WAIT)
    automatic = next(iter(follow_ups_on_server(live, tenant, "scheduled").values()))
    cancel = httpx.patch(
        f"{live.url}/api/v1/owner/follow-ups/{automatic['id']}",
        headers=tenant.headers(),
        json={"status": "canceled"},
        timeout=10,
    )
    assert cancel.status_code == 200, cancel.text
    window = sign_in(controller, qtbot, live, tenant)
    lead_id = open_lead_named(window, qtbot, "Noor Nash")
    assert lead_id not in follow_ups_on_server(live, tenant, "scheduled")
    when = (datetime.now(UTC) + timedelta(days=4)).replace(second=0, microsecond=0)
    shown: list[str] = []

    def answer_the_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, FollowUpDialog):
            QTimer.singleShot(10, answer_the_dialog)
            return
        shown.append(dialog.picker.displayFormat())
        dialog.picker.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
        dialog.accept()

    QTimer.singleShot(0, answer_the_dialog)
    window.inbox.detail.schedule_follow_up()
    qtbot.waitUntil(
        lambda: lead_id in follow_ups_on_server(live, tenant, "scheduled"), timeout=WAIT
    )
    item = follow_ups_on_server(live, tenant, "scheduled")[lead_id]
    assert datetime.fromisoformat(item["scheduled_at"]) == when
    assert shown == [QLocale().dateTimeFormat(QLocale.FormatType.ShortFormat)]
    page = window.follow_ups
    window.show_page(page)
    qtbot.waitUntil(lambda: page.lists[FollowUpState.SCHEDULED].count() == 1, timeout=WAIT)


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
        assert page.switches.text().startswith("Automatic replies " + ("on" if smart else "off"))
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


def test_the_owner_sets_facts_threshold_time_zone_follow_up_and_changes_the_logo(
    controller, qtbot, live, tenant, tmp_path
):
    window = sign_in(controller, qtbot, live, tenant)
    window.show_page(window.settings_page)
    page = window.settings_page
    qtbot.waitUntil(lambda: page.business is not None, timeout=WAIT)
    page.facts.setPlainText("Open Monday to Saturday. We cover Portland and South Portland.")
    page.threshold.setValue(90)
    page.timezone.setCurrentText("America/New_York")
    page.follow_up_delay.setValue(48)
    qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)

    def saved() -> bool:
        business = server_get(live, tenant, "/business")
        return (
            business["facts"] == "Open Monday to Saturday. We cover Portland and South Portland."
            and business["auto_reply_threshold"] == 0.9
            and business["timezone"] == "America/New_York"
            and business["follow_up_delay_h"] == 48
        )

    qtbot.waitUntil(saved, timeout=WAIT)
    qtbot.mouseClick(page.follow_up_on, Qt.MouseButton.LeftButton)  # off
    assert not page.follow_up_delay.isEnabled()
    qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: server_get(live, tenant, "/business")["follow_up_enabled"] is False, timeout=WAIT
    )
    logo = tmp_path / "logo.png"
    image = QImage(120, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("#1d6fb8"))
    assert image.save(str(logo))
    page.session.upload_logo(str(logo))
    qtbot.waitUntil(lambda: bool(server_get(live, tenant, "/business")["logo_url"]), timeout=WAIT)
    qtbot.waitUntil(lambda: page.logo.pixmap() is not None and not page.logo.pixmap().isNull())
    qtbot.waitUntil(page.remove_logo.isEnabled, timeout=WAIT)
    # Remove logo asks once; the server then has none and the page says so.
    asked: list[str] = []
    answer_confirmation("Remove logo", asked)
    qtbot.mouseClick(page.remove_logo, Qt.MouseButton.LeftButton)
    assert asked and "Remove it?" in asked[0]
    qtbot.waitUntil(lambda: server_get(live, tenant, "/business")["logo_url"] is None, timeout=WAIT)
    qtbot.waitUntil(lambda: page.logo.text() == "No logo", timeout=WAIT)
    assert not page.remove_logo.isEnabled()


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


def test_the_owner_deactivates_and_reactivates_a_team_member(controller, qtbot, live, tenant):
    window = sign_in(controller, qtbot, live, tenant)
    window.show_page(window.settings_page)
    page = window.settings_page
    qtbot.waitUntil(lambda: page.team.count() == 1, timeout=WAIT)
    page.invite_email.setText("sam.staff@example.com")
    page.invite_name.setText("Sam Staff")
    qtbot.mouseClick(page.invite_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.team.count() == 2, timeout=WAIT)

    def choose(email: str) -> None:
        for row in range(page.team.count()):
            if page.team.item(row).data(Qt.ItemDataRole.UserRole)["email"] == email:
                page.team.setCurrentRow(row)
                return
        raise AssertionError(email)

    choose(tenant.owner_email)
    assert not page.member_toggle.isEnabled()  # nobody deactivates themselves
    choose("sam.staff@example.com")
    assert page.member_toggle.text() == "Deactivate" and page.member_toggle.isEnabled()

    def status() -> str:
        team = server_get(live, tenant, "/team")
        return next(m["status"] for m in team if m["email"] == "sam.staff@example.com")

    answer_confirmation("Deactivate")
    qtbot.mouseClick(page.member_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status() == "deactivated", timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            "Deactivated" in page.team.item(1).text() or "Deactivated" in page.team.item(0).text()
        ),
        timeout=WAIT,
    )
    choose("sam.staff@example.com")
    assert page.member_toggle.text() == "Reactivate"
    qtbot.mouseClick(page.member_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status() != "deactivated", timeout=WAIT)


def test_enter_in_a_field_of_my_form_saves_it_on_the_server(controller, qtbot, live, tenant):
    window = sign_in(controller, qtbot, live, tenant)
    page = window.form_page
    window.show_page(page)
    qtbot.waitUntil(lambda: page.form is not None, timeout=WAIT)
    focus_on(qtbot, page.title_edit)
    page.title_edit.selectAll()
    qtbot.keyClicks(page.title_edit, "Book a plumber")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: server_get(live, tenant, "/form")["title"] == "Book a plumber", timeout=WAIT
    )

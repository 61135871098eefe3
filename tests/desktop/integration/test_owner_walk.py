"""An owner's first day, as issue 13 walked it, through the real widgets against the live
server: sign in by typing, reply to a lead, schedule a follow-up, sign out, sign in again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop.ui.lead_detail import FollowUpDialog
from tests.desktop.dialogs import answer_confirmation
from tests.desktop.integration.test_desktop_against_server import mails_with, open_lead_named
from tests.support.live_server import OWNER_PASSWORD, submit

WAIT = 15000


def type_sign_in(controller, qtbot, login, live, tenant):
    login.show()
    qtbot.waitExposed(login)
    login.server.clear()
    qtbot.keyClicks(login.server, live.url)
    login.email.clear()
    qtbot.keyClicks(login.email, tenant.owner_email)
    qtbot.keyClicks(login.password, OWNER_PASSWORD)
    with qtbot.waitSignal(controller.window_opened, timeout=WAIT) as opened:
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
    window = opened.args[0]
    qtbot.waitUntil(lambda: window.status_label.text().endswith("Online"), timeout=WAIT)
    return window


def test_sign_in_reply_schedule_a_follow_up_sign_out_and_in_again(
    controller, qtbot, live, tenant, smtp
):
    email = submit(live, tenant.slug, customer_name="Rosa Reyes")
    with qtbot.waitSignal(controller.login_shown, timeout=5000) as shown:
        controller.start()
    window = type_sign_in(controller, qtbot, shown.args[0], live, tenant)
    lead_id = open_lead_named(window, qtbot, "Rosa Reyes")
    detail = window.inbox.detail

    qtbot.mouseClick(detail.reply_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(detail.thread.composer.editor, "Hello Rosa, Tuesday at 9 suits us.")
    qtbot.mouseClick(detail.thread.composer.send_button, Qt.MouseButton.LeftButton)
    mails_with(smtp, email, "Tuesday at 9 suits us", qtbot)

    when = (datetime.now(UTC) + timedelta(days=5)).replace(second=0, microsecond=0)

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, FollowUpDialog):
            QTimer.singleShot(10, answer)
            return
        dialog.picker.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
        dialog.accept()

    QTimer.singleShot(0, answer)
    qtbot.mouseClick(detail.follow_button, Qt.MouseButton.LeftButton)

    def scheduled_at() -> set[datetime]:
        response = httpx.get(
            f"{live.url}/api/v1/owner/follow-ups",
            params={"state": "scheduled"},
            headers=tenant.headers(),
            timeout=10,
        )
        return {
            datetime.fromisoformat(f["scheduled_at"])
            for f in response.json()["items"]
            if f["lead_id"] == lead_id
        }

    qtbot.waitUntil(lambda: when in scheduled_at(), timeout=WAIT)

    with qtbot.waitSignal(controller.login_shown, timeout=WAIT) as again:
        answer_confirmation("Sign out, keep the local copy")
        window.sign_out_action.trigger()
    login = again.args[0]
    assert login.email.text() == tenant.owner_email  # remembered
    second = type_sign_in(controller, qtbot, login, live, tenant)
    qtbot.waitUntil(lambda: second.inbox.model.total == 1, timeout=WAIT)
    assert second.inbox.model.rows[0].preview.startswith("Hello Rosa")

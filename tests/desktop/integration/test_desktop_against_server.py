"""The desktop app's windows against the real server on loopback, with real mail delivery."""

from __future__ import annotations

import httpx
from PySide6.QtCore import Qt

from desktop.errors import ConflictError
from tests.server.support import body_text
from tests.support.desktop_app import inbox_names, sign_in_online
from tests.support.live_server import OWNER_PASSWORD, onboard, submit


def mails_with(smtp, address, text, qtbot, count=1):
    def found():
        return [m for m in smtp.to(address) if text in body_text(m)]

    qtbot.waitUntil(lambda: len(found()) >= count, timeout=20000)
    return found()


def sign_in(controller, qtbot, live, tenant):
    """Sign in to the live server as the tenant's owner."""
    return sign_in_online(controller, qtbot, live.url, tenant.owner_email, OWNER_PASSWORD)


def open_lead_named(window, qtbot, name):
    qtbot.waitUntil(lambda: name in inbox_names(window), timeout=10000)
    row = next(r for r in window.inbox.model.rows if r.customer_name == name)
    window.open_lead(row.id)
    qtbot.waitUntil(
        lambda: window.inbox.detail.lead is not None and str(window.inbox.detail.lead.id) == row.id,
        timeout=5000,
    )
    return row.id


def test_a_submitted_lead_arrives_notifies_and_gets_one_reply_email(
    controller, qtbot, live, tenant, smtp
):
    submit(live, tenant.slug, customer_name="Ann Able", service_needed="Windows")
    window = sign_in(controller, qtbot, live, tenant)
    qtbot.waitUntil(lambda: "Ann Able" in inbox_names(window), timeout=10000)
    with qtbot.waitSignal(window.session.notify, timeout=10000) as note:
        email = submit(
            live,
            tenant.slug,
            customer_name="Ben Baker",
            service_needed="Oven clean",
            message="Greasy oven after a party, can you come this week?",
        )
    assert note.args[0].title == "New lead: Ben Baker"
    lead_id = open_lead_named(window, qtbot, "Ben Baker")
    composer = window.inbox.detail.thread.composer
    window.reply()
    qtbot.keyClicks(composer.editor, "Happy to help on Thursday.")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    view = window.inbox.detail.thread.view
    qtbot.waitUntil(
        lambda: ("Happy to help on Thursday.", "sent") in view.deliveries(), timeout=10000
    )
    assert len(mails_with(smtp, email, "Happy to help on Thursday.", qtbot)) == 1
    # search
    window.find()
    qtbot.keyClicks(window.inbox.search, "oven")
    qtbot.waitUntil(lambda: inbox_names(window) == ["Ben Baker"], timeout=5000)
    assert lead_id


def test_a_reply_written_while_the_server_is_down_is_emailed_exactly_once(
    controller, qtbot, live, tenant, smtp
):
    email = submit(live, tenant.slug, customer_name="Cleo Cole")
    window = sign_in(controller, qtbot, live, tenant)
    open_lead_named(window, qtbot, "Cleo Cole")
    live.stop()
    window.session.sync_now()
    qtbot.waitUntil(lambda: window.status_label.text().endswith("Offline"), timeout=15000)
    composer = window.inbox.detail.thread.composer
    qtbot.keyClicks(composer.editor, "Written offline, sent later.")
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    view = window.inbox.detail.thread.view
    qtbot.waitUntil(
        lambda: ("Written offline, sent later.", "queued") in view.deliveries(), timeout=5000
    )
    assert window.session.queued_count == 1
    live.start()
    qtbot.waitUntil(
        lambda: ("Written offline, sent later.", "sent") in view.deliveries(), timeout=30000
    )
    mails_with(smtp, email, "Written offline, sent later.", qtbot)
    qtbot.wait(1500)  # a second delivery, if there were one, would be on its way by now
    assert len(mails_with(smtp, email, "Written offline, sent later.", qtbot)) == 1


def test_status_changes_sync_both_ways(controller, qtbot, live, tenant):
    submit(live, tenant.slug, customer_name="Dana Doe")
    window = sign_in(controller, qtbot, live, tenant)
    lead_id = open_lead_named(window, qtbot, "Dana Doe")
    detail = window.inbox.detail
    detail.status_actions["booked"].trigger()

    def server_status():
        response = httpx.get(
            f"{live.url}/api/v1/owner/leads/{lead_id}", headers=tenant.headers(), timeout=10
        )
        return response.json()["status"]

    qtbot.waitUntil(lambda: server_status() == "booked", timeout=10000)
    response = httpx.patch(
        f"{live.url}/api/v1/owner/leads/{lead_id}",
        json={"status": "lost"},
        headers=tenant.headers(),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    qtbot.waitUntil(lambda: detail.status_chip.text() == "Lost", timeout=5000)


def test_a_taken_form_address_is_refused_inline_and_sign_out_forgets_the_token(
    controller, qtbot, live, tenant, smtp, memory_keyring
):
    other = onboard(live, smtp, name="Other Business")
    window = sign_in(controller, qtbot, live, tenant)
    assert memory_keyring.secrets
    window.show_page(window.form_page)
    page = window.form_page
    qtbot.waitUntil(lambda: page.form is not None, timeout=10000)
    with qtbot.waitSignal(window.session.form_failed, timeout=10000) as failed:
        page.slug.setText(other.slug)
        qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    assert isinstance(failed.args[0], ConflictError)
    assert page.slug_error.text()
    with qtbot.waitSignal(controller.login_shown, timeout=10000):
        window.sign_out_requested.emit(True)
    assert not memory_keyring.secrets


def test_a_reply_that_failed_shows_failed_and_resend_emails_it_once(
    controller, qtbot, live, tenant, smtp
):
    from PySide6.QtCore import QUrl

    email = f"refusing-{tenant.business['id'][:8]}@example.net"
    smtp.refused[email] = 550  # the customer's server refuses mail for good
    submit(live, tenant.slug, customer_name="Fay Frost", customer_email=email)
    window = sign_in(controller, qtbot, live, tenant)
    open_lead_named(window, qtbot, "Fay Frost")
    composer = window.inbox.detail.thread.composer
    qtbot.keyClicks(composer.editor, "We can come on Friday.")
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    view = window.inbox.detail.thread.view
    qtbot.waitUntil(
        lambda: ("We can come on Friday.", "failed") in view.deliveries(), timeout=20000
    )
    item = next(i for i in view.items if i.message.content == "We can come on Friday.")
    link = f"resend:{item.message.id}"
    assert f'href="{link}"' in view.toHtml()  # the failed mail offers "Resend"

    del smtp.refused[email]
    view.anchorClicked.emit(QUrl(link))  # the owner clicks "Resend"
    qtbot.waitUntil(lambda: ("We can come on Friday.", "sent") in view.deliveries(), timeout=20000)
    assert len(mails_with(smtp, email, "We can come on Friday.", qtbot)) == 1
    assert f'href="{link}"' not in view.toHtml()

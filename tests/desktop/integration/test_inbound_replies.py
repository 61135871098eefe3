"""A customer's e-mail answer reaches a running desktop app: the reply is delivered into a real
Dovecot, the server's worker fetches it over IMAP, and the app's thread, tray note, unread mark,
"Customer replied" filter and attachment download follow, while the follow-up is canceled."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QUrl

from tests.desktop.dialogs import answer_confirmation
from tests.desktop.integration.test_desktop_against_server import sign_in
from tests.server.inbound.corpus import CORPUS
from tests.server.inbound.dovecot import PASSWORD, USER, Dovecot
from tests.server.inbound.mails import reply
from tests.support.desktop_app import inbox_names
from tests.support.live_server import live_server, onboard, submit

PHOTO = b"\x89PNG\r\n\x1a\n" + b"tap photo" * 40


@pytest.fixture
def dovecot():
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live(tmp_path, smtp, dovecot):
    with live_server(
        tmp_path,
        smtp,
        inbound_domain="in.leadflow.test",
        inbound_secret="inbound-secret",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_username=USER,
        imap_password=PASSWORD,
        imap_ssl=False,
        imap_poll_s=1.0,
    ) as server:
        yield server


def test_a_reply_delivered_into_the_mailbox_shows_in_the_running_app(
    controller, qtbot, live, smtp, dovecot, tmp_path: Path
):
    tenant = onboard(live, smtp, name="Acme Plumbing")
    customer = submit(
        live,
        tenant.slug,
        customer_name="Dana Drip",
        customer_email="dana@example.net",
        message="Do you also fix leaking taps in the kitchen?",
    )
    first = smtp.wait_for(customer, timeout=20)[-1]
    assert "reply+" in str(first["Reply-To"])
    window = sign_in(controller, qtbot, live, tenant)
    session = window.session
    session.downloads_dir = tmp_path / "downloads"
    qtbot.waitUntil(lambda: "Dana Drip" in inbox_names(window), timeout=10000)

    with qtbot.waitSignal(session.notify, timeout=5000) as note:
        started = time.monotonic()
        dovecot.deliver(
            reply(
                sender="Dana Drip <dana@example.net>",
                to="noreply@leadflow.test",
                in_reply_to=str(first["Message-ID"]),
                text="Yes, the hot tap. Photo attached.\n\nOn Sun, Acme Plumbing wrote:\n> Hi",
                attachments=[("tap.png", "image/png", PHOTO)],
            )
        )
    assert time.monotonic() - started < 5
    assert note.args[0].title == "Reply from Dana Drip"

    lead = next(r for r in window.inbox.model.rows if r.customer_name == "Dana Drip")
    window.open_lead(lead.id)
    view = window.inbox.detail.thread.view
    qtbot.waitUntil(
        lambda: ("Yes, the hot tap. Photo attached.", "received") in view.deliveries(),
        timeout=5000,
    )
    last = view.items[-1]
    assert last.unread and "unread" in view.toPlainText()
    assert "tap.png" in view.toPlainText()

    with qtbot.waitSignal(session.attachment_saved, timeout=10000) as saved:
        view.anchorClicked.emit(QUrl(f"attachment:{last.message.attachments[0].id}"))
    assert Path(saved.args[0]).read_bytes() == PHOTO

    # The inbox can show only the leads whose customer answered last.
    filters = window.inbox.filter
    filters.setCurrentIndex(filters.findData("customer_replied"))
    qtbot.waitUntil(lambda: inbox_names(window) == ["Dana Drip"], timeout=5000)

    window.show_page(window.settings_page)
    qtbot.waitUntil(lambda: window.settings_page.business is not None, timeout=5000)
    assert "come back into each lead's thread" in window.settings_page.inbound.text()

    follow_ups = httpx.get(
        f"{live.url}/api/v1/owner/follow-ups", headers=tenant.headers(), timeout=10
    ).json()["items"]
    assert follow_ups and all(f["status"] == "canceled" for f in follow_ups)


def test_the_owner_replaces_a_reply_address_and_the_old_one_stops_matching(
    controller, qtbot, live, smtp, dovecot
):
    tenant = onboard(live, smtp, name="Acme Plumbing")
    customer = submit(
        live,
        tenant.slug,
        customer_name="Dana Drip",
        customer_email="dana@example.net",
        message="Do you also fix leaking taps in the kitchen?",
    )
    first = smtp.wait_for(customer, timeout=20)[-1]
    old = str(first["Reply-To"])
    window = sign_in(controller, qtbot, live, tenant)
    qtbot.waitUntil(lambda: "Dana Drip" in inbox_names(window), timeout=10000)
    lead = next(r for r in window.inbox.model.rows if r.customer_name == "Dana Drip")
    window.open_lead(lead.id)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: detail.address_button.isEnabled(), timeout=5000)

    # Cancel first: nothing changes.
    answer_confirmation("Cancel")
    detail.address_button.click()
    asked: list[str] = []
    answer_confirmation("Replace address", asked)
    detail.address_button.click()
    assert "Dana Drip" in asked[0] and "no longer reach this lead" in asked[0]
    qtbot.waitUntil(lambda: "New reply address:" in detail.address_note.text(), timeout=10000)
    new = detail.address_note.text().split("New reply address: ")[1].split(". ")[0]
    assert new.startswith("reply+") and new not in old
    qtbot.waitUntil(
        lambda: any(
            "Reply address replaced" in detail.timeline.item(i).text()
            for i in range(detail.timeline.count())
        ),
        timeout=5000,
    )

    # A stranger writing to the old address, quoting Dana's mail: not in Dana's thread.
    dovecot.deliver(
        reply(
            sender="Spammer <offers@spam.example>",
            to=old,
            in_reply_to=str(first["Message-ID"]),
            text="Cheap watches for you!",
        )
    )

    def unmatched() -> list[dict]:
        return httpx.get(
            f"{live.url}/api/v1/owner/inbound/unmatched", headers=tenant.headers(), timeout=10
        ).json()["items"]

    qtbot.waitUntil(
        lambda: any(i["text"] == "Cheap watches for you!" for i in unmatched()), timeout=15000
    )
    # Dana, writing to the new address, still reaches the thread in the app.
    dovecot.deliver(reply(sender="Dana Drip <dana@example.net>", to=new, text="New address works."))
    view = detail.thread.view
    qtbot.waitUntil(lambda: ("New address works.", "received") in view.deliveries(), timeout=15000)
    assert "Cheap watches" not in view.toPlainText()


def _post_signed(live, raw: bytes) -> dict:
    digest = hmac.new(b"inbound-secret", raw, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{live.url}/api/v1/inbound/email",
        content=raw,
        headers={"X-LeadFlow-Signature": f"sha256={digest}", "Content-Type": "message/rfc822"},
        timeout=20,
    )
    assert response.status_code == 202, response.text
    return response.json()


def test_a_reply_from_another_address_and_a_bounce_show_in_the_running_app(
    controller, qtbot, live, smtp
):
    tenant = onboard(live, smtp, name="Acme Plumbing")
    customer = submit(
        live,
        tenant.slug,
        customer_name="Dana Drip",
        customer_email="dana@example.net",
        message="Do you also fix leaking taps in the kitchen?",
    )
    first = smtp.wait_for(customer, timeout=20)[-1]
    window = sign_in(controller, qtbot, live, tenant)
    qtbot.waitUntil(lambda: "Dana Drip" in inbox_names(window), timeout=10000)
    lead = next(r for r in window.inbox.model.rows if r.customer_name == "Dana Drip")
    window.open_lead(lead.id)
    view = window.inbox.detail.thread.view

    from_work = reply(
        sender="Dana at work <dana@work.example>", to=str(first["Reply-To"]), text="From work."
    )
    assert _post_signed(live, from_work)["status"] == "stored"
    qtbot.waitUntil(lambda: ("From work.", "received") in view.deliveries(), timeout=15000)
    assert "from another address: dana@work.example" in view.toPlainText()

    dsn = next(c for c in CORPUS if c.name == "postfix dsn with rfc822 headers")
    bounce = dsn.raw(str(first["Reply-To"]), str(first["Message-ID"]))
    assert _post_signed(live, bounce)["status"] == "bounce"
    qtbot.waitUntil(
        lambda: any(state == "bounced" for _, state in view.deliveries()), timeout=15000
    )
    assert "bounced: the address did not take it" in view.toPlainText()
    # The lead's address is flagged where the owner reads it.
    details = window.inbox.detail.details
    qtbot.waitUntil(lambda: "bounced" in details.values().get("E-mail", ""), timeout=5000)
    assert details.values()["E-mail"].startswith("dana@example.net")

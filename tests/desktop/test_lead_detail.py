"""The lead detail as an owner reads it: words instead of codes, one source for each fact, the
actions that apply with Reply first, Approve & Send that sends once, and every customer-supplied
text shown as typed (never as markup)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QPlainTextEdit, QTextEdit

from desktop.notifier import Notification
from desktop.ui.widgets.facts import Facts
from tests.desktop.test_main_window import sign_in
from tests.support.desktop_app import inbox_names

CODES = ("quote_request", "urgency_normal", "acknowledged", "ai_flagged_unsafe", "owner_approval")


def open_only_lead(server, controller, qtbot, **lead):
    lead_id = server.add_lead(lead.pop("name", "Ann Able"), **lead)
    window = sign_in(controller, qtbot)
    qtbot.waitUntil(lambda: len(inbox_names(window)) == 1, timeout=3000)
    window.open_lead(lead_id)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: detail.lead is not None, timeout=3000)
    return window, detail, lead_id


def shown_texts(widget) -> list[str]:
    """Every text the owner can read in ``widget``: labels, list rows, text fields."""
    texts = [label.text() for label in widget.findChildren(QLabel)]
    for lst in widget.findChildren(QListWidget):
        texts += [lst.item(n).text() for n in range(lst.count())]
    texts += [edit.toPlainText() for edit in widget.findChildren(QTextEdit)]
    texts += [edit.toPlainText() for edit in widget.findChildren(QPlainTextEdit)]
    return texts


def test_the_detail_shows_words_never_codes_and_the_gate_is_the_one_verdict(
    server, controller, qtbot
):
    lead_id = server.add_lead("Ann Able")
    server.set_lead(lead_id, gate_reasons=["ai_flagged_unsafe", "owner_approval_required"])
    window = sign_in(controller, qtbot)
    window.open_lead(lead_id)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: bool(detail.lead and detail.lead.gate), timeout=3000)
    ai = detail.ai_info.values()
    assert ai["Intent"] == "Asks for a quote"
    assert ai["Automatic reply"] == (
        "Held for you: the AI judged an automatic reply unsafe; you asked to approve every reply."
    )
    assert "Risk" not in ai  # a "low risk" beside "held as unsafe" contradicted it
    assert ai["AI"] == "Read by the AI"
    facts = detail.details.values()
    assert facts["Status"] == "New" and facts["Urgency"] == "Normal"
    for text in shown_texts(window):
        for code in CODES:
            assert code not in text, (code, text)


def test_actions_show_what_applies_with_reply_first_and_shortcuts_in_tooltips(
    server, controller, qtbot
):
    window, detail, lead_id = open_only_lead(server, controller, qtbot)
    assert detail.spam_button.text() == "Spam"
    assert "Ctrl+R" in detail.reply_button.toolTip()
    row = detail.reply_button.parentWidget().layout()
    assert detail.reply_button.isVisible()
    assert detail.reply_button.x() < detail.follow_button.x() < detail.status_button.x()
    qtbot.mouseClick(detail.spam_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.lead(lead_id)["status"] == "spam", timeout=3000)
    qtbot.waitUntil(lambda: detail.spam_button.text() == "Not spam", timeout=3000)
    assert row is not None
    qtbot.mouseClick(detail.reply_button, Qt.MouseButton.LeftButton)
    assert detail.tabs.currentWidget() is detail.thread
    assert detail.thread.composer.editor.hasFocus() or window.isActiveWindow() is False


def test_a_lead_without_an_email_cannot_be_replied_to_or_followed_up(server, controller, qtbot):
    lead_id = server.add_lead("Phone Only")
    server.set_lead(lead_id, customer_email=None)
    window = sign_in(controller, qtbot)
    window.open_lead(lead_id)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: bool(detail.lead and not detail.lead.customer_email), timeout=3000)
    assert not detail.follow_button.isEnabled()
    assert not detail.approve.isEnabled() and not detail.reply_button.isEnabled()
    assert detail.follow_button.toolTip() == "The customer left no e-mail address"


def test_approve_and_send_sends_once_and_then_stays_disabled(server, controller, qtbot):
    window, detail, lead_id = open_only_lead(server, controller, qtbot)
    assert detail.approve.isEnabled()
    # A double click: the second press finds the button already off.
    qtbot.mouseClick(detail.approve, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(detail.approve, Qt.MouseButton.LeftButton)
    detail._approve()  # even a direct second call sends nothing more
    qtbot.waitUntil(lambda: len(server.emails) == 1, timeout=3000)
    qtbot.wait(500)
    assert len(server.emails) == 1
    assert not detail.approve.isEnabled()
    assert detail.draft_note.text() == "This suggestion has been sent."
    # Opening the lead again (a fresh panel state) still knows the draft went out.
    window.open_lead(lead_id)
    qtbot.waitUntil(lambda: detail.lead is not None, timeout=3000)
    qtbot.wait(200)
    assert not detail.approve.isEnabled()


def test_an_auto_sent_draft_cannot_be_approved(server, controller, qtbot):
    lead_id = server.add_lead("Ann Able")
    server.set_lead(lead_id, auto_sent=True, comm_status="ai_replied")
    window = sign_in(controller, qtbot)
    window.open_lead(lead_id)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: bool(detail.lead and detail.lead.auto_sent), timeout=3000)
    qtbot.waitUntil(lambda: not detail.approve.isEnabled(), timeout=3000)
    assert detail.ai_info.values()["Automatic reply"] == "Sent automatically."


MARKUP = '<b>Bold</b> <a href="http://evil.test">click</a> <img src="x">'


def test_every_customer_text_is_shown_as_typed_not_as_markup(server, controller, qtbot):
    lead_id = server.add_lead(f"Ann {MARKUP}", message=f"Please {MARKUP}", service=MARKUP)
    server.add_message(lead_id, f"Also {MARKUP}")
    window = sign_in(controller, qtbot)
    window.open_lead(lead_id)
    detail = window.inbox.detail
    qtbot.waitUntil(lambda: detail.lead is not None, timeout=3000)
    window.show_page(window.messages)
    qtbot.waitUntil(lambda: window.messages.list.count() == 1, timeout=3000)
    window.messages.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: bool(window.messages.thread.view.items), timeout=3000)
    window.notifier.banner.show_note(
        Notification(lead_id, f"New lead: Ann {MARKUP}", MARKUP, "new_lead")
    )
    shown = 0
    for label in window.findChildren(QLabel):
        if "<b>Bold</b>" in label.text():
            shown += 1
            assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    for facts in window.findChildren(Facts):
        for value in facts.values().values():
            assert "Bold</b>" not in value or "<b>Bold</b>" in value
    for view in window.findChildren(QTextEdit):
        if "Bold" in view.toPlainText():
            shown += 1
            assert "<b>Bold</b>" in view.toPlainText()  # the tags are text, not formatting
    assert shown >= 5  # title, request, service, banner, thread


def test_the_reply_address_block_shows_only_where_inbound_mail_is_on(server, controller, qtbot):
    window, detail, _lead = open_only_lead(server, controller, qtbot)
    block = (detail.address_title, detail.address_note, detail.address_button)
    qtbot.waitUntil(lambda: all(not w.isHidden() for w in block), timeout=3000)
    business = server.rows[("business", server.business_id)]["data"]
    server.put("business", server.business_id, {**business, "inbound_enabled": False})

    def hidden_once_read_again() -> bool:
        window.overview.refresh()  # the business is read again (as at each start) once synced
        qtbot.wait(200)
        return all(w.isHidden() for w in block)

    qtbot.waitUntil(hidden_once_read_again, timeout=5000)

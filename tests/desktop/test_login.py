"""The sign-in dialog is a proper first screen: the product, the server address filled in,
the last e-mail remembered, fields wide enough to read, notices neutral and errors marked."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.ui.login import DEFAULT_SERVER, NO_KEYRING, LoginDialog
from tests.desktop.test_main_window import sign_in


def first_dialog(controller, qtbot) -> LoginDialog:
    with qtbot.waitSignal(controller.login_shown, timeout=5000) as shown:
        controller.start()
    login = shown.args[0]
    login.show()
    qtbot.waitExposed(login)
    return login


def test_the_first_screen_names_the_product_and_fills_in_the_server(controller, qtbot):
    login = first_dialog(controller, qtbot)
    assert "LeadFlow" in [label.text() for label in login.findChildren(QLabel)]
    assert login.server.text() == DEFAULT_SERVER
    assert login.width() >= 440
    # the e-mail field shows a whole address
    address = "maria.gonzalez@harbourplumbing.example"
    assert login.email.width() > login.email.fontMetrics().horizontalAdvance(address)
    assert login.email.hasFocus() or not login.isActiveWindow()


def test_a_wrong_password_is_an_error_and_the_keyring_notice_is_not(controller, qtbot):
    login = first_dialog(controller, qtbot)
    login.server.setText("http://testserver")
    login.email.setText("owner@sparkle.test")
    login.password.setText("wrong-password-123")
    qtbot.mouseClick(login.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: login.error.text() == "Wrong email or password.", timeout=5000)
    assert login.is_error
    notice = LoginDialog(controller.signin, note=NO_KEYRING)
    qtbot.addWidget(notice)
    assert notice.error.text() == NO_KEYRING and not notice.is_error


def test_the_last_email_and_server_are_remembered_after_signing_out(server, controller, qtbot):
    window = sign_in(controller, qtbot)
    with qtbot.waitSignal(controller.login_shown, timeout=5000) as shown:
        window.sign_out_requested.emit(True)  # sign out and remove the local copy
    again = shown.args[0]
    assert again.email.text() == "owner@sparkle.test"
    assert again.server.text() == "http://testserver"
    fresh = LoginDialog(controller.signin, settings=controller.settings)
    qtbot.addWidget(fresh)
    assert fresh.email.text() == "owner@sparkle.test"  # also after a restart


def test_the_keyboard_goes_server_email_password_sign_in(controller, qtbot):
    login = first_dialog(controller, qtbot)

    def after(widget):
        widget = widget.nextInFocusChain()
        while not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            widget = widget.nextInFocusChain()
        return widget

    assert after(login.server) is login.email
    assert after(login.email) is login.password
    assert after(login.password) is login.submit

"""The installed ``leadflow`` command, started as a new user starts it: a fresh home, the demo
server from the README, the sign-in typed on a real X server.

This is the path a person takes on the first day; the Qt tests beside it build windows in-process
and never cross ``desktop.app.main``, which is how the app once quit right after the first sign-in
with every test green.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from tests.desktop_entry.walk import (
    VENV_BIN,
    DesktopApp,
    demo_server,
    local_lead_count,
    sign_in_again,
    sign_in_first_time,
    sign_out,
    wait_until,
    x_server,
)


def test_a_new_user_signs_in_replies_schedules_a_follow_up_signs_out_and_in_again(
    tmp_path: Path,
) -> None:
    with demo_server(tmp_path) as server, x_server() as display:
        server.submit_lead(
            customer_name="Robin Newlead",
            customer_email="robin@example.net",
            message="Could you clean our windows next week?",
        )
        app = DesktopApp([str(VENV_BIN / "leadflow")], display, tmp_path / "home")
        try:
            window = sign_in_first_time(app, server)
            leads = wait_until("the inbox's leads", lambda: local_lead_count(app), timeout=30)
            assert leads == len(server.owner_api().get("/api/v1/owner/leads").json()["items"])
            app.screenshot(tmp_path / "1-signed-in.png")

            # The owner's alert mail links to leadflow://lead/<id>: a second start hands the link
            # to the running app, which opens the lead; Ctrl+R then replies to it.
            api = server.owner_api()
            robin = api.get("/api/v1/owner/leads", params={"q": "Robin"}).json()["items"][0]
            link = subprocess.run(
                [str(VENV_BIN / "leadflow"), f"leadflow://lead/{robin['id']}"],
                env=app.env,
                timeout=60,
            )
            assert link.returncode == 0
            app.assert_running()
            reply = f"Thanks for asking, we will call you today. ({uuid.uuid4().hex[:8]})"
            app.focus(window)
            app.key("ctrl+r")
            app.type(reply)
            app.key("ctrl+Return")

            def reply_on_server() -> bool:
                thread = api.get(f"/api/v1/owner/leads/{robin['id']}/messages").json()
                return any(reply in m["content"] and m["email_status"] for m in thread)

            wait_until("the reply on the server", reply_on_server, timeout=30)
            app.screenshot(tmp_path / "2-replied.png")

            def robins_follow_ups() -> set[str]:
                items = api.get("/api/v1/owner/follow-ups", params={"state": "scheduled"}).json()
                return {f["id"] for f in items["items"] if f["lead_id"] == robin["id"]}

            # Schedule a follow-up: Ctrl+Shift+F opens the dialog on tomorrow; Enter schedules.
            before = robins_follow_ups()
            app.focus(window)
            app.key("ctrl+shift+f")
            dialog = app.wait_for_window(r"^Schedule follow-up$")
            app.focus(dialog)
            app.key("Return")
            app.wait_gone(dialog)

            wait_until(
                "the new follow-up on the server",
                lambda: robins_follow_ups() - before,
                timeout=30,
            )

            sign_out(app, window)
            app.assert_running()  # signing out is not quitting
            window = sign_in_again(app, server)
            app.assert_running()
            assert local_lead_count(app) == leads
            app.screenshot(tmp_path / "3-signed-in-again.png")
        finally:
            app.stop()


def test_closing_the_sign_in_ends_the_app(tmp_path: Path) -> None:
    with x_server() as display:
        app = DesktopApp([str(VENV_BIN / "leadflow")], display, tmp_path / "home")
        try:
            dialog = app.wait_for_window(r"^Sign in")
            app.focus(dialog)
            app.key("Escape")
            wait_until("the app to end", lambda: not app.running(), timeout=20)
            assert app.process.returncode == 0
        finally:
            app.stop()

"""Screenshots of every page of the owner app, with realistic demo data.

Starts the real server on loopback (SQLite in a temporary folder, the worker and the built-in AI
on, an SMTP sink), onboards a plumbing business and fills it the way it is really used —
customers submit the form, the AI answers the safe requests and holds the rest, the owner
replies, books, writes notes, sends and cancels follow-ups — then signs in to the desktop app
and saves one PNG per page and theme into ``docs/screenshots/owner-{light,dark}-*.png``, at the
main window's default size.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots_owner.py
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import keyring  # noqa: E402
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop.app import qt_application  # noqa: E402
from desktop.ui.main_window import DEFAULT_SIZE  # noqa: E402
from desktop.ui.theme import apply_theme  # noqa: E402
from shared.models.enums import FollowUpState  # noqa: E402
from tests.server.support import body_text  # noqa: E402
from tests.support.keyring import MemoryKeyring  # noqa: E402
from tests.support.live_server import (  # noqa: E402
    LiveServer,
    create_business,
    live_server,
)

OUT = ROOT / "docs" / "screenshots"
OWNER = "olive@harbourplumbing.example"
PASSWORD = "owner-password-123"
SERVICES = ["Leak repair", "Boiler service", "Bathroom fitting", "Drain unblocking"]
# name, email, phone, service, preferred time, message
CUSTOMERS = [
    (
        "Maya Chen",
        "maya.chen@example.com",
        "+1 207 555 0142",
        "Leak repair",
        "Saturday morning",
        "There's water coming through the kitchen ceiling under the bathroom. Could someone come "
        "and have a look this week?",
    ),
    (
        "Tom Becker",
        "tom.becker@example.net",
        None,
        "Boiler service",
        "Weekdays after 5pm",
        "Our boiler is due its yearly service. What would it cost and when are you free?",
    ),
    (
        "Priya Patel",
        "priya@example.org",
        "+1 207 555 0177",
        "Bathroom fitting",
        "Next month",
        "We'd like to replace the bath with a walk-in shower. Could you visit to measure up?",
    ),
    (
        "Jordan Lee",
        None,
        "+1 207 555 0119",
        "Drain unblocking",
        "Any time",
        "Outside drain is overflowing. Please call me back, I don't use email.",
    ),
    (
        "Aisha Khan",
        "aisha.khan@example.com",
        None,
        "Leak repair",
        "Tomorrow",
        "Dripping tap in the utility room, not urgent but annoying.",
    ),
    (
        "Lukas Novak",
        "lukas@example.eu",
        "+1 207 555 0160",
        "Boiler service",
        None,
        "No hot water since this morning and the boiler shows error E119. Can you come today?",
    ),
    (
        "Grace O'Neill",
        "grace.oneill@example.ie",
        None,
        "Bathroom fitting",
        "Mornings",
        "Do you also tile? Looking for a full bathroom refit and a guaranteed price.",
    ),
    (
        "Daniel Silva",
        "daniel.silva@example.com",
        "+1 207 555 0133",
        "Drain unblocking",
        None,
        "Kitchen sink drains very slowly even after using a plunger.",
    ),
    (
        "Hannah Weber",
        "hannah.weber@example.com",
        None,
        "Leak repair",
        "Friday afternoon",
        "Toilet cistern keeps running. Could you fix it on Friday?",
    ),
    (
        "Sam Rivera",
        "sam.rivera@example.com",
        "+1 207 555 0191",
        "Boiler service",
        "Evenings",
        "Radiators upstairs stay cold. Could you bleed and balance them?",
    ),
]


def wait_until(app: QApplication, predicate: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float = 0.4) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def shoot(app: QApplication, widget: QWidget, name: str) -> None:
    settle(app)
    path = OUT / f"owner-{name}.png"
    widget.grab().save(str(path))
    print("wrote", path.relative_to(ROOT), flush=True)


# -- the demo data, through the real API ---------------------------------------------------------


def seed(live: LiveServer) -> dict[str, str]:
    """Onboard the business, let customers write, act as the owner; the leads' ids by name."""
    with live.admin_http() as admin:
        business = create_business(
            admin,
            "Harbour Plumbing",
            OWNER,
            owner_name="Olive Marsh",
            industry="plumbing",
            brand_color="#0f766e",
            smart_auto_reply=True,
            owner_approval_required=False,
            services=SERVICES,
            phone="+1 207 555 0100",
        )
        accept_invite(live)
        logo = admin.post(
            f"/api/v1/admin/businesses/{business['id']}/logo",
            files={"file": ("logo.png", logo_png("#0f766e"), "image/png")},
        )
        logo.raise_for_status()
        for name, email, phone, service, when, message in CUSTOMERS:
            body = {
                "customer_name": name,
                "customer_phone": phone,
                "service_needed": service,
                "preferred_time": when,
                "message": message,
                "utm_source": random.choice(["google", "flyer", "instagram", None]),
            }
            if email:
                body["customer_email"] = email
            response = admin.post(
                f"/api/v1/public/forms/{business['form_slug']}/submit",
                json={"submission_id": os.urandom(16).hex(), **body},
            )
            response.raise_for_status()
        wait_for_queue(admin)
    owner = owner_client(live)
    leads = {
        lead["customer_name"]: lead["id"] for lead in owner.get("/leads?limit=100").json()["items"]
    }
    act_as_owner(owner, leads)
    with live.admin_http() as admin:
        wait_for_queue(admin)
    spread_over_two_weeks(live, leads)
    return leads


def logo_png(colour: str) -> bytes:
    """A plain demo logo: the business's initials on its brand colour."""
    image = QImage(240, 240, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(image.rect(), 48, 48)
    painter.setPen(QColor("white"))
    painter.setFont(QFont("DejaVu Sans", 72, QFont.Weight.Bold))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "HP")
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def accept_invite(live: LiveServer) -> None:
    deadline = time.monotonic() + 20
    while not live.smtp.to(OWNER):
        if time.monotonic() > deadline:
            raise TimeoutError("no invite")
        time.sleep(0.05)
    token = body_text(live.smtp.to(OWNER)[-1]).split("/invite/", 1)[1].split()[0].strip(".")
    httpx.post(
        f"{live.url}/api/v1/auth/invites/accept",
        json={"token": token, "password": PASSWORD, "full_name": "Olive Marsh"},
    ).raise_for_status()


def owner_client(live: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=f"{live.url}/api/v1/owner", timeout=20)
    login = httpx.post(f"{live.url}/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
    login.raise_for_status()
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return client


def wait_for_queue(http: httpx.Client, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = http.get("/api/v1/admin/settings").json()["queue"]
        if queue["due"] == 0 and queue["running"] == 0:
            return
        time.sleep(0.1)


def act_as_owner(owner: httpx.Client, leads: dict[str, str]) -> None:
    def post(path: str, body: dict[str, object]) -> None:
        owner.post(path, json=body).raise_for_status()

    post(
        f"/leads/{leads['Maya Chen']}/messages",
        {
            "content": "Hi Maya, thanks for the photos. I can come on Thursday at 9am to find the "
            "leak and stop it. Does that suit you?"
        },
    )
    post(
        f"/leads/{leads['Maya Chen']}/notes",
        {"content": "Ceiling stain ~30 cm, bring the moisture meter. Parking on the street only."},
    )
    owner.patch(f"/leads/{leads['Maya Chen']}", json={"status": "booked"}).raise_for_status()
    post(
        f"/leads/{leads['Priya Patel']}/messages",
        {"content": "Hello Priya, happy to measure up. Would Tuesday 4pm work for a visit?"},
    )
    owner.patch(f"/leads/{leads['Priya Patel']}", json={"status": "contacted"}).raise_for_status()
    owner.patch(f"/leads/{leads['Hannah Weber']}", json={"status": "lost"}).raise_for_status()
    follow_ups = {f["lead_id"]: f for f in owner.get("/follow-ups?limit=100").json()["items"]}
    today = datetime.now(UTC).replace(hour=23, minute=0, second=0, microsecond=0)
    for name, change in (
        ("Aisha Khan", {"status": "sent"}),
        ("Tom Becker", {"scheduled_at": today.isoformat()}),
        ("Daniel Silva", {"status": "canceled"}),
    ):
        follow_up = follow_ups.get(leads[name])
        if follow_up is not None:
            owner.patch(f"/follow-ups/{follow_up['id']}", json=change).raise_for_status()


def spread_over_two_weeks(live: LiveServer, leads: dict[str, str]) -> None:
    """Customers do not all write on the same afternoon: move leads back over 14 days, oldest
    first, and leave one follow-up overdue. Raw writes are fine here: the app bootstraps after."""
    rng = random.Random(11)
    path = live.settings.database_url.split("///", 1)[1]
    now = datetime.now(UTC)
    offsets = sorted(
        (
            timedelta(days=rng.choice([0, 1, 1, 2, 3, 5, 6, 8, 10, 12]), hours=rng.randint(0, 8))
            for _ in leads
        ),
        reverse=True,
    )
    with sqlite3.connect(path) as db:
        order = [r[0] for r in db.execute("SELECT id FROM leads ORDER BY created_at")]
        for lead_id, back in zip(order, offsets, strict=False):
            if back >= timedelta(days=1):
                stamp = (now - back).strftime("%Y-%m-%d %H:%M:%S.%f")
                db.execute("UPDATE leads SET created_at = ? WHERE id = ?", (stamp, lead_id))
        overdue = (now - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute(
            "UPDATE follow_ups SET scheduled_at = ? WHERE lead_id = ? AND status = 'scheduled'",
            (overdue, leads["Sam Rivera"].replace("-", "")),
        )
        db.execute(
            "UPDATE follow_ups SET scheduled_at = ? WHERE lead_id = ? AND status = 'scheduled'",
            (overdue, leads["Sam Rivera"]),
        )


# -- the app -------------------------------------------------------------------------------------


def sign_in(app: QApplication, controller, live: LiveServer):
    shown: list[object] = []
    opened: list[object] = []
    controller.login_shown.connect(shown.append)
    controller.window_opened.connect(opened.append)
    controller.start()
    wait_until(app, lambda: shown)
    login = shown[0]
    login.server.setText(live.url)
    login.email.setText(OWNER)
    login.password.setText(PASSWORD)
    for theme in ("light", "dark"):
        apply_theme(theme)
        shoot(app, login, f"{theme}-sign-in")
    apply_theme("light")
    login.submit.click()
    wait_until(app, lambda: opened)
    window = opened[0]
    window.resize(*DEFAULT_SIZE)
    wait_until(app, lambda: window.status_label.text().endswith("Online"))
    wait_until(app, lambda: window.inbox.model.rowCount() >= 8)
    return window


def take_all(app: QApplication, window, live: LiveServer, leads: dict[str, str]) -> None:
    for theme in ("light", "dark"):
        apply_theme(theme)
        take_pages(app, window, leads, theme)
        sheet = window.show_shortcuts()
        shoot(app, sheet, f"{theme}-shortcuts")
        sheet.close()
    apply_theme("light")
    take_offline_queue(app, window, live, leads)


def take_pages(app: QApplication, window, leads: dict[str, str], theme: str) -> None:
    window.show_page(window.overview)
    wait_until(app, lambda: window.overview.cards["total_leads"].value.text() != "—")
    wait_until(app, lambda: window.overview.needs_action.count() > 0)
    shoot(app, window, f"{theme}-overview")

    inbox, detail = window.inbox, window.inbox.detail
    window.show_page(inbox)
    window.open_lead(leads["Grace O'Neill"])
    wait_until(app, lambda: detail.lead is not None and detail.lead.ai is not None)
    for number, name in enumerate(("request", "ai", "conversation", "history")):
        detail.tabs.setCurrentIndex(number)
        settle(app, 0.6)
        shoot(app, window, f"{theme}-leads-{name}")
    detail.tabs.setCurrentIndex(0)

    window.show_page(window.messages)
    wait_until(app, lambda: window.messages.list.count() > 0)
    window.messages.list.clearSelection()
    window.messages.show_conversation(None)
    shoot(app, window, f"{theme}-messages-none-chosen")
    window.messages.list.setCurrentRow(0)
    shoot(app, window, f"{theme}-messages")

    page = window.follow_ups
    window.show_page(page)
    wait_until(app, lambda: "(0)" not in page.tabs.tabText(2))
    page.tabs.setCurrentIndex(2)
    page.lists[FollowUpState.SCHEDULED].setCurrentRow(0)
    shoot(app, window, f"{theme}-follow-ups")

    form = window.form_page
    window.show_page(form)
    wait_until(app, lambda: bool(form.qr_png) and form.preview.view is not None)
    settle(app, 2.5)  # the web view paints after its load
    shoot(app, window, f"{theme}-my-form")

    window.show_page(window.settings_page)
    wait_until(app, lambda: window.settings_page.business is not None)
    wait_until(app, lambda: window.settings_page.team.count() > 0)
    wait_until(app, lambda: not window.settings_page.logo.pixmap().isNull())
    shoot(app, window, f"{theme}-settings")
    window.show_page(window.inbox)


def take_offline_queue(app: QApplication, window, live: LiveServer, leads: dict[str, str]) -> None:
    inbox, detail = window.inbox, window.inbox.detail
    # The offline queue: a reply the server refused (no email address), then the server gone
    # and two changes waiting for it.
    window.show_page(inbox)
    session = window.session
    session.reply(leads["Jordan Lee"], "Hi Jordan, I'll call you this afternoon.")
    wait_until(app, lambda: window.outbox.isVisible() and "refused" in window.outbox.summary.text())
    live.stop()
    session.sync_now()
    wait_until(app, lambda: window.status_label.text().endswith("Offline"))
    window.open_lead(leads["Lukas Novak"])
    wait_until(app, lambda: detail.lead is not None and str(detail.lead.id) == leads["Lukas Novak"])
    session.reply(leads["Lukas Novak"], "On my way — I'll be there by 2pm to look at the boiler.")
    session.set_status(leads["Lukas Novak"], "booked")
    detail.tabs.setCurrentIndex(2)
    wait_until(app, lambda: session.queued_count == 2)
    shoot(app, window, "light-offline-queue")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(MemoryKeyring())
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["LEADFLOW_DESKTOP_DATA_DIR"] = str(tmp / "desktop")
        app = qt_application(sys.argv)
        from desktop.ui.controller import AppController

        with live_server(
            tmp, intake_ip_limit=10_000, intake_form_limit=10_000, job_max_attempts=1
        ) as live:
            controller = None
            try:
                leads = seed(live)
                settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
                controller = AppController(settings=settings, poll_s=2.0, modal_login=False)
                window = sign_in(app, controller, live)
                take_all(app, window, live, leads)
            finally:
                if controller is not None:
                    if controller.window is not None:
                        controller.window.quitting = True
                    controller.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

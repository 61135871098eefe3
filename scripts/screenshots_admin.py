"""Screenshots of every page of the desktop admin console, with realistic demo data.

Starts the real server on loopback (SQLite in a temporary folder, the worker on, an SMTP sink),
fills it through the API the way a platform is really used — businesses onboarded, owners who
accepted their invites, customers submitting forms, a few deliveries refused by the mail server —
then opens ``AdminConsole`` at the admin window's default size and saves one PNG per page and
theme into ``docs/screenshots/admin-{light,dark}-*.png``.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots_admin.py
"""

from __future__ import annotations

import random
import re
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
from PySide6.QtGui import QColor, QFont, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.admin.cache import PageCache  # noqa: E402
from desktop.admin.service import AdminService  # noqa: E402
from desktop.app import qt_application  # noqa: E402
from desktop.ui.admin import AdminConsole  # noqa: E402
from desktop.ui.admin.common import Dialogs  # noqa: E402
from desktop.ui.admin_window import DEFAULT_SIZE  # noqa: E402
from desktop.ui.theme import apply_theme  # noqa: E402
from tests.server.support import body_text  # noqa: E402
from tests.support.live_server import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LiveServer,
    create_business,
    live_server,
    submit_lead,
)

OUT = ROOT / "docs" / "screenshots"
THEME = ["light"]  # the theme being shot: part of each file's name

BUSINESSES = [
    # name, industry, colour, owner, owner name, status, smart auto-reply, services
    (
        "Harbour Plumbing",
        "plumbing",
        "#0f766e",
        "olive@harbourplumbing.example",
        "Olive Marsh",
        "active",
        True,
        ["Leak repair", "Boiler service", "Bathroom fitting"],
    ),
    (
        "Sparkle & Shine Cleaning",
        "cleaning",
        "#7c3aed",
        "priya@sparkleshine.example",
        "Priya Nair",
        "active",
        True,
        ["Deep clean", "Regular cleaning", "Office cleaning"],
    ),
    (
        "Northside Dental Studio",
        "dental",
        "#2563eb",
        "dr.chen@northsidedental.example",
        "Dr. Wei Chen",
        "active",
        False,
        ["Check-up", "Whitening", "Emergency appointment"],
    ),
    (
        "Green Thumb Landscaping",
        "landscaping",
        "#15803d",
        "marco@greenthumb.example",
        "Marco Rossi",
        "paused",
        False,
        ["Garden design", "Lawn care"],
    ),
    (
        "Bright Spark Electrical",
        "electrical",
        "#d97706",
        "sam@brightspark.example",
        "Sam Okafor",
        "pending",
        False,
        [],
    ),
    (
        "Old Town Bakery",
        "food",
        "#b45309",
        "hello@oldtownbakery.example",
        "Ines Duarte",
        "archived",
        False,
        [],
    ),
]
CUSTOMERS = [
    (
        "Maya Chen",
        "maya.chen@example.com",
        "Saturday morning",
        "We're moving out at the end of the month. Could someone get in touch about a quote?",
    ),
    (
        "Tom Becker",
        "tom.becker@example.net",
        None,
        "How soon could you come round? It has been getting worse since yesterday.",
    ),
    (
        "Priya Patel",
        "priya@example.org",
        "Weekdays after 5pm",
        "Looking for a regular arrangement, ideally starting next month.",
    ),
    ("Jordan Lee", None, "Any time", "Please call me back, no email here."),
    ("Aisha Khan", "aisha.khan@example.com", "Next week", "Do you cover the east side of town?"),
    ("Lukas Novak", "lukas@example.eu", None, "Can I book something for Friday?"),
    ("Grace O'Neill", "grace.oneill@example.ie", "Mornings", "What would you need from me?"),
    ("Daniel Silva", "daniel.silva@example.com", None, "Saw your flyer — interested!"),
]


def wait_until(app: QApplication, predicate: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def logo_png(path: Path, name: str, colour: str) -> Path:
    image = QImage(240, 120, QImage.Format.Format_ARGB32)
    image.fill(QColor(colour))
    painter = QPainter(image)
    painter.setPen(QColor("white"))
    painter.setFont(QFont("DejaVu Sans", 44, QFont.Weight.Bold))
    initials = "".join(w[0] for w in name.split() if w[0].isalpha())[:2]
    painter.drawText(image.rect(), 0x84, initials)  # AlignCenter
    painter.end()
    image.save(str(path))
    return path


def seed(live: LiveServer, tmp: Path) -> None:
    rng = random.Random(7)
    with live.admin_http() as http:
        for name, industry, colour, owner, owner_name, status, smart, services in BUSINESSES:
            business = create_business(
                http,
                name,
                owner,
                activate=False,
                owner_name=owner_name,
                industry=industry,
                brand_color=colour,
                smart_auto_reply=smart,
                owner_approval_required=not smart,
                services=services or None,
                phone=f"+1 207 555 01{rng.randint(10, 99)}",
            )
            logo = logo_png(tmp / f"{business['id']}.png", name, colour)
            with open(logo, "rb") as handle:
                http.post(
                    f"/api/v1/admin/businesses/{business['id']}/logo",
                    files={"file": ("logo.png", handle, "image/png")},
                ).raise_for_status()
            if status != "pending":
                accept_invite(live, owner)
                http.patch(
                    f"/api/v1/admin/businesses/{business['id']}/status", json={"status": "active"}
                ).raise_for_status()
                for _ in range(rng.randint(4, 9)):
                    customer = rng.choice(CUSTOMERS)
                    if rng.random() < 0.12:
                        live.smtp.fail_with = 550  # a mailbox that refuses: a failed delivery
                    submit_lead(
                        http,
                        business["form_slug"],
                        customer_name=customer[0],
                        customer_email=customer[1],
                        preferred_time=customer[2],
                        service_needed=rng.choice(services) if services else None,
                        message=customer[3],
                    )
                    wait_for_queue(http)
                    live.smtp.fail_with = None
            if status in ("paused", "archived"):
                http.patch(
                    f"/api/v1/admin/businesses/{business['id']}/status", json={"status": status}
                ).raise_for_status()
        wait_for_queue(http)
    spread_over_two_weeks(live, rng)


def accept_invite(live: LiveServer, owner: str) -> None:
    deadline = time.monotonic() + 20
    while not live.smtp.to(owner):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no invite reached {owner}")
        time.sleep(0.05)
    token = re.search(r"/invite/([A-Za-z0-9_\-]+)", body_text(live.smtp.to(owner)[-1]))
    assert token is not None
    httpx.post(
        f"{live.url}/api/v1/auth/invites/accept",
        json={"token": token.group(1), "password": "owner-password-123"},
    ).raise_for_status()


def wait_for_queue(http, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = http.get("/api/v1/admin/settings").json()["queue"]
        if queue["due"] == 0 and queue["running"] == 0:  # follow-ups due tomorrow may wait
            return
        time.sleep(0.1)


def spread_over_two_weeks(live: LiveServer, rng: random.Random) -> None:
    """Customers do not all write on the same afternoon: move the leads back over 14 days."""
    path = live.settings.database_url.split("///", 1)[1]
    now = datetime.now(UTC)
    with sqlite3.connect(path) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM leads")]
        for lead_id in ids:
            when = now - timedelta(
                days=rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 9, 11, 13]),
                hours=rng.randint(0, 9),
                minutes=rng.randint(0, 59),
            )
            db.execute(
                "UPDATE leads SET created_at = ? WHERE id = ?",
                (when.strftime("%Y-%m-%d %H:%M:%S.%f"), lead_id),
            )


def shoot(app: QApplication, console: AdminConsole, name: str) -> None:
    app.processEvents()
    path = OUT / f"admin-{THEME[0]}-{name}.png"
    console.grab().save(str(path))
    print("wrote", path.relative_to(ROOT))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = qt_application(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        with live_server(
            tmp, intake_ip_limit=10_000, intake_form_limit=10_000, job_max_attempts=1
        ) as live:
            service = None
            try:
                seed(live, tmp)
                service = AdminService.standalone(live.url, cache=PageCache(tmp / "cache.sqlite3"))
                service.service.submit(service.client.login(ADMIN_EMAIL, ADMIN_PASSWORD)).result(10)
                dialogs = Dialogs(
                    confirm=lambda *_: True,
                    save_path=lambda *_: str(tmp / "leads-export.csv"),
                    open_path=lambda *_: str(logo_png(tmp / "new.png", "Coastal Yoga", "#db2777")),
                )
                console = AdminConsole(service, dialogs)
                console.resize(*DEFAULT_SIZE)
                console.show()
                for theme in ("light", "dark"):
                    THEME[0] = theme
                    apply_theme(theme)
                    take_all(app, console)
                create_and_shoot(app, console)
            finally:
                if service is not None:
                    service.stop()
    return 0


def take_all(app: QApplication, console: AdminConsole) -> None:
    console.show_page("Overview")
    wait_until(
        app, lambda: console.overview.metrics is not None and console.overview.recent.count() > 0
    )
    shoot(app, console, "overview")
    for name, page in (
        ("Businesses", console.businesses),
        ("Owners", console.owners),
        ("Emails", console.emails),
    ):
        console.show_page(name)
        wait_until(app, lambda page=page: page.loaded_once and page.model.rowCount() > 0)
        if name == "Businesses":
            console.businesses.view.selectRow(0)
        shoot(app, console, name.lower())
    console.show_page("Leads")
    leads = console.leads
    wait_until(app, lambda: leads.loaded_once and leads.model.rowCount() > 0)
    leads.export_bar.start()
    wait_until(app, lambda: leads.export_bar.job is None)
    shoot(app, console, "leads")
    console.show_page("Automations")
    wait_until(app, lambda: console.automations.model.rowCount() > 0)
    shoot(app, console, "automations")
    console.show_page("Audit log")
    audit = console.audit_log
    wait_until(app, lambda: audit.model.rowCount() > 0)
    for row in range(audit.proxy.rowCount()):
        if audit.proxy.index(row, audit.model.ACTION).data() == "business.status_changed":
            audit.view.selectRow(row)
            break
    shoot(app, console, "audit-log")
    console.show_page("Health")
    wait_until(app, lambda: console.settings.health is not None)
    shoot(app, console, "health")
    first = console.businesses.model.rows[0]
    console.edit_business(str(first.id))
    wait_until(app, lambda: console.edit_page.save.isEnabled())
    shoot(app, console, "edit-business")


def create_and_shoot(app: QApplication, console: AdminConsole) -> None:
    console.show_page("Create business")
    page = console.create_page
    form = page.form
    form.name.setText("Coastal Yoga Collective")
    form.industry.setText("fitness")
    form.contact_email.setText("studio@coastalyoga.example")
    form.phone.setText("+1 207 555 0188")
    form.services.setText("Drop-in class, Private session, Workshop")
    form.owner_email.setText("lena@coastalyoga.example")
    form.owner_name.setText("Lena Fischer")
    form.colour.setText("#db2777")
    form._choose_logo()
    form.smart_auto_reply.setChecked(True)
    for theme in ("light", "dark"):
        THEME[0] = theme
        apply_theme(theme)
        shoot(app, console, "create-business")
    page.create()
    wait_until(app, lambda: "invite email sent" in page.invite.text())
    for theme in ("light", "dark"):
        THEME[0] = theme
        apply_theme(theme)
        shoot(app, console, "create-business-done")


if __name__ == "__main__":
    sys.exit(main())

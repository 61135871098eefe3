"""Settings: the platform's health as the server reports it (``GET /admin/settings``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.admin.common import StatusLine, when
from shared.models.admin import PlatformHealth

TAG = "settings.health"


def yes_no(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    return "unknown" if value is None else (yes if value else no)


def age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def sections(h: PlatformHealth) -> dict[str, list[tuple[str, str]]]:
    """What each box of the page shows, as (label, value) pairs."""
    ai, mail, queue, db = h.ai, h.email, h.queue, h.database
    last_ai = ai.last_analysis
    last_mail = mail.last_delivery
    return {
        "Database": [
            ("Kind", db.kind),
            ("Migration head", db.head_revision or "—"),
            ("Applied", db.current_revision or "—"),
            ("Up to date", yes_no(db.up_to_date)),
        ],
        "AI": [
            ("Provider", ai.provider),
            ("Model", ai.model),
            ("Configured", yes_no(ai.configured)),
            (
                "Last call",
                f"{when(last_ai.at)} — {last_ai.status}, {last_ai.latency_ms} ms"
                if last_ai
                else "none yet",
            ),
            ("Last call ok", yes_no(ai.last_ok)),
            (
                "Avg latency (24 h)",
                f"{ai.avg_latency_ms_24h:.0f} ms" if ai.avg_latency_ms_24h is not None else "—",
            ),
        ],
        "Email": [
            ("Provider", mail.provider),
            ("Configured", yes_no(mail.configured)),
            (
                "Last delivery",
                f"{when(last_mail.at)} — {last_mail.status}"
                + (f" ({last_mail.error})" if last_mail.error else "")
                if last_mail
                else "none yet",
            ),
            ("Last delivery ok", yes_no(mail.last_ok)),
            ("Queued", str(mail.queued)),
        ],
        "Job queue": [
            ("Queued", str(queue.queued)),
            ("Running", str(queue.running)),
            ("Failed for good", str(queue.failed)),
            ("Due now", str(queue.due)),
            ("Oldest due job", age(queue.oldest_due_age_s)),
        ]
        + [  # the latest dead jobs, so an operator sees what gave up and why
            (
                f"Dead: {job.kind}",
                f"{when(job.finished_at)}, {job.attempts} attempts — {job.last_error or '—'}",
            )
            for job in queue.dead[:5]
        ],
        "Workers": [
            ("Alive", str(h.workers.alive)),
            ("Last heartbeat", when(h.workers.latest_seen_at, seconds=True) or "never"),
        ]
        + [
            (w.worker_id[:24], f"{'alive' if w.alive else 'silent'}, seen {age(w.age_s)} ago")
            for w in h.workers.workers[:4]
        ],
        "Inbound mail": inbound_rows(h),
        "Totals": [
            ("Businesses", str(h.totals.businesses)),
            ("Users", str(h.totals.users)),
            ("Leads", str(h.totals.leads)),
            ("Emails", str(h.totals.emails)),
            ("Audit entries", str(h.totals.audit_logs)),
        ],
    }


def inbound_rows(h: PlatformHealth) -> list[tuple[str, str]]:
    inbound = h.inbound
    if inbound is None or not inbound.enabled:
        return [("Status", "off (no inbound domain set)")]
    rows = [("Domain", inbound.domain or "—"), ("Unmatched mail", str(inbound.unmatched))]
    for channel in inbound.channels:
        if not channel.configured:
            rows.append((channel.name.upper() if channel.name == "imap" else "Webhook", "off"))
            continue
        name = "IMAP" if channel.name == "imap" else "Webhook"
        state = f"{channel.processed} processed, last mail {when(channel.last_mail_at) or 'never'}"
        if channel.name == "imap":
            state += (
                f", last poll {when(channel.last_poll_at, seconds=True) or 'never'},"
                f" backlog {channel.backlog}"
            )
        if channel.last_error:
            state += f" — last error {when(channel.last_error_at)}: {channel.last_error}"
        rows.append((name, state))
    return rows


class HealthPage(QWidget):
    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.health: PlatformHealth | None = None
        self.status = StatusLine()
        self.header = QLabel("")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(refresh)
        self.grid = QGridLayout()
        self.boxes: dict[str, QFormLayout] = {}
        titles = ("Database", "AI", "Email", "Job queue", "Workers", "Inbound mail", "Totals")
        for n, title in enumerate(titles):
            box = QGroupBox(title)
            form = QFormLayout(box)
            self.boxes[title] = form
            self.grid.addWidget(box, n // 2, n % 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addLayout(self.grid)
        layout.addStretch(1)
        service.loaded.connect(self._on_loaded)
        service.load_failed.connect(self._on_failed)

    def refresh(self) -> None:
        self.service.load(TAG, "settings")

    def _on_loaded(self, tag: str, health: Any, cached_at: Any) -> None:
        if tag != TAG:
            return
        self.health = health
        self.status.cached(cached_at)
        self.header.setText(
            f"{health.public_url} · {health.env} · checked {when(health.checked_at, seconds=True)}"
        )
        for title, rows in sections(health).items():
            form = self.boxes[title]
            while form.rowCount():
                form.removeRow(0)
            for label, value in rows:
                text = QLabel(value)
                text.setWordWrap(True)
                form.addRow(label, text)

    def _on_failed(self, tag: str, error: Any) -> None:
        if tag == TAG:
            self.status.error(error)

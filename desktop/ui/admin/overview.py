"""Overview: platform KPIs, 14 days of leads (QtCharts), recent businesses, quick actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.admin.common import StatusLine, when, words
from desktop.ui.keyboard import no_tab_stop
from shared.models.admin import AdminKpis

RECENT_TAG = "overview.recent"
METRICS_TAG = "overview.metrics"


class KpiCard(QFrame):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = QLabel("—")
        self.value.setStyleSheet("font-size: 24px; font-weight: 600")
        self.detail = QLabel("")
        self.detail.setStyleSheet("color: #6b7280")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        layout.addWidget(self.value)
        layout.addWidget(self.detail)

    def set_value(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)


def kpi_texts(k: AdminKpis) -> dict[str, tuple[str, str]]:
    rate = "—" if k.delivery_rate is None else f"{k.delivery_rate:.1%}"
    return {
        "businesses": (str(k.businesses_total), f"{k.businesses_active} active"),
        "leads_today": (str(k.leads_today), f"{k.leads_this_week} this week"),
        "leads_total": (str(k.leads_total), "all businesses"),
        "emails": (str(k.emails_sent), f"{k.emails_failed} failed, {k.emails_queued} queued"),
        "delivery": (rate, "sent ÷ (sent + failed)"),
        "ai": (str(k.ai_replies), f"AI replies vs {k.acknowledgements} acknowledgements"),
    }


KPIS = (
    ("businesses", "Businesses"),
    ("leads_today", "Leads today"),
    ("leads_total", "Leads in total"),
    ("emails", "Emails sent"),
    ("delivery", "Delivery rate"),
    ("ai", "AI replies"),
)


class OverviewPage(QWidget):
    create_requested = Signal()
    open_page = Signal(str)  # page name
    edit_requested = Signal(str)  # business id

    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.metrics: Any = None
        self.status = StatusLine()
        self.cards = {key: KpiCard(title) for key, title in KPIS}
        grid = QGridLayout()
        for n, card in enumerate(self.cards.values()):
            grid.addWidget(card, n // 3, n % 3)
        self.chart = QChart()
        self.chart.setTitle("New leads per day, all businesses (14 days)")
        self.chart.legend().hide()
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        no_tab_stop(self.chart_view)  # a picture: its figures are in the cards above
        self.recent = QListWidget()
        self.recent.setAccessibleName("Recent businesses")
        self.recent.itemActivated.connect(
            lambda item: self.edit_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        actions = QVBoxLayout()
        actions.addWidget(QLabel("Quick actions"))
        for label, slot in (
            ("New business…", self.create_requested.emit),
            ("Review failed emails", lambda: self.open_page.emit("Emails")),
            ("Automation switches", lambda: self.open_page.emit("Automations")),
            ("Platform health", lambda: self.open_page.emit("Health")),
            ("Refresh", self.refresh),
        ):
            button = QPushButton(label)
            button.clicked.connect(slot)
            actions.addWidget(button)
        actions.addStretch(1)
        recent_box = QVBoxLayout()
        recent_box.addWidget(QLabel("Recent businesses"))
        recent_box.addWidget(self.recent, 1)
        bottom = QHBoxLayout()
        bottom.addLayout(recent_box, 3)
        bottom.addLayout(actions, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(grid)
        layout.addWidget(self.chart_view, 2)
        layout.addLayout(bottom, 1)
        service.loaded.connect(self._on_loaded)
        service.load_failed.connect(self._on_failed)

    def refresh(self) -> None:
        self.service.load(METRICS_TAG, "metrics")
        self.service.load(RECENT_TAG, "businesses", {"limit": 6})

    def _on_loaded(self, tag: str, data: Any, cached_at: Any) -> None:
        if tag == METRICS_TAG:
            self.metrics = data
            self.status.cached(cached_at)
            for key, (value, detail) in kpi_texts(data.kpis).items():
                self.cards[key].set_value(value, detail)
            self._chart(data.daily_leads)
        elif tag == RECENT_TAG:
            self.recent.clear()
            for business in data.items:
                item = QListWidgetItem(
                    f"{business.name} — {words(business.status).lower()}, "
                    f"created {when(business.created_at)}"
                )
                item.setData(Qt.ItemDataRole.UserRole, str(business.id))
                self.recent.addItem(item)

    def _chart(self, daily: list[Any]) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        bars = QBarSet("Leads")
        bars.setColor(QColor("#2563eb"))
        bars.append([float(day.count) for day in daily])
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        days = QBarCategoryAxis()
        days.append([day.date[5:] for day in daily])
        values = QValueAxis()
        values.setLabelFormat("%d")
        top = max([d.count for d in daily] + [1])
        if top <= 10:  # whole leads: one tick per lead
            values.setRange(0, top)
            values.setTickCount(top + 1)
        else:
            values.setRange(0, top)
            values.applyNiceNumbers()
        self.chart.addAxis(days, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(days)
        series.attachAxis(values)

    def _on_failed(self, tag: str, error: Any) -> None:
        if tag in (METRICS_TAG, RECENT_TAG):
            self.status.error(error)

"""Overview: KPI cards and the 14-day chart from ``/metrics``, needs-action list, the form link."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.queries import LeadRow

if TYPE_CHECKING:
    from shared.models.leads import OwnerMetrics

NEEDS_ACTION_LIMIT = 200  # the newest; the inbox's "New" filter lists them all
KPIS = (
    ("new_leads", "New leads"),
    ("follow_ups_due", "Follow-ups due"),
    ("booked", "Booked"),
    ("total_leads", "Total leads"),
    ("ai_replied", "AI replied"),
    ("awaiting_approval", "Awaiting approval"),
)


class KpiCard(QFrame):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = QLabel("—")
        self.value.setStyleSheet("font-size: 26px; font-weight: 600")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        layout.addWidget(self.value)


class OverviewPage(QWidget):
    NEEDS_ACTION_TOKEN = -1

    def __init__(self, session: Any, open_lead: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.cards = {key: KpiCard(title) for key, title in KPIS}
        grid = QGridLayout()
        for n, card in enumerate(self.cards.values()):
            grid.addWidget(card, n // 3, n % 3)
        self.chart = QChart()
        self.chart.setTitle("Leads per day (14 days)")
        self.chart.legend().hide()
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        self.needs_action = QListWidget()
        self.needs_action.itemActivated.connect(
            lambda item: open_lead(item.data(Qt.ItemDataRole.UserRole))
        )
        self.form_link = QLineEdit()
        self.form_link.setReadOnly(True)
        copy = QPushButton("Copy link")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.form_link.text()))
        self.note = QLabel("")
        link = QHBoxLayout()
        link.addWidget(QLabel("Your form:"))
        link.addWidget(self.form_link, 1)
        link.addWidget(copy)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.chart_view, 1)
        layout.addWidget(QLabel("Needs action (new, not yet answered):"))
        layout.addWidget(self.needs_action, 1)
        layout.addLayout(link)
        layout.addWidget(self.note)
        session.metrics_ready.connect(self.show_metrics)
        session.leads_ready.connect(self._on_rows)
        session.business_ready.connect(
            lambda b: self.form_link.setText(b.form_url or self.form_link.text())
        )
        session.form_ready.connect(lambda f: self.form_link.setText(f.url or self.form_link.text()))
        session.failed.connect(self._failed)

    def refresh(self) -> None:
        self.session.load_metrics()
        self.session.load_business()
        self.session.query_leads(self.NEEDS_ACTION_TOKEN, "new", "", limit=NEEDS_ACTION_LIMIT)

    def show_metrics(self, metrics: OwnerMetrics) -> None:
        self.note.setText("")
        for key, card in self.cards.items():
            card.value.setText(str(getattr(metrics.kpis, key)))
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        bars = QBarSet("Leads")
        bars.append([float(day.count) for day in metrics.daily])
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        days = QBarCategoryAxis()
        days.append([day.date[5:] for day in metrics.daily])
        values = QValueAxis()
        values.setLabelFormat("%d")
        values.setRange(0, max([d.count for d in metrics.daily] + [1]))
        self.chart.addAxis(days, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(days)
        series.attachAxis(values)

    def _on_rows(self, token: int, rows: list[LeadRow]) -> None:
        if token != self.NEEDS_ACTION_TOKEN:
            return
        self.needs_action.clear()
        for row in rows:
            if row.comm_status in ("owner_replied", "ai_replied"):
                continue
            item = QListWidgetItem(
                f"{row.customer_name} — {row.service_needed or 'request'}"
                f" ({row.urgency or 'normal'})"
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.needs_action.addItem(item)

    def _failed(self, error: Exception) -> None:
        if self.isVisible():
            self.note.setText(f"Figures need the server: {error}")

"""Overview: KPI cards and the 14-day chart from ``/metrics``, needs-action list, the form link."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QDate, QEvent, QLocale, Qt
from PySide6.QtGui import QGuiApplication, QPainter, QPalette
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
from desktop.ui.keyboard import no_tab_stop, tab_order
from desktop.ui.theme import is_dark, set_role
from desktop.ui.widgets.empty import EmptyState
from shared.models.enums import Urgency, label

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


def integer_step(top: int) -> int:
    """A whole-number tick step that gives at most ~10 ticks up to ``top``."""
    step, factors = 1, (2, 2.5, 2)  # 1, 2, 5, 10, 20, 50, …
    n = 0
    while top / step > 10:
        step = int(step * factors[n % 3])
        n += 1
    return step


def short_day(iso_date: str) -> str:
    """``2026-12-06`` as the locale's day and month, e.g. "6 Dec"."""
    try:
        day = date.fromisoformat(iso_date)
    except ValueError:
        return iso_date
    return QLocale().toString(QDate(day.year, day.month, day.day), "d MMM")


class KpiCard(QFrame):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setObjectName("card")
        self.value = set_role(QLabel("—"), "title")
        layout = QVBoxLayout(self)
        layout.addWidget(set_role(QLabel(title), "muted"))
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
        self._theme_chart()
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        self.needs_action = QListWidget()
        self.needs_action.setAccessibleName("Needs action")
        self.needs_action.itemActivated.connect(
            lambda item: open_lead(item.data(Qt.ItemDataRole.UserRole))
        )
        self.form_link = QLineEdit()
        self.form_link.setReadOnly(True)
        self.form_link.setAccessibleName("Your form's address")
        self.copy_link = copy = QPushButton("Copy link")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.form_link.text()))
        self.note = QLabel("")
        link = QHBoxLayout()
        link.addWidget(QLabel("Your form:"))
        link.addWidget(self.form_link, 1)
        link.addWidget(copy)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.chart_view, 1)
        layout.addWidget(set_role(QLabel("Needs action: new, not yet answered"), "section"))
        layout.addWidget(EmptyState(self.needs_action, "Nothing waits for you. Well done."), 1)
        layout.addLayout(link)
        layout.addWidget(self.note)
        no_tab_stop(self.chart_view)  # a picture: its figures are in the cards above
        tab_order(self.needs_action, self.form_link, copy)
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
        days.append([short_day(day.date) for day in metrics.daily])
        values = QValueAxis()
        top = max([d.count for d in metrics.daily] + [1])
        values.setLabelFormat("%d")
        # Ticks at whole numbers: a tick per lead up to 10, else a round step (counts are
        # whole, so "0, 1, 2, 3, 5" evenly spaced would misstate the scale).
        step = integer_step(top)
        values.setRange(0, step * -(-top // step))
        values.setTickType(QValueAxis.TickType.TicksDynamic)
        values.setTickAnchor(0)
        values.setTickInterval(step)
        self.chart.addAxis(days, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(days)
        series.attachAxis(values)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "chart"):
            self._theme_chart()
        super().changeEvent(event)

    def _theme_chart(self) -> None:
        """The chart in the window's colours (Qt Charts does not follow the palette)."""
        palette = self.palette()
        self.chart.setTheme(
            QChart.ChartTheme.ChartThemeDark
            if is_dark(palette)
            else QChart.ChartTheme.ChartThemeLight
        )
        self.chart.setBackgroundBrush(palette.brush(QPalette.ColorRole.Base))
        self.chart.setTitleBrush(palette.brush(QPalette.ColorRole.Text))
        self.chart.legend().hide()

    def _on_rows(self, token: int, rows: list[LeadRow]) -> None:
        if token != self.NEEDS_ACTION_TOKEN:
            return
        self.needs_action.clear()
        for row in rows:
            if row.comm_status in ("owner_replied", "ai_replied"):
                continue
            urgency = f" · {label(Urgency, row.urgency)} urgency" if row.urgency == "high" else ""
            item = QListWidgetItem(
                f"{row.customer_name} — {row.service_needed or 'Request'}{urgency}"
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.needs_action.addItem(item)

    def _failed(self, error: Exception) -> None:
        if self.isVisible():
            self.note.setText(f"Figures need the server: {error}")

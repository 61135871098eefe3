"""A status or urgency chip as a widget (the inbox paints its own in ``lead_delegate``)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from desktop.ui.theme import GRID, is_dark, tone_colours


class Chip(QWidget):
    """Plain text on a rounded background of one tone, in the current palette's lightness."""

    def __init__(self, text: str = "", tone: str = "grey", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)
        self._text = ""
        self.tone = tone
        self.set_chip(text, tone)

    def text(self) -> str:
        return self._text

    def set_chip(self, text: str, tone: str) -> None:
        self._text, self.tone = text, tone
        self.setAccessibleName(text)
        self.setVisible(bool(text))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(metrics.horizontalAdvance(self._text) + 4 * GRID, metrics.height() + GRID)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:
        background, foreground = tone_colours(self.tone, is_dark(self.palette()))
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRect(0, 0, self.sizeHint().width(), self.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(foreground)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self._text)
        painter.end()

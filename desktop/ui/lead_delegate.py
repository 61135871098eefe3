"""How an inbox line is painted: a mail client's two lines per lead.

Line one: the customer's name (bold while unread, with a dot) and the time, right-aligned.
Line two: the service and a preview of the last message, and the status and urgency chips on
the right. Every text is drawn as plain text and elided to its width, so nothing scrolls
sideways and no customer text is read as markup. Colours come from the palette and the theme's
chip tones, so the light and the dark theme both read.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.queries import LeadRow
from desktop.ui.models import LeadTableModel, card_texts
from desktop.ui.theme import GRID, is_dark, tone_colours

PAD = 3 * GRID  # left and right padding of a line
GAP = 2 * GRID  # between the two lines, and around the texts
CHIP_PAD = 2 * GRID  # inside a chip, left and right
DOT = 8  # the unread dot


class LeadCardDelegate(QStyledItemDelegate):
    """Paints the rows of ``model`` (a ``LeadTableModel``) as two-line cards."""

    def __init__(self, model: LeadTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model

    def fonts(self, base: QFont) -> tuple[QFont, QFont, QFont]:
        """(name of an unread lead, secondary line, chip) for the view's ``base`` font."""
        heavy = QFont(base)
        heavy.setWeight(QFont.Weight.Bold)
        small = QFont(base)
        small.setPointSizeF(max(7.0, (base.pointSizeF() or 10.0) * 0.9))
        chip = QFont(small)
        chip.setWeight(QFont.Weight.DemiBold)
        return heavy, small, chip

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        base = option.font  # type: ignore[attr-defined]
        _heavy, small, _chip = self.fonts(base)
        height = QFontMetrics(base).height() + QFontMetrics(small).height() + 3 * GAP
        return QSize(200, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        rect: QRect = option.rect  # type: ignore[attr-defined]
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        selected = bool(state & QStyle.StateFlag.State_Selected)
        active = bool(state & QStyle.StateFlag.State_Active)
        group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
        painter.save()
        if selected:
            painter.fillRect(rect, palette.brush(group, QPalette.ColorRole.Highlight))
        row = self.model.row_at(index.row())  # asks for its block if it is not loaded
        if row is None:
            painter.restore()
            return
        self._paint_row(painter, option, rect, palette, group, selected, row)
        painter.setPen(palette.color(QPalette.ColorRole.Midlight))
        painter.drawLine(rect.left() + PAD, rect.bottom(), rect.right() - PAD, rect.bottom())
        painter.restore()

    def _paint_row(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        rect: QRect,
        palette: QPalette,
        group: QPalette.ColorGroup,
        selected: bool,
        row: LeadRow,
    ) -> None:
        base: QFont = option.font  # type: ignore[attr-defined]
        heavy, small, chip_font = self.fonts(base)
        texts = card_texts(row)
        text = palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = text if selected else palette.color(group, QPalette.ColorRole.PlaceholderText)
        left, right = rect.left() + PAD, rect.right() - PAD
        top = rect.top() + GAP
        first = QFontMetrics(heavy if row.unread else base)
        # line one: the unread dot, the name, the time
        time_metrics = QFontMetrics(small)
        time_width = time_metrics.horizontalAdvance(texts.time)
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(
            QRect(right - time_width, top, time_width, first.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            texts.time,
        )
        name_left = left + DOT + GRID
        if row.unread:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(text if selected else palette.color(QPalette.ColorRole.Highlight))
            painter.drawEllipse(left, top + (first.height() - DOT) // 2, DOT, DOT)
        painter.setFont(heavy if row.unread else base)
        painter.setPen(text)
        name_width = max(0, right - time_width - GAP - name_left)
        painter.drawText(
            QRect(name_left, top, name_width, first.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            first.elidedText(texts.name, Qt.TextElideMode.ElideRight, name_width),
        )
        # line two: chips on the right, then the service and preview in what is left
        second_top = top + first.height() + GAP
        metrics = QFontMetrics(small)
        chip_metrics = QFontMetrics(chip_font)
        chip_height = chip_metrics.height() + 2
        chip_right = right
        dark = is_dark(palette)
        painter.setFont(chip_font)
        for label, tone in reversed(texts.chips):
            width = chip_metrics.horizontalAdvance(label) + 2 * CHIP_PAD
            chip = QRect(
                chip_right - width,
                second_top + (metrics.height() - chip_height) // 2,
                width,
                chip_height,
            )
            background, foreground = tone_colours(tone, dark)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(background)
            painter.drawRoundedRect(chip, chip_height / 2, chip_height / 2)
            painter.setPen(foreground)
            painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter), label)
            chip_right -= width + GRID
        painter.setFont(small)
        painter.setPen(muted)
        line_width = max(0, chip_right - GAP - name_left)
        painter.drawText(
            QRect(name_left, second_top, line_width, metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(texts.summary, Qt.TextElideMode.ElideRight, line_width),
        )

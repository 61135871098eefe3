"""How an inbox cell is painted: from the row's cached texts, in one Python call per cell.

``QStyledItemDelegate`` asks the model for seven roles of every cell (each a call into Python,
through the index's checks) and lays each text out anew with ``QTextLayout`` at every paint. A
search repaints ~200 cells, so that was most of its time after the store answered. This
delegate reads the row once, and draws a ``QStaticText`` kept per text, width and weight (its
glyphs are laid out once, when first drawn). The model's ``data`` still answers every role
(tests, accessibility, copy): the two agree because both use ``cell_texts`` and
``cell_colour``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.ui.models import LeadTableModel, bold, cell_colour, cell_texts

PADDING = 4  # what the Fusion style leaves either side of an item's text
MAX_TEXTS = 8192  # prepared texts kept (a screen holds ~200; one column width change adds more)
# Plain ints: tests on Python enum flags cost more than the rest of a cell's paint.
SELECTED = QStyle.StateFlag.State_Selected.value
ACTIVE = QStyle.StateFlag.State_Active.value
ENABLED = QStyle.StateFlag.State_Enabled.value
ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate.value


@cache
def qcolour(name: str) -> QColor:
    return QColor(name)


class LeadCellDelegate(QStyledItemDelegate):
    """Paints the cells of a view over ``model`` (a ``LeadTableModel``, rows one to one)."""

    def __init__(self, model: LeadTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model
        self._texts: dict[tuple[str, int, bool], QStaticText] = {}

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        state = option.state.value  # type: ignore[attr-defined]
        rect = option.rect  # type: ignore[attr-defined]
        palette = option.palette  # type: ignore[attr-defined]
        group = (
            QPalette.ColorGroup.Disabled
            if not state & ENABLED
            else QPalette.ColorGroup.Active
            if state & ACTIVE
            else QPalette.ColorGroup.Inactive
        )
        selected = bool(state & SELECTED)
        if selected:
            painter.fillRect(rect, palette.brush(group, QPalette.ColorRole.Highlight))
        elif option.features.value & ALTERNATE:  # type: ignore[attr-defined]
            # the view's alternating rows: its style drew them in the default delegate
            painter.fillRect(rect, palette.brush(group, QPalette.ColorRole.AlternateBase))
        row = self.model.row_at(index.row())  # asks for its block if it is not loaded
        if row is None:
            return
        column = index.column()
        text = cell_texts(row)[column]
        if not text:
            return
        width = rect.width() - 2 * PADDING
        static = self._static(text, width, row.unread, option.font)  # type: ignore[attr-defined]
        if static is None:
            return
        colour = None if selected else cell_colour(row, column)
        # The view gives each cell the painter as the one before left it, and sets its own
        # pen for the grid: setting the pen and font here needs no save and restore.
        painter.setPen(
            qcolour(colour)
            if colour
            else palette.color(
                group,
                QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text,
            )
        )
        painter.setFont(bold() if row.unread else option.font)  # type: ignore[attr-defined]
        top = rect.top() + (rect.height() - int(static.size().height())) // 2  # as AlignVCenter
        painter.drawStaticText(QPointF(rect.left() + PADDING, top), static)

    def _static(self, text: str, width: int, heavy: bool, font: Any) -> QStaticText | None:
        key = (text, width, heavy)
        static = self._texts.get(key)
        if static is None:
            if width <= 0:
                return None
            metrics = QFontMetrics(bold() if heavy else font)
            static = QStaticText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
            static.setTextFormat(Qt.TextFormat.PlainText)
            if len(self._texts) >= MAX_TEXTS:
                self._texts.clear()
            self._texts[key] = static
        return static

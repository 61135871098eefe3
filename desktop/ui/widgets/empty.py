"""A list or table that says what an empty view means instead of showing a blank area."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QStackedWidget, QWidget


class EmptyState(QStackedWidget):
    """Shows ``view`` while its model has rows, else ``text`` centred in its place."""

    def __init__(self, view: QAbstractItemView, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.label = QLabel(text)
        self.label.setObjectName("empty-state")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.addWidget(view)
        self.addWidget(self.label)
        model = view.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self.update_state)
        self.update_state()

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    @property
    def empty(self) -> bool:
        return self.currentWidget() is self.label

    def update_state(self, *_args: object) -> None:
        self.setCurrentWidget(self.label if self.view.model().rowCount() == 0 else self.view)

"""Label–value rows shown as plain text: a customer's words are never read as markup."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget


def plain_label(text: str = "", role: str | None = None) -> QLabel:
    """A QLabel that shows ``text`` as typed (Qt's AutoText would render ``<b>`` as bold)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if role:
        label.setProperty("role", role)
    return label


class Facts(QWidget):
    """A form of facts; rows with no value are left out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setHorizontalSpacing(16)
        self.form.setVerticalSpacing(8)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)

    def set_rows(self, rows: list[tuple[str, object]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        for key, value in rows:
            if value in (None, "", []):
                continue
            name = plain_label(key, "muted")
            text = plain_label(str(value))
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(name, text)

    def values(self) -> dict[str, str]:
        """What the form shows, by key (for tests and accessibility checks)."""
        found = {}
        for row in range(self.form.rowCount()):
            key = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            value = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if key is not None and value is not None:
                found[key.widget().text()] = value.widget().text()
        return found

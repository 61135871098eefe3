"""Pieces every admin page uses: the dialogs (injectable, so tests answer them), how errors and
times read, a status line, and the user-facing words of the vocabularies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QWidget

from desktop.errors import ApiError, OfflineError

Confirm = Callable[[QWidget, str, str], bool]
ChooseFile = Callable[[QWidget, str, str], str]  # parent, suggested name/caption, filter → path


def ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def save_dialog(parent: QWidget, suggested: str, file_filter: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Export CSV", suggested, file_filter)
    return path


def open_dialog(parent: QWidget, caption: str, file_filter: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, caption, "", file_filter)
    return path


@dataclass
class Dialogs:
    """The console's questions to the user; tests replace them with plain functions."""

    confirm: Confirm = field(default=ask)
    save_path: ChooseFile = field(default=save_dialog)
    open_path: ChooseFile = field(default=open_dialog)


def error_text(error: Any) -> str:
    """The server's own words (its error ``message``), or a plain sentence for the rest."""
    if isinstance(error, OfflineError):
        return "The server cannot be reached. Check the connection and try again."
    if isinstance(error, ApiError):
        text = error.message
        if error.code == "validation_error" and isinstance(error.details, list):
            fields = [
                f"{d.get('field', '?')}: {d.get('message', '')}"
                for d in error.details
                if isinstance(d, dict)
            ]
            if fields:
                text += " (" + "; ".join(fields) + ")"
        return text
    if isinstance(error, OSError):
        return f"The file could not be written: {error.strerror or error}"
    return str(error) or type(error).__name__


def when(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return ""
    local = value.astimezone()
    return local.strftime("%d %b %Y %H:%M:%S" if seconds else "%d %b %Y %H:%M")


SPECIAL_WORDS = {"ai_replied": "AI replied", "auto_reply": "AI reply", "owner_alert": "Owner alert"}


def words(value: Any) -> str:
    """``follow_up`` → ``Follow up``."""
    text = str(getattr(value, "value", value) or "")
    return SPECIAL_WORDS.get(text) or text.replace("_", " ").capitalize()


STATUS_COLOURS = {
    "active": "#15803d",
    "pending": "#b45309",
    "paused": "#6b7280",
    "archived": "#9ca3af",
    "invited": "#b45309",
    "deactivated": "#9ca3af",
    "sent": "#15803d",
    "queued": "#b45309",
    "failed": "#b91c1c",
}


class StatusLine(QLabel):
    """One line under a page's toolbar: errors in red, offline copies in amber, news in green."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.hide()

    def _show(self, text: str, colour: str) -> None:
        self.setText(text)
        self.setStyleSheet(f"color: {colour}; padding: 2px 0")
        self.setVisible(bool(text))

    def error(self, error: Any) -> None:
        self._show(error_text(error), "#b91c1c")

    def info(self, text: str) -> None:
        self._show(text, "#15803d")

    def cached(self, cached_at: datetime | None) -> None:
        """Say the data is an offline copy, or clear the line when it is fresh."""
        if cached_at is None:
            self.clear_text()
        else:
            self._show(f"Offline: showing the copy from {when(cached_at)}.", "#b45309")

    def clear_text(self) -> None:
        self._show("", "#000000")

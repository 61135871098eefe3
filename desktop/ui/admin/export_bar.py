"""``ExportBar``: the Export CSV button of a listing, then a progress bar with Cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from desktop.ui.admin.common import Dialogs, error_text


class ExportBar(QWidget):
    finished = Signal(str, int)  # path, rows
    ended = Signal(str)  # "finished" | "canceled" | "failed"

    def __init__(
        self,
        service: Any,
        kind: str,
        dialogs: Dialogs,
        params: Callable[[], dict[str, Any]],
        expected: Callable[[], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.kind, self.dialogs = service, kind, dialogs
        self.params, self.expected = params, expected
        self.job: Any = None
        self.button = QPushButton("Export CSV…")
        self.button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v of %m rows")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.label = QLabel("")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        for widget in (self.progress, self.cancel_button, self.button):
            layout.addWidget(widget)
        self._idle()

    def _idle(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.button.setEnabled(True)

    def start(self) -> None:
        suggested = f"{self.kind.replace('_', '-')}-{date.today().isoformat()}.csv"
        path = self.dialogs.save_path(self, suggested, "CSV files (*.csv)")
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        params = {k: v for k, v in self.params().items() if k not in ("limit", "offset")}
        expected = self.expected()
        self.job = self.service.export(self.kind, params, path, expected)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.canceled.connect(self._on_canceled)
        self.button.setEnabled(False)
        self.progress.setRange(0, expected or 0)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.label.setStyleSheet("")
        self.label.setText("Exporting…")
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.cancel_button.setEnabled(False)
            self.job.cancel()

    def _on_progress(self, rows: int, expected: int) -> None:
        if expected:
            self.progress.setRange(0, max(expected, rows))
        self.progress.setValue(rows)
        self.label.setText(f"Exporting… {rows:,} rows")

    def _done(self, text: str, colour: str, outcome: str) -> None:
        self.job = None
        self.cancel_button.setEnabled(True)
        self._idle()
        self.label.setStyleSheet(f"color: {colour}")
        self.label.setText(text)
        self.ended.emit(outcome)

    def _on_finished(self, path: str, rows: int) -> None:
        self._done(f"Exported {rows:,} rows to {path}", "#15803d", "finished")
        self.finished.emit(path, rows)

    def _on_failed(self, error: Any) -> None:
        self._done(f"Export failed: {error_text(error)}", "#b91c1c", "failed")

    def _on_canceled(self) -> None:
        self._done("Export canceled; no file was written.", "#6b7280", "canceled")

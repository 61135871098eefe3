"""The live preview of the public form page: the real page at ``{form_url}`` in a Qt WebEngine
view, made the first time it is needed (Chromium starts its own process, so nothing is spent
on it until the owner opens My form).

Qt WebEngine wants ``AA_ShareOpenGLContexts`` before the application object exists, and
Chromium refuses to run as root without ``--no-sandbox`` (containers, CI); ``prepare()`` sees to
both and is called when ``desktop.ui`` is imported.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget


def prepare() -> None:
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


class FormPreview(QWidget):
    """Shows the public page; ``loaded(ok)`` after each load."""

    loaded = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = ""
        self.view: Any = None  # QWebEngineView, made on first use
        self.note = QLabel("The preview appears here once the form is loaded.")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.note)
        self.setMinimumSize(320, 360)

    def _make_view(self) -> Any:
        try:
            from PySide6.QtWebEngineWidgets import QWebEngineView
        except ImportError:
            self.note.setText(
                "Live preview needs Qt WebEngine, which this installation lacks. "
                "Use “Open the public page” to see the form in your browser."
            )
            return None
        view = QWebEngineView(self)
        view.loadFinished.connect(self.loaded.emit)
        self.stack.addWidget(view)
        return view

    def show_url(self, url: str) -> None:
        """Load ``url`` (again: after a save the page has changed)."""
        if not url:
            return
        self.url = url
        if self.view is None:
            self.view = self._make_view()
            if self.view is None:
                return
        self.stack.setCurrentWidget(self.view)
        self.view.load(QUrl(url))

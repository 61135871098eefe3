"""Icons from a maintained set (qtawesome's Material Design Icons), tinted from the palette so
they read in the light and the dark theme."""

from __future__ import annotations

import os

from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_API", "pyside6")  # qtawesome speaks to Qt through qtpy

NAMES = {
    "overview": "mdi6.view-dashboard-outline",
    "leads": "mdi6.inbox-outline",
    "messages": "mdi6.message-text-outline",
    "follow_ups": "mdi6.calendar-clock",
    "form": "mdi6.form-select",
    "settings": "mdi6.cog-outline",
    "admin": "mdi6.shield-account-outline",
    "reply": "mdi6.reply",
    "note": "mdi6.note-edit-outline",
    "follow_up": "mdi6.calendar-plus",
    "status": "mdi6.tag-outline",
    "spam": "mdi6.alert-octagon-outline",
    "sync": "mdi6.sync",
    "sign_out": "mdi6.logout",
    "send": "mdi6.send",
    "keyboard": "mdi6.keyboard-outline",
    "search": "mdi6.magnify",
}


def icon(name: str) -> QIcon:
    """The icon ``name`` of ``NAMES`` in the palette's text colour (white when selected)."""
    import qtawesome

    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return qtawesome.icon(
        NAMES[name],
        color=palette.color(QPalette.ColorRole.WindowText),
        color_active=palette.color(QPalette.ColorRole.WindowText),
        color_selected=palette.color(QPalette.ColorRole.HighlightedText),
    )

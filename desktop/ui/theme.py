"""LeadFlow's look: a light and a dark palette over the Fusion style, a type scale, spacing on a
4 px grid, and the tones of status and urgency chips. Widgets read colours from the palette (or
from ``tone_colours``, which reads the palette), never fixed light colours, so both themes hold."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

GRID = 4  # every margin and gap is a multiple of this
THEMES = (("system", "Same as the system"), ("light", "Light"), ("dark", "Dark"))

# Type scale (points, relative to the application font): page title, section, body, caption.
TITLE, SECTION, BODY, CAPTION = 1.5, 1.15, 1.0, 0.85

# Hues of the chip tones (HSL degrees); the lightness comes from the theme.
TONES = {
    "red": 0,
    "orange": 30,
    "yellow": 45,
    "green": 140,
    "teal": 180,
    "blue": 215,
    "purple": 270,
    "grey": -1,
}
STATUS_TONES = {
    "new": "blue",
    "contacted": "teal",
    "booked": "green",
    "follow_up": "purple",
    "lost": "grey",
    "archived": "grey",
    "spam": "red",
}
URGENCY_TONES = {"high": "red", "normal": "grey", "low": "grey"}
COMM_TONES = {
    "new": "orange",
    "acknowledged": "yellow",
    "ai_replied": "teal",
    "owner_replied": "green",
    "customer_replied": "blue",
}

LIGHT = {
    QPalette.ColorRole.Window: "#f5f6f8",
    QPalette.ColorRole.WindowText: "#1d2330",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f0f2f5",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1d2330",
    QPalette.ColorRole.PlaceholderText: "#6b7280",
    QPalette.ColorRole.Text: "#1d2330",
    QPalette.ColorRole.Button: "#ffffff",
    QPalette.ColorRole.ButtonText: "#1d2330",
    QPalette.ColorRole.BrightText: "#b42318",
    QPalette.ColorRole.Highlight: "#2f6fde",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1f5fcf",
    QPalette.ColorRole.Mid: "#c9ced6",
    QPalette.ColorRole.Midlight: "#e3e6eb",
    QPalette.ColorRole.Dark: "#9aa1ad",
    QPalette.ColorRole.Shadow: "#5b6270",
}
DARK = {
    QPalette.ColorRole.Window: "#1e2128",
    QPalette.ColorRole.WindowText: "#e6e8ec",
    QPalette.ColorRole.Base: "#262a32",
    QPalette.ColorRole.AlternateBase: "#2c3039",
    QPalette.ColorRole.ToolTipBase: "#2c3039",
    QPalette.ColorRole.ToolTipText: "#e6e8ec",
    QPalette.ColorRole.PlaceholderText: "#9aa1ad",
    QPalette.ColorRole.Text: "#e6e8ec",
    QPalette.ColorRole.Button: "#2c3039",
    QPalette.ColorRole.ButtonText: "#e6e8ec",
    QPalette.ColorRole.BrightText: "#ff8a80",
    QPalette.ColorRole.Highlight: "#3d7bf0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#8ab4ff",
    QPalette.ColorRole.Mid: "#454b57",
    QPalette.ColorRole.Midlight: "#363b45",
    QPalette.ColorRole.Dark: "#14161b",
    QPalette.ColorRole.Shadow: "#000000",
}


def resolved(theme: str) -> str:
    """``light`` or ``dark``: ``system`` follows the desktop's colour scheme."""
    if theme in ("light", "dark"):
        return theme
    app = QApplication.instance()
    if isinstance(app, QApplication):
        from PySide6.QtCore import Qt

        if app.styleHints().colorScheme() == Qt.ColorScheme.Dark:
            return "dark"
    return "light"


def palette_of(theme: str) -> QPalette:
    """The palette of ``light``, ``dark`` or ``system`` (whichever of the two the desktop
    prefers)."""
    theme = resolved(theme)
    palette = QPalette()
    for role, colour in (LIGHT if theme == "light" else DARK).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(palette.color(QPalette.ColorRole.Text))
    disabled.setAlpha(110)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(theme: str) -> None:
    """Switch the running app to ``theme`` (``system``, ``light`` or ``dark``)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    app.setStyle("Fusion")
    app.setPalette(palette_of(theme))
    app.setStyleSheet(STYLE_SHEET)
    tone_colours.cache_clear()


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


@cache
def tone_colours(tone: str, dark: bool) -> tuple[QColor, QColor]:
    """(background, text) of a chip of ``tone`` that reads on a light or a dark base: the
    text keeps at least 4.5:1 contrast against the background (WCAG AA for small text)."""
    hue = TONES.get(tone, -1)
    saturation = 0 if hue < 0 else 170
    hue = max(hue, 0)
    if dark:
        return QColor.fromHsl(hue, saturation // 2, 62), QColor.fromHsl(hue, saturation, 205)
    return QColor.fromHsl(hue, saturation, 232), QColor.fromHsl(hue, saturation, 62)


def scaled_font(base: QFont, scale: float, bold: bool = False) -> QFont:
    font = QFont(base)
    size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
    font.setPointSizeF(round(size * scale, 1))
    if bold:
        font.setWeight(QFont.Weight.DemiBold)
    return font


def set_role(widget: QWidget, role: str) -> QWidget:
    """Give ``widget`` a type-scale role (``title``, ``section``, ``caption``, ``muted``)
    that the style sheet sizes; returns the widget."""
    widget.setProperty("role", role)
    return widget


# Sizes and weights only: colours come from the palette (``palette(...)``), so a theme switch
# needs no second style sheet. The lists that draw no focus rectangle (``outline: 0``) show the
# keyboard focus as a highlight-coloured border instead; every other widget keeps Fusion's.
STYLE_SHEET = """
QLabel[role="title"] { font-size: 15pt; font-weight: 600; }
QLabel[role="section"] { font-size: 11.5pt; font-weight: 600; }
QLabel[role="caption"] { font-size: 8.5pt; color: palette(placeholder-text); }
QLabel[role="error"] { color: palette(bright-text); }
QLabel[role="muted"], QLabel#empty-state { color: palette(placeholder-text); }
QLabel#empty-state { font-size: 11pt; padding: 24px; }
QListWidget#navigation { border: 2px solid transparent; border-radius: 8px;
    background: palette(window); padding: 6px 2px; outline: 0; }
QListWidget#navigation::item { padding: 8px 8px; border-radius: 6px; margin: 1px 0; }
QListWidget#navigation::item:selected { background: palette(highlight);
    color: palette(highlighted-text); }
QListWidget#cards { border: 2px solid transparent; border-radius: 8px;
    background: palette(window); outline: 0; }
QListWidget#navigation:focus, QListWidget#cards:focus { border-color: palette(highlight); }
QListView, QTableView, QTextBrowser { border: 1px solid palette(mid); }
QListView:focus, QTableView:focus, QTextBrowser:focus { border-color: palette(highlight); }
QListWidget#cards::item { background: palette(base); border: 1px solid palette(midlight);
    border-radius: 8px; padding: 8px 10px; }
QListWidget#cards::item:selected { background: palette(highlight);
    color: palette(highlighted-text); border-color: palette(highlight); }
QFrame#card { background: palette(base); border: 1px solid palette(midlight);
    border-radius: 8px; }
QWidget#banner { background: palette(alternate-base); border: 1px solid palette(mid);
    border-radius: 6px; }
QPushButton { padding: 4px 12px; }
QToolBar { spacing: 4px; }
"""

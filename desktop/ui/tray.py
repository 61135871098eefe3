"""Tray icon with the unread count, and notifications; in-app banners where there is no tray."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSystemTrayIcon, QWidget

from desktop.notifier import Notification

ICON = Path(__file__).resolve().parent / "resources" / "leadflow-256.png"


def app_icon(unread: int = 0) -> QIcon:
    """LeadFlow's icon (``packaging/icons``), with the unread count as a red badge."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    mark = QPixmap(str(ICON))
    if not mark.isNull():
        painter.drawPixmap(pixmap.rect(), mark)
    else:  # a broken install still gets a recognisable tile
        painter.setBrush(QColor("#2563eb"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(2, 2, 60, 60, 14, 14)
    if unread:
        painter.setBrush(QColor("#e53e3e"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(34, 0, 30, 30)
        painter.setPen(QColor("white"))
        painter.setFont(QFont("Sans", 13, QFont.Weight.Bold))
        painter.drawText(
            34, 0, 30, 30, Qt.AlignmentFlag.AlignCenter, "99+" if unread > 99 else str(unread)
        )
    painter.end()
    return QIcon(pixmap)


class InAppBanner(QWidget):
    """A notification strip inside the window, for systems without a tray."""

    clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setProperty("role", "section")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # a customer's words, never markup
        self.label.setProperty("role", "muted")
        self.open_button = QPushButton("Open")
        self.close_button = QPushButton("×")
        self.close_button.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.close_button)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.close_button.setAccessibleName("Dismiss")
        self.lead_id = ""
        self.open_button.clicked.connect(lambda: self.clicked.emit(self.lead_id))
        self.open_button.clicked.connect(self.hide)
        self.close_button.clicked.connect(self.hide)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(15000)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_note(self, note: Notification) -> None:
        self.lead_id = note.lead_id
        self.title.setText(note.title)
        self.label.setText(note.body.replace("\n", " · "))
        self.show()
        self._timer.start()


class TrayNotifier(QObject):
    """Shows each notification in the tray (or the banner) and reports clicks with the lead id."""

    open_lead = Signal(str)
    show_window = Signal()

    def __init__(self, banner: InAppBanner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.banner = banner
        self.last: Notification | None = None
        self.shown: list[Notification] = []
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), self)
            self.tray.setToolTip("LeadFlow")
            self.tray.messageClicked.connect(self._clicked)
            self.tray.activated.connect(lambda _reason: self.show_window.emit())
            self.tray.show()
        banner.clicked.connect(self.open_lead.emit)

    @property
    def has_tray(self) -> bool:
        return self.tray is not None

    def set_unread(self, count: int) -> None:
        if self.tray is not None:
            self.tray.setIcon(app_icon(count))
            self.tray.setToolTip(f"LeadFlow — {count} unread" if count else "LeadFlow")

    def show(self, note: Notification) -> None:
        self.last = note
        self.shown.append(note)
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(note.title, note.body, app_icon(), 8000)
        else:
            self.banner.show_note(note)

    def _clicked(self) -> None:
        if self.last is not None:
            self.open_lead.emit(self.last.lead_id)

    def hide(self) -> None:
        if self.tray is not None:
            self.tray.hide()

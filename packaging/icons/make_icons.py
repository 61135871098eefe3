"""Draw LeadFlow's icon: a funnel of three bars over a blue-to-teal tile, with the lead that
comes out of it as an amber dot. Writes ``leadflow.svg`` and PNGs from 16 to 512 pixels here,
and the copies the app itself loads into ``desktop/ui/resources``.

Run: ``.venv/bin/python packaging/icons/make_icons.py`` (QT_QPA_PLATFORM=offscreen works).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
RESOURCES = HERE.parents[1] / "desktop" / "ui" / "resources"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <title>LeadFlow</title>
  <defs>
    <linearGradient id="tile" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#2563eb"/>
      <stop offset="1" stop-color="#0d9488"/>
    </linearGradient>
  </defs>
  <rect x="16" y="16" width="480" height="480" rx="112" fill="url(#tile)"/>
  <rect x="88" y="112" width="336" height="64" rx="32" fill="#ffffff"/>
  <rect x="136" y="208" width="240" height="64" rx="32" fill="#ffffff" fill-opacity="0.92"/>
  <rect x="184" y="304" width="144" height="64" rx="32" fill="#ffffff" fill-opacity="0.84"/>
  <circle cx="256" cy="420" r="40" fill="#fbbf24"/>
</svg>
"""


def render(size: int) -> QImage:
    renderer = QSvgRenderer(QByteArray(SVG.encode()))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    (HERE / "leadflow.svg").write_text(SVG, "utf-8")
    for size in SIZES:
        if not render(size).save(str(HERE / f"leadflow-{size}.png"), "PNG"):
            raise SystemExit(f"could not write the {size} px icon")
    RESOURCES.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "leadflow.svg", RESOURCES / "leadflow.svg")
    shutil.copy(HERE / "leadflow-256.png", RESOURCES / "leadflow-256.png")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server-rendered pages share one Jinja2 environment (autoescaped)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.context import SERVER_DIR

templates = Jinja2Templates(directory=str(SERVER_DIR / "templates"))


def text_on(colour: str | None) -> str:
    """White or near-black, whichever reads on ``colour`` (WCAG AA for a business's brand
    colour on its own buttons: a pale brand colour gets dark text)."""
    if not colour or len(colour) != 7 or not colour.startswith("#"):
        return "#ffffff"
    try:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except ValueError:
        return "#ffffff"
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#ffffff" if (1.05 / (luminance + 0.05)) >= 4.5 else "#111827"


templates.env.filters["text_on"] = text_on


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def message_page(
    request: Request, heading: str, *paragraphs: str, status: int = 200
) -> HTMLResponse:
    return page(request, "message.html", {"heading": heading, "paragraphs": paragraphs}, status)

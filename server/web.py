"""Server-rendered pages share one Jinja2 environment (autoescaped)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.context import SERVER_DIR
from server.mail.compose import text_on

templates = Jinja2Templates(directory=str(SERVER_DIR / "templates"))


templates.env.filters["text_on"] = text_on


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def message_page(
    request: Request, heading: str, *paragraphs: str, status: int = 200
) -> HTMLResponse:
    return page(request, "message.html", {"heading": heading, "paragraphs": paragraphs}, status)

"""Turn a stored ``email_events`` row into a MIME message, and render mail templates."""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.models.common import is_control

TEMPLATES = Path(__file__).parent / "templates"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#2563eb"


def clean_header(value: str) -> str:
    """A header value on one line: every Unicode line, paragraph, control or bidirectional
    control character becomes a space (``EmailMessage`` refuses a value that breaks a line,
    and a forged header must never be possible)."""
    cleaned = "".join(" " if is_control(character) else character for character in value)
    return re.sub(r"\s+", " ", cleaned).strip()


def clean_display_name(name: str) -> str:
    """A display name with no quotes, angle brackets or line breaks (no header injection)."""
    return clean_header(re.sub(r"[\"<>\\]", " ", name))[:120]


def platform_address(email_from: str) -> str:
    return parseaddr(email_from)[1] or "noreply@localhost"


def sender(email_from: str, display_name: str | None = None) -> str:
    """``"<display name>" <platform address>``; the platform's own name when none is given."""
    name, address = parseaddr(email_from)
    return formataddr((clean_display_name(display_name or name or "LeadFlow"), address))


def safe_colour(colour: str | None) -> str:
    return colour if colour and _HEX_COLOUR.match(colour) else DEFAULT_COLOUR


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


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["text_on"] = text_on
    return environment


def render(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML bodies of a mail kind; every inserted value is escaped in the HTML."""
    env = _environment()
    context = {**context, "brand_color": safe_colour(context.get("brand_color"))}
    text = env.get_template(f"{kind}.txt").render(context)
    html = env.get_template(f"{kind}.html").render(context)
    return text.strip() + "\n", html


class _ReusedHeaders(HeaderRegistry):
    """The standard registry, each header's class made once and each header parsed once
    among the last few hundred: most of a mail's headers (From, the MIME headers) repeat from
    mail to mail, and the stdlib would make a new class and parse the value every time.
    Parsed headers are immutable, so one serves every message that sets the same value."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parsed = lru_cache(maxsize=512)(super().__call__)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._classes.get(name.lower())
        if made is None:
            made = self._classes[name.lower()] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        return self._parsed(name, value)


# ``email.policy.default`` with reused headers (same parsing, same output).
POLICY = policy.default.clone(header_factory=_ReusedHeaders())


def to_mime(event: Any) -> EmailMessage:
    """The MIME message of a stored email (an ``email_events`` row); every header value is
    cleaned here, in one place."""
    headers = {
        "From": event.from_address,
        "To": event.to_address,
        "Reply-To": event.reply_to,
        "Subject": event.subject,
        "Date": format_datetime(event.created_at),
        "Message-ID": event.message_id,
        "In-Reply-To": event.in_reply_to,
        "References": event.references,
        "Auto-Submitted": "auto-replied" if event.automatic else None,
    }
    message = EmailMessage(policy=POLICY)
    for name, value in headers.items():
        if value:
            message[name] = clean_header(value)
    message.set_content(event.text_body)
    message.add_alternative(event.html_body, subtype="html")
    return message

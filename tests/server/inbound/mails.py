"""Real-world shaped mails made for the tests (stdlib ``email`` builds them as clients do)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def reply(
    *,
    sender: str,
    to: str,
    text: str | None = "Yes please, Tuesday morning works for me.",
    html: str | None = None,
    subject: str = "Re: We received your request — Acme Plumbing",
    in_reply_to: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    charset: str = "utf-8",
    cte: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime(2026, 12, 6, 9, 30, tzinfo=UTC))
    mail["Message-ID"] = message_id or make_msgid(domain="mail.example.net")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text, charset=charset, cte=cte) if cte else mail.set_content(
            text, charset=charset
        )
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html", charset=charset)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)


def unique_id() -> str:
    return f"<{uuid.uuid4().hex}@mail.example.net>"

"""An arriving RFC 5322 message read into what LeadFlow needs: ids, addresses, the shown text,
attachments, and whether it is an auto-reply or a delivery report.

Nothing here trusts the mail: every header read survives malformed values, an unknown charset
falls back to UTF-8 with replacement, HTML is only ever converted to text (html2text), never
kept as HTML, and quoted history and signatures are cut by mail-parser-reply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from functools import cache
from typing import Any

import html2text
from mailparser_reply import EmailReplyParser

# Languages of the quote headers ("On … wrote:", "Am … schrieb …:") and signatures cut.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Forwarded-To")
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto:|autoreply|auto-reply|out of (the )?office|abwesenheitsnotiz"
    r"|r[ée]ponse automatique|respuesta autom[aá]tica|risposta automatica)",
    re.IGNORECASE,
)
DAEMON = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_SENT_FROM = re.compile(r"\n+\s*(sent from my \w+|get outlook for \w+)[^\n]*\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^([*_\-=]\s*){3,}$")
_QUOTE_HEADER = re.compile(
    r"(wrote|escribi[óo]|a [ée]crit|schrieb|ha scritto|schreef|napisa[łl]|skrev|escreveu)\s*:$",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
MAX_TEXT = 20_000


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Bounce:
    original_message_ids: list[str]
    recipient: str
    reason: str


@dataclass
class ParsedMail:
    message_id: str | None
    thread_ids: list[str]  # In-Reply-To, then References newest first
    from_address: str
    from_name: str
    recipients: list[str]
    subject: str
    text: str  # what the thread shows: no quoted history, no signature
    full_text: str
    attachments: list[Attachment] = field(default_factory=list)
    auto_reply: bool = False
    bounce: Bounce | None = None

    def dedupe_key(self, raw: bytes) -> str:
        """The Message-ID, or a digest of the bytes for a mail without one."""
        if self.message_id and len(self.message_id) <= 300:
            return f"mid:{self.message_id}"
        source = self.message_id.encode() if self.message_id else raw
        return f"sha256:{hashlib.sha256(source).hexdigest()}"


def header(message: Message, name: str) -> str:
    """A header as text with its encoded words decoded, or ``""``; a value that cannot be
    decoded comes back raw. (The ``compat32`` parser keeps headers as strings: the header
    objects of ``policy.default`` took a third of a mail's reading time.)"""
    return decoded(message.get(name))


def decoded(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, Header) or "=?" in text:
        source: Header | str = value if isinstance(value, Header) else text
        try:
            text = str(make_header(decode_header(source)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            pass
    return _SPACES.sub(" ", text).strip()


def message_ids(value: str) -> list[str]:
    found = _MESSAGE_ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]
    return found


def read(raw: bytes) -> ParsedMail:
    """Read one raw message. Never raises for bad mail: what cannot be read is left empty."""
    mail = message_from_bytes(raw, policy=policy.compat32)
    ids = message_ids(header(mail, "Message-ID"))
    thread = message_ids(header(mail, "In-Reply-To"))
    thread += [m for m in reversed(message_ids(header(mail, "References"))) if m not in thread]
    from_name, from_address = parseaddr(header(mail, "From"))
    recipients: list[str] = []
    for name in RECIPIENT_HEADERS:
        values = [header_value for header_value in _all(mail, name)]
        for _, address in getaddresses(values):
            address = address.strip().lower()
            if address and address not in recipients:
                recipients.append(address)
    full_text = body_text(mail)
    parsed = ParsedMail(
        message_id=ids[0] if ids else None,
        thread_ids=thread,
        from_address=from_address.strip().lower()[:320],
        from_name=from_name.strip()[:200],
        recipients=recipients,
        subject=header(mail, "Subject")[:300],
        text="",
        full_text=full_text,
    )
    for name in ("from_address", "from_name", "subject", "full_text"):
        setattr(parsed, name, getattr(parsed, name).replace("\x00", ""))
    parsed.bounce = delivery_report(mail)
    parsed.auto_reply = parsed.bounce is None and is_auto_reply(mail, parsed)
    parsed.text = shown_text(parsed.full_text) if parsed.bounce is None else parsed.full_text
    if parsed.bounce is None and not parsed.auto_reply:
        parsed.attachments = attachments(mail)
    return parsed


def _all(mail: Message, name: str) -> list[str]:
    return [decoded(v) for v in mail.get_all(name, [])]


def is_auto_reply(mail: Message, parsed: ParsedMail) -> bool:
    """RFC 3834 and the de-facto headers, a daemon sender, or an out-of-office subject."""
    auto_submitted = header(mail, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if header(mail, "X-Autoreply") or header(mail, "X-Autorespond"):
        return True
    if header(mail, "Precedence").lower() in AUTO_PRECEDENCE:
        return True
    if header(mail, "X-Auto-Response-Suppress") and AUTO_SUBJECT.match(parsed.subject):
        return True
    return bool(DAEMON.match(parsed.from_address) or AUTO_SUBJECT.match(parsed.subject))


def delivery_report(mail: Message) -> Bounce | None:
    """A DSN (``multipart/report; report-type=delivery-status``): the failed recipient, the
    reason, and the Message-IDs of the mail it reports on."""
    status_part = None
    original: list[str] = []
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status_part = part
        elif kind in ("message/rfc822", "message/global") and part.is_multipart():
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                original += message_ids(header(inner[0], "Message-ID"))
        elif kind in ("text/rfc822-headers", "message/global-headers"):
            headers = message_from_bytes(_payload(part), policy=policy.compat32)
            original += message_ids(header(headers, "Message-ID"))
    report = mail.get_content_type() == "multipart/report" and (
        str(mail.get_param("report-type", "")).lower() == "delivery-status"
    )
    if status_part is None and not report:
        return None
    fields: dict[str, str] = {}
    if status_part is not None:
        blocks = status_part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            for name in ("Final-Recipient", "Original-Recipient", "Action", "Status"):
                value = header(block, name)
                if value and name not in fields:
                    fields[name] = value
            diagnostic = header(block, "Diagnostic-Code")
            if diagnostic:
                fields["Diagnostic-Code"] = diagnostic
    if fields.get("Action", "failed").lower() in ("delayed", "delivered", "relayed", "expanded"):
        return None  # only a failure is a bounce; a delay notice changes nothing
    recipient = fields.get("Final-Recipient") or fields.get("Original-Recipient", "")
    recipient = recipient.split(";", 1)[-1].strip().lower()
    reason = fields.get("Diagnostic-Code", "").split(";", 1)[-1].strip()
    status = fields.get("Status", "")
    reason = " ".join(p for p in (status, reason) if p) or "The mail could not be delivered."
    return Bounce(original_message_ids=original, recipient=recipient, reason=reason[:1000])


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def part_text(part: Message) -> str:
    """A text part decoded with its charset; an unknown or lying charset falls back to UTF-8
    (then Latin-1, which decodes any byte)."""
    data = _payload(part)
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


@cache
def _html_converter() -> html2text.HTML2Text:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    return converter


def html_to_text(html: str) -> str:
    """Text of an HTML body: html2text with no images, no emphasis marks and no wrapping."""
    converter = _html_converter()
    text = converter.handle(html)
    converter.reset()  # handle() keeps state between documents otherwise
    text = re.sub(r"[ \t]+\n", "\n", text)  # Markdown's two-space line breaks
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def own_parts(message: Message) -> Iterator[Message]:
    """The leaf parts of the mail itself, in order, not those of a mail attached to it."""
    if not message.is_multipart():
        yield message
        return
    if message.get_content_maintype() == "message":
        yield message  # an attached mail is one part (a file), not more body
        return
    for part in message.get_payload():
        if isinstance(part, Message):
            yield from own_parts(part)


def body_text(mail: Message) -> str:
    """The first plain-text part that is not a file, else the first HTML one as text."""
    found: dict[str, Message] = {}
    for part in own_parts(mail):
        if (part.get_content_disposition() or "") == "attachment":
            continue
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html") and kind not in found:
            found[kind] = part
    body = found.get("text/plain") or found.get("text/html")
    if body is None:
        return ""
    text = part_text(body)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()[:MAX_TEXT]


@cache
def _reply_parser() -> EmailReplyParser:
    return EmailReplyParser(languages=REPLY_LANGUAGES)


def shown_text(text: str) -> str:
    """The reply without quoted history or signature; all of it when the cut leaves nothing."""
    if not text:
        return ""
    try:
        replies = _reply_parser().read(_before_history(text)).replies
        shown = replies[0].body.strip() if replies else ""
    except Exception:
        shown = ""
    shown = _SENT_FROM.sub("", "\n" + _without_trailing_quote(shown)).strip() if shown else ""
    return shown or text


def _before_history(text: str) -> str:
    """The text up to an obvious start of quoted history (a one-line "… wrote:", an Outlook
    separator, or ``>`` lines to the end), so the reply parser's many patterns run over the
    reply alone: on a long thread they cost more than everything else a mail needs."""
    lines = text.split("\n")
    for at, line in enumerate(lines):
        stripped = line.strip()
        if at == 0:
            continue
        if (
            _QUOTE_HEADER.search(stripped)
            or stripped.startswith(("-----Original Message-----", "________________"))
            or (
                stripped.startswith(">")
                and all(not rest.strip() or rest.lstrip().startswith(">") for rest in lines[at:])
            )
        ):
            return "\n".join(lines[:at])
    return text


def _without_trailing_quote(text: str) -> str:
    """Cut what ends the text after the parser: a block of ``>`` lines, the "… wrote:" line
    above it (in the forms the parser missed, e.g. Gmail's Spanish with the address in
    parentheses), and separator lines (``* * *`` of an HTML rule, underscores, dashes)."""
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end > 0:
        line = lines[end - 1].strip()
        if not line or line.startswith(">") or _SEPARATOR.match(line):
            end -= 1
        elif _QUOTE_HEADER.search(line) and end < len(lines):
            end -= 1
        else:
            break
    return "\n".join(lines[:end]) if end else text


def attachments(mail: Message) -> list[Attachment]:
    """The files of the mail: parts marked as attachments, named parts that are not the body or
    an inline image of it, and attached mails (as ``.eml`` files)."""
    found: list[Attachment] = []
    for part in own_parts(mail):
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if part.get_content_maintype() == "message":
            inner = part.get_payload()
            if not (isinstance(inner, list) and inner and isinstance(inner[0], Message)):
                continue
            filename = filename or f"{header(inner[0], 'Subject')[:80] or 'message'}.eml"
            found.append(Attachment(_clean_name(filename), "message/rfc822", inner[0].as_bytes()))
            continue
        if disposition != "attachment" and (not filename or part.get("Content-ID")):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        found.append(
            Attachment(
                filename=filename or "attachment",
                content_type=part.get_content_type()[:127],
                data=data,
            )
        )
    return found


def _filename(part: Message) -> str:
    try:
        name: Any = part.get_filename()
    except (LookupError, UnicodeError, ValueError):
        name = None
    return _clean_name(decoded(name))


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    return name[:255]

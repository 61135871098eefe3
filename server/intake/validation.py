"""Checks and normalisation of a submission's fields, and the silent spam signals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

from server.ai import signals
from server.ai.text import fold
from shared.models.common import normalise_email
from shared.models.leads import SubmissionIn

_LINK = re.compile(
    r"(https?://|www\.|(?<![a-z0-9-])[a-z0-9-]+\.(?:com|net|org|ru|cn|info|biz|xyz|top|io|co)\b/?)",
    re.IGNORECASE,
)
# A domain is read from where its name starts: from every position of "-a-a-a…" the engine
# re-read the run (quadratic).
_HTML_LINK = re.compile(r"<a\s|\[url", re.IGNORECASE)
MAX_LINKS_IN_MESSAGE = 2
# Seven or more digits joined by spaces, dots, dashes or brackets: a phone number. Each repeat
# consumes a digit, so the match is linear in the text's length.
_PHONE = re.compile(r"(?<![\w])\+?\d(?:[ ().\-]{0,2}\d){6,}")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2})?\b")
CONTACT_FIELDS = ("customer_name", "service_needed", "preferred_time", "message")


@dataclass
class CleanSubmission:
    """A submission that passed the field checks, with normalised contact fields."""

    data: SubmissionIn
    email: str | None
    email_normalized: str | None
    phone: str | None
    phone_normalized: str | None
    errors: dict[str, str] = field(default_factory=dict)


def _blank_to_none(value: str | None) -> str | None:
    return value if value and value.strip() else None


def normalise_phone(raw: str) -> tuple[str, str]:
    """The phone to show (E.164 when it can be parsed) and the key used to match duplicates."""
    try:
        number = phonenumbers.parse(raw, None if raw.strip().startswith("+") else "US")
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return e164, e164
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", raw)
    return raw.strip(), digits


def check(data: SubmissionIn) -> CleanSubmission:
    """Field rules beyond the model's lengths; ``errors`` maps field name → message."""
    errors: dict[str, str] = {}
    if not data.customer_name.strip() or len(data.customer_name.strip()) < 2:
        errors["customer_name"] = "Please enter your name."
    email = _blank_to_none(data.customer_email)
    email_normalized = None
    if email is not None:
        try:
            email = normalise_email(email)
            email_normalized = email.lower()
        except ValueError:
            errors["customer_email"] = "Please enter a valid email address."
    phone = _blank_to_none(data.customer_phone)
    phone_normalized = None
    if phone is not None:
        digits = re.sub(r"\D", "", phone)
        if len(phone) < 5 or len(digits) < 5 or not re.fullmatch(r"[0-9+().\-\s/x#*]+", phone):
            errors["customer_phone"] = "Please enter a valid phone number."
        else:
            phone, phone_normalized = normalise_phone(phone)
    return CleanSubmission(
        data=data,
        email=email,
        email_normalized=email_normalized,
        phone=phone,
        phone_normalized=phone_normalized,
        errors=errors,
    )


def spam_signals(data: SubmissionIn) -> list[str]:
    """Obvious bot signals in the content (the honeypot and timing are checked by the caller)."""
    reasons = []
    if _LINK.search(data.customer_name) or _HTML_LINK.search(data.customer_name):
        reasons.append("link_in_name")
    links = len(_LINK.findall(data.message or "")) + len(_HTML_LINK.findall(data.message or ""))
    if links > MAX_LINKS_IN_MESSAGE:
        reasons.append("many_links")
    return reasons


def contact_signals(data: SubmissionIn) -> list[str]:
    """Links, e-mail addresses and phone numbers typed into a free-text field (the payload of
    a phishing relay): the lead is kept for the owner but marked ``spam_suspected``, so no
    automatic mail goes to the address the submitter typed."""
    found = []
    for name in CONTACT_FIELDS:
        text = fold(getattr(data, name) or "")
        if not text:
            continue
        if signals.URL.search(text):
            found.append(f"link_in_{name}")
        if signals.EMAIL.search(text):
            found.append(f"email_in_{name}")
        if _PHONE.search(_ISO_DATE.sub(" ", text)):
            found.append(f"phone_in_{name}")
    return found

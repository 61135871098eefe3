"""Composed mail shares parsed headers between messages (``compose.POLICY``); each message
must still carry exactly the headers ``email.policy.default`` would give it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from types import SimpleNamespace

import pytest

from server.mail import compose


def _event(n: int) -> SimpleNamespace:
    business = ["Sparkle & Shine", "Zoë's Café", "Harbour Plumbing"][n % 3]
    return SimpleNamespace(
        from_address=f'"{business}" <noreply@leadflow.example>',
        to_address=f"customer-{n % 5}@example.com",
        reply_to=f"reply+{n:04d}@in.leadflow.example" if n % 2 else None,
        subject=f"Re: Your request — {business} " + "very long words " * (n % 7),
        created_at=datetime(2026, 12, 6, 12, tzinfo=UTC) + timedelta(seconds=n % 4),
        message_id=f"<m{n}@leadflow.example>",
        in_reply_to=f"<m{n - 1}@leadflow.example>" if n else None,
        references=" ".join(f"<m{k}@leadflow.example>" for k in range(n % 6)) or None,
        automatic=bool(n % 3),
        text_body=f"Hi {n},\nthanks.\n",
        html_body=f"<p>Hi {n}, thanks.</p>",
    )


def _headers(event: SimpleNamespace) -> list[str]:
    message = compose.to_mime(event)
    message.set_boundary("boundary")  # the one random part of a message
    return [message.policy.fold(name, value) for name, value in message.items()]


def test_every_message_has_the_headers_the_standard_policy_gives_it(monkeypatch):
    events = [_event(n) for n in range(60)]
    shared = [_headers(event) for event in events]  # repeated values come from the cache
    monkeypatch.setattr(compose, "POLICY", policy.default)
    assert shared == [_headers(event) for event in events]
    assert len({tuple(headers) for headers in shared}) == len(events)


@pytest.mark.parametrize("name", ["From", "Subject", "References"])
def test_a_repeated_value_is_parsed_once(name):
    value = {"From": '"A" <a@example.com>', "Subject": "Hello", "References": "<a@b>"}[name]
    first = compose.POLICY.header_factory(name, value)
    assert compose.POLICY.header_factory(name, value) is first
    assert compose.POLICY.header_factory(name, value + " again") is not first

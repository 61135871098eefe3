"""The SMTP provider keeps its connections open between messages, and never reuses a broken one."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import pytest

from server.mail.base import DeliveryError
from server.mail.smtp import SmtpProvider
from tests.server.support import SmtpSink


class CountingSink(SmtpSink):
    """The SMTP sink, counting the client greetings (one per connection)."""

    def __init__(self) -> None:
        super().__init__()
        self.greetings = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return responses


def _message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "LeadFlow <noreply@leadflow.example>"
    message["To"] = f"customer{n}@example.com"
    message["Subject"] = f"Message {n}"
    message["Message-ID"] = f"<m{n}@leadflow.example>"
    message.set_content(f"Body {n}")
    return message


@pytest.fixture
def sink() -> Any:
    sink = CountingSink()
    sink.start()
    yield sink
    sink.stop()


def _provider(sink: SmtpSink) -> SmtpProvider:
    return SmtpProvider("127.0.0.1", sink.port, timeout_s=5)


async def test_messages_one_after_another_share_one_connection(sink: CountingSink) -> None:
    provider = _provider(sink)
    for n in range(3):
        assert await provider.send(_message(n)) == f"<m{n}@leadflow.example>"
    assert [m["Subject"] for m in sink.messages] == ["Message 0", "Message 1", "Message 2"]
    assert sink.greetings == 1


async def test_messages_at_once_each_get_a_connection_then_reuse_them(sink: CountingSink) -> None:
    provider = _provider(sink)
    await asyncio.gather(*(provider.send(_message(n)) for n in range(3)))
    await asyncio.gather(*(provider.send(_message(n)) for n in range(3, 6)))
    assert len(sink.messages) == 6
    assert sink.greetings == 3


async def test_a_refused_message_closes_its_connection_and_the_next_opens_one(
    sink: CountingSink,
) -> None:
    provider = _provider(sink)
    sink.data_answers = [554]
    with pytest.raises(DeliveryError) as refused:
        await provider.send(_message(0))
    assert refused.value.permanent
    await provider.send(_message(1))
    assert [m["Subject"] for m in sink.messages] == ["Message 1"]
    assert sink.greetings == 2


async def test_a_connection_the_server_dropped_is_not_used_again() -> None:
    sink = CountingSink()
    sink.start()
    provider = _provider(sink)
    await provider.send(_message(0))
    sink.stop()  # the server goes away with our idle connection
    await asyncio.sleep(0.2)
    restarted = CountingSink()
    restarted.port = sink.port
    restarted.controller.port = sink.port
    restarted.start()
    try:
        await provider.send(_message(1))
        assert [m["Subject"] for m in restarted.messages] == ["Message 1"]
        assert restarted.greetings == 1
    finally:
        restarted.stop()


async def test_a_server_that_is_down_is_a_temporary_failure() -> None:
    sink = CountingSink()  # never started
    with pytest.raises(DeliveryError) as down:
        await _provider(sink).send(_message(0))
    assert not down.value.permanent

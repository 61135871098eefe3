"""A small parser of ``text/event-stream`` (the WHATWG rules the server's ``/events`` needs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerEvent:
    event: str
    data: str
    id: str | None = None


async def parse_events(lines: AsyncIterator[str]) -> AsyncIterator[ServerEvent]:
    """Events from the stream's lines; comments (heartbeats) yield ``ServerEvent("comment", "")``
    so a reader can tell the connection is alive."""
    event, last_id = "message", None
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield ServerEvent(event, "\n".join(data), last_id)
            event, data = "message", []
            continue
        if line.startswith(":"):
            yield ServerEvent("comment", line[1:].strip())
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            last_id = value
    if data:
        yield ServerEvent(event, "\n".join(data), last_id)

"""Fail a test that leaves a (non-daemon) thread running: a service thread or a server that
outlives its test would keep the process alive and let one test's work leak into the next."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

# How long a thread started by the test may take to end after it.
JOIN_S = 5.0


@pytest.fixture(autouse=True)
def no_thread_left_running() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leftover = [
        t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon
    ]
    for thread in leftover:
        thread.join(timeout=JOIN_S)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"threads left running: {still}"

"""Intake fixtures: per-test settings (``@pytest.mark.settings(...)``), the chat-completions
stand-in, an onboarded business with smart auto-reply on, and a worker without retry delays."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Settings
from server.jobs import queue
from tests.server.conftest import make_settings
from tests.server.factories import Tenant, admin_headers, onboard
from tests.server.intake.ai_stand_in import AIStandIn
from tests.server.support import SmtpSink


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "settings(**overrides): settings for this test; openai=True points the AI at the stand-in",
    )


@pytest.fixture
def ai() -> Iterator[AIStandIn]:
    stand_in = AIStandIn()
    stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path, smtp: SmtpSink
) -> Settings:
    marker = request.node.get_closest_marker("settings")
    overrides = dict(marker.kwargs) if marker else {}
    if overrides.pop("openai", False):
        stand_in: AIStandIn = request.getfixturevalue("ai")
        overrides = {
            "ai_provider": "openai",
            "ai_base_url": stand_in.url,
            "ai_api_key": "k",
            "ai_timeout_s": 2.0,
            **overrides,
        }
    return make_settings(db_url, tmp_path / "data", smtp, **overrides)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed jobs are due again at once, so one ``worker.tick()`` runs every retry."""
    monkeypatch.setattr(queue, "backoff_s", lambda attempts: 0.0)


@pytest.fixture
async def admin(ctx, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return await admin_headers(ctx, client)


@pytest.fixture
async def tenant(ctx, client, smtp, worker, admin) -> Tenant:  # type: ignore[no-untyped-def]
    """An active business whose safe leads get the AI reply (smart auto-reply on, no approval)."""
    tenant = await onboard(
        ctx,
        client,
        smtp,
        worker,
        admin,
        name="Sparkle Cleaning",
        smart_auto_reply=True,
        owner_approval_required=False,
    )
    smtp.messages.clear()  # the invite is not part of any intake test
    return tenant

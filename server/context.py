"""What the server's parts share at run time, built once per process from the settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from server.config import Settings
from server.db import Database

if TYPE_CHECKING:
    from server.ai.base import AIProvider
    from server.mail.base import EmailProvider

SERVER_DIR = Path(__file__).parent


@dataclass
class ServerContext:
    settings: Settings
    db: Database
    mailer: EmailProvider
    ai: AIProvider
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir


def build_context(settings: Settings, *, database: Database | None = None) -> ServerContext:
    """Wire the configured providers; nothing here touches the network."""
    from server.ai.factory import build_ai_provider
    from server.mail.factory import build_email_provider

    return ServerContext(
        settings=settings,
        # Every job slot, the claim and the lease renewal each hold a connection at times: a
        # smaller pool opened and closed overflow connections (a PostgreSQL backend) per job.
        db=database
        or Database(settings.database_url, pool_size=max(10, settings.worker_concurrency + 4)),
        mailer=build_email_provider(settings),
        ai=build_ai_provider(settings),
    )

"""The one settings object (CONTRACT §2), read from the environment or a ``.env`` file."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_BITS = 256  # 32 bytes of entropy: what ``new_secret_key`` gives
# Words of the placeholders that examples and tutorials ship; a key containing one was typed.
PLACEHOLDER_WORDS = ("changeme", "replaceme", "yoursecret", "secretkey", "placeholder", "example")


class Settings(BaseSettings):
    """Server configuration. Built once in the entry point and passed to whatever needs it."""

    model_config = SettingsConfigDict(
        env_prefix="LEADFLOW_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("leadflow", "LeadFlow")))
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr("")

    ai_provider: Literal["local", "openai"] = "local"
    ai_base_url: str = "https://api.deepseek.com"
    ai_api_key: SecretStr = SecretStr("")
    ai_model: str = "deepseek-v4-flash"
    ai_timeout_s: float = 20.0

    email_provider: Literal["outbox", "smtp", "resend"] = "outbox"
    email_from: str = "LeadFlow <noreply@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_s: float = 20.0
    resend_api_key: SecretStr = SecretStr("")
    resend_base_url: str = "https://api.resend.com"

    follow_up_delay_h: float = 24.0

    # Inbound mail (CONTRACT §10): off without the domain. The webhook needs the secret; the
    # IMAP channel runs in the worker when a host is set.
    inbound_domain: str = ""
    inbound_secret: SecretStr = SecretStr("")
    inbound_max_bytes: int = 25 * 1_048_576
    inbound_attachments_max_bytes: int = 10 * 1_048_576
    imap_host: str = ""
    imap_port: int = 993
    imap_username: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_ssl: bool = True
    imap_folder: str = "INBOX"
    imap_poll_s: float = 30.0
    imap_batch: int = 50
    imap_concurrency: int = 8

    # Operator switches for production (each one must be explicit).
    allow_generated_secret: bool = False
    allow_local_ai: bool = False
    allow_outbox_email: bool = False

    # HTTP hygiene and abuse limits.
    max_body_bytes: int = 262_144
    max_upload_bytes: int = 3 * 1_048_576
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    login_max_failures: int = 5
    login_window_s: int = 900
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    invite_ttl_s: int = 7 * 24 * 3600
    reset_ttl_s: int = 3600

    # Public form abuse limits (per client address, per form) and the render-to-submit minimum.
    intake_ip_limit: int = 20
    intake_ip_window_s: int = 600
    intake_form_limit: int = 300
    intake_form_window_s: int = 3600
    form_min_fill_s: float = 3.0

    # Jobs.
    worker_concurrency: int = 16
    # AI calls a worker runs at once beside its slots (0: a job waiting on the AI holds its slot).
    # A worker keeps up with leads/s × the model's seconds calls in flight: 200 is 50 leads/s
    # with a 4 s model, twice what a 2 s one needs (at exactly what it needs, a queue builds).
    ai_concurrency: int = 200
    job_lease_s: int = 120
    # The first retry of a mail after a temporary failure; it doubles up to an hour.
    mail_retry_first_s: float = 60.0
    # Lowers every job's own attempt limit when set (mail retries until its 24-hour horizon).
    job_max_attempts: int | None = None

    # Where the secret key came from ("env" or "generated"); set by ``load_settings``.
    secret_source: str = "env"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("inbound_domain")
    @classmethod
    def _bare_domain(cls, value: str) -> str:
        return value.strip().lstrip("@").lower()

    @property
    def inbound_enabled(self) -> bool:
        return bool(self.inbound_domain)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sync_database_url(self) -> str:
        """The same database through a synchronous driver (Alembic's offline tools, APScheduler)."""
        return to_sync_url(self.database_url)


def to_sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def load_settings(**overrides: object) -> Settings:
    """Build the settings, create the data dir and fill in the generated secret if none is set."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    from server.private_files import private_dir

    private_dir(settings.data_dir)
    if not settings.database_url:
        settings.database_url = f"sqlite+aiosqlite:///{settings.data_dir / 'leadflow.db'}"
    if not settings.secret_key.get_secret_value():
        settings.secret_key = SecretStr(_generated_secret(settings.data_dir))
        settings.secret_source = "generated"
    from server.auth.security import configure_hashing

    configure_hashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    return settings


def _generated_secret(data_dir: Path) -> str:
    """Read the data dir's secret, creating it once with owner-only permissions."""
    path = data_dir / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def new_secret_key() -> str:
    """A fresh signing key (``leadflow-server secret``): 48 random bytes, URL-safe."""
    return secrets.token_urlsafe(48)


def secret_key_bits(key: str) -> float:
    """An upper estimate of a key's entropy: its length times the bits of the character
    classes it uses; a key of few distinct characters ("ssss…") counts as none."""
    if len(set(key)) < 16:
        return 0.0
    alphabet = sum(
        size
        for size, present in (
            (26, any(c.islower() for c in key)),
            (26, any(c.isupper() for c in key)),
            (10, any(c.isdigit() for c in key)),
            (33, any(not c.isalnum() for c in key)),
        )
        if present
    )
    return len(key) * math.log2(alphabet)


def _weak_secret(key: str) -> bool:
    folded = "".join(c for c in key.lower() if c.isalnum())
    return secret_key_bits(key) < MIN_SECRET_BITS or any(w in folded for w in PLACEHOLDER_WORDS)


def _public_url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return "LEADFLOW_PUBLIC_URL must start with https:// (links carry sign-in tokens)"
    try:
        local = ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        local = host == "localhost" or host.endswith(".localhost") or not host
    if local:
        return "LEADFLOW_PUBLIC_URL names this machine (customers and owners could not open it)"
    return None


def production_problems(settings: Settings) -> list[str]:
    """What keeps a production server from starting; empty when it may start."""
    if settings.env != "production":
        return []
    problems = []
    if settings.secret_source == "generated" and not settings.allow_generated_secret:
        problems.append(
            "LEADFLOW_SECRET_KEY is not set (set it, or LEADFLOW_ALLOW_GENERATED_SECRET=true)"
        )
    elif settings.secret_source == "env" and _weak_secret(settings.secret_key.get_secret_value()):
        problems.append(
            "LEADFLOW_SECRET_KEY is a placeholder or too short to be secret "
            "(use the output of `leadflow-server secret`)"
        )
    url_problem = _public_url_problem(settings.public_url)
    if url_problem:
        problems.append(url_problem)
    if settings.ai_provider == "local" and not settings.allow_local_ai:
        problems.append(
            "LEADFLOW_AI_PROVIDER is 'local' (use 'openai', or LEADFLOW_ALLOW_LOCAL_AI=true)"
        )
    if settings.email_provider == "outbox" and not settings.allow_outbox_email:
        problems.append(
            "LEADFLOW_EMAIL_PROVIDER is 'outbox' "
            "(use smtp/resend, or LEADFLOW_ALLOW_OUTBOX_EMAIL=true)"
        )
    return problems

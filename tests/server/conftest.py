"""Server test fixtures: real databases (SQLite always, PostgreSQL when configured), a real SMTP
server on loopback, the app over ASGI, and a worker the test drives tick by tick."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from server.app import create_app
from server.config import Settings, load_settings
from server.context import ServerContext, build_context
from server.jobs.handlers import give_up_handlers, handlers
from server.jobs.worker import Worker
from server.migrate import upgrade
from tests.server.support import POSTGRES_DATABASES, SmtpSink, pg_admin_execute

PG_URL = os.environ.get("LEADFLOW_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def pytest_report_header() -> str:
    return f"leadflow database backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL is not configured (LEADFLOW_TEST_DATABASE_URL)")
    name = f"lf_tmpl_{uuid.uuid4().hex[:8]}"
    pg_admin_execute(PG_URL, f'CREATE DATABASE "{name}"')
    upgrade(str(make_url(PG_URL).set(database=name)))
    yield name
    pg_admin_execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "leadflow.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"lf_t_{uuid.uuid4().hex[:10]}"
    pg_admin_execute(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    POSTGRES_DATABASES.count += 1
    try:
        yield str(make_url(PG_URL).set(database=name))
    finally:
        pg_admin_execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, request, tmp_path)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database, for tests that are about PostgreSQL's concurrency."""
    if not PG_URL:
        pytest.skip("PostgreSQL is not configured (LEADFLOW_TEST_DATABASE_URL)")
    yield from fresh_database("postgres", request, tmp_path)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def make_settings(
    db_url: str, data_dir: Path, smtp: SmtpSink | None, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "data_dir": data_dir,
        "database_url": db_url,
        "public_url": "http://testserver",
        "email_from": "LeadFlow <noreply@leadflow.test>",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "form_min_fill_s": 0.0,
        "worker_concurrency": 4,
        # Cheap password hashing: the suite signs in hundreds of times.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
    }
    if smtp is not None:
        values.update(email_provider="smtp", smtp_host="127.0.0.1", smtp_port=smtp.port)
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtp: SmtpSink) -> Settings:
    return make_settings(db_url, tmp_path / "data", smtp)


@pytest.fixture
async def ctx(settings: Settings) -> AsyncIterator[ServerContext]:
    context = build_context(settings)
    yield context
    await context.db.dispose()


@pytest.fixture
async def app(ctx: ServerContext) -> AsyncIterator[object]:
    application = create_app(ctx=ctx)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def worker(ctx: ServerContext) -> Worker:
    return Worker(ctx, handlers(), give_up=give_up_handlers(), worker_id="test-worker")

"""``leadflow-server``: migrate, create-admin, serve, worker, demo (CONTRACT §1)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from typing import Any

from server.config import Settings, load_settings, new_secret_key, production_problems

log = logging.getLogger("leadflow")
GRACEFUL_SHUTDOWN_S = 5


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _settings_or_exit(check_production: bool = True) -> Settings:
    settings = load_settings()
    if check_production:
        problems = production_problems(settings)
        if problems:
            print(
                "leadflow-server: refusing to start in production: " + "; ".join(problems),
                file=sys.stderr,
            )
            raise SystemExit(2)
    return settings


def cmd_migrate(_args: argparse.Namespace) -> int:
    from server.migrate import upgrade

    settings = _settings_or_exit(check_production=False)
    upgrade(settings.database_url)
    print(f"migrated {_redacted(settings.database_url)} to head")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise SystemExit("leadflow-server: the passwords do not match")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_create_admin(args: argparse.Namespace) -> int:
    from server.admin.accounts import create_or_update_admin
    from server.auth.security import MIN_PASSWORD_LENGTH
    from server.db import Database

    settings = _settings_or_exit(check_production=False)
    password = _read_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        print(
            f"leadflow-server: the password needs at least {MIN_PASSWORD_LENGTH} characters",
            file=sys.stderr,
        )
        return 2

    async def run() -> str:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                user, created = await create_or_update_admin(
                    session, args.email, password, args.name
                )
                return f"{'created' if created else 'updated'} super-admin {user.email}"
        finally:
            await db.dispose()

    try:
        print(asyncio.run(run()))
    except ValueError as error:
        print(f"leadflow-server: {error}", file=sys.stderr)
        return 2
    return 0


def _follow_port(settings: Settings, args: argparse.Namespace) -> None:
    """Without LEADFLOW_PUBLIC_URL, links point at the address this process serves on."""
    import os

    if "LEADFLOW_PUBLIC_URL" not in os.environ and "public_url" not in settings.model_fields_set:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
        settings.public_url = f"http://{host}:{args.port}"


def cmd_serve(args: argparse.Namespace, settings: Settings | None = None) -> int:
    import uvicorn

    settings = settings or _settings_or_exit()
    _follow_port(settings, args)
    _configure_logging()
    if args.workers > 1:
        if settings.is_sqlite:
            print("leadflow-server: several API processes need PostgreSQL", file=sys.stderr)
            return 2
        # Each uvicorn worker process builds its own app from the environment.
        import os

        os.environ["LEADFLOW_RUN_WORKER"] = "0" if args.no_worker else "1"
        uvicorn.run(
            "server.cli:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=False,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return 0
    from server.app import create_app

    app = create_app(settings, run_worker=not args.no_worker)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=False,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    try:
        closing_server(config).run()
    except KeyboardInterrupt:
        # uvicorn has shut down cleanly, then re-raises Ctrl+C (SIGINT) for the exit status.
        return 130
    return 0


def closing_server(config: Any) -> Any:
    """uvicorn's server that first closes the open ``/events`` streams when it stops, so those
    connections end instead of holding the shutdown open."""
    import uvicorn

    class ClosingServer(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            events = getattr(config.app.state, "events", None)
            if events is not None:
                await events.stop()
            await super().shutdown(sockets)

    return ClosingServer(config)


def app_from_env() -> Any:
    """uvicorn factory for ``serve --workers N``."""
    import os

    from server.app import create_app

    return create_app(load_settings(), run_worker=os.environ.get("LEADFLOW_RUN_WORKER") == "1")


def cmd_worker(_args: argparse.Namespace) -> int:
    from server.context import build_context
    from server.jobs.runtime import BackgroundRuntime

    settings = _settings_or_exit()
    _configure_logging()

    async def run() -> None:
        ctx = build_context(settings)
        runtime = BackgroundRuntime(ctx)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runtime.start()
        log.info("worker running; Ctrl+C to stop")
        await stop.wait()
        await runtime.stop()
        await ctx.db.dispose()

    run_loop(run())
    return 0


def cmd_secret(_args: argparse.Namespace) -> int:
    print(new_secret_key())
    return 0


def run_loop(main: Any) -> Any:
    """Run a coroutine on uvloop where it is installed (less overhead per await), else asyncio."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it except on Windows
        return asyncio.run(main)
    return uvloop.run(main)


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import prepare_demo

    settings = _settings_or_exit(check_production=False)
    _configure_logging()
    _follow_port(settings, args)
    from server.migrate import upgrade

    upgrade(settings.database_url)
    for line in asyncio.run(prepare_demo(settings)):
        print(line)
    args.no_worker = False
    args.workers = 1
    return cmd_serve(args, settings)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("leadflow")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leadflow-server", description="The LeadFlow server.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the database migrations").set_defaults(fn=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create or update a super-admin")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default=None)
    admin.set_defaults(fn=cmd_create_admin)
    for name, fn, text in (
        ("serve", cmd_serve, "run the API (and the jobs unless --no-worker)"),
        ("demo", cmd_demo, "set up demo data and serve it"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        if name == "serve":
            p.add_argument("--workers", type=int, default=1)
            p.add_argument("--no-worker", action="store_true")
        p.set_defaults(fn=fn)
    sub.add_parser("worker", help="run only the background jobs").set_defaults(fn=cmd_worker)
    sub.add_parser("secret", help="print a fresh LEADFLOW_SECRET_KEY").set_defaults(fn=cmd_secret)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())

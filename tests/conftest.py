"""Suite-wide setup: Qt offscreen (with PySide6's reference-count fix), the repository
importable."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Cheap password hashing for every server the suite starts (in-process or as a subprocess):
# the tests sign in hundreds of times; production keeps argon2's defaults.
os.environ.setdefault("LEADFLOW_ARGON2_TIME_COST", "1")
os.environ.setdefault("LEADFLOW_ARGON2_MEMORY_KIB", "1024")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if importlib.util.find_spec("PySide6") is not None:  # a server-only install has no Qt
    # As the app does at its start (desktop.app.qt_application), before any test emits a signal.
    from desktop.qt_workarounds import install

    install()


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    """In CI (``LEADFLOW_REQUIRE_POSTGRES=1``) a run whose PostgreSQL half did not run fails."""
    if os.environ.get("LEADFLOW_REQUIRE_POSTGRES") != "1":
        return
    if not any(item.nodeid.startswith("tests/server/") for item in session.items):
        return  # this run holds no server tests (the Qt suites run in their own process)
    from tests.server.support import POSTGRES_DATABASES

    if POSTGRES_DATABASES.count == 0:
        print("\nFAILED: LEADFLOW_REQUIRE_POSTGRES=1 but no test ran on PostgreSQL")
        session.exitstatus = 1

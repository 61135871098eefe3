"""The desktop app builds with PyInstaller, and the built binary shows its main window and lets
a new user sign in as the installed command does (tests/desktop_entry).

Building takes about two minutes on the CI machine (2 cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.desktop_entry.walk import (
    DesktopApp,
    demo_server,
    local_lead_count,
    sign_in_again,
    sign_in_first_time,
    sign_out,
    wait_until,
    x_server,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)  # the build alone takes minutes on two busy cores
def test_the_built_app_starts_offscreen_and_shows_its_main_window(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "work"
    build = subprocess.run(
        [
            "bash",
            str(ROOT / "scripts" / "build_desktop"),
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    binary = dist / "leadflow" / "leadflow"
    assert binary.is_file() and os.access(binary, os.X_OK)
    bundle = dist / "leadflow" / "_internal"
    assert (bundle / "desktop" / "ui" / "resources" / "leadflow-256.png").is_file()
    assert (bundle / "share" / "applications" / "leadflow.desktop").is_file()
    assert not (bundle / "server").exists(), "the server is not part of the desktop app"
    assert not list(bundle.glob("**/fastapi")), "server-only packages are excluded"

    home = tmp_path / "home"
    home.mkdir()
    run = subprocess.run(
        [str(binary), "--smoke"],
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "shown=True" in run.stdout
    assert "form preview rendered=True" in run.stdout
    assert not (home / ".local" / "share" / "leadflow-desktop").exists(), "smoke leaves no data"

    # The same first run as the installed command's: sign in, the inbox, sign out, sign in again.
    with demo_server(tmp_path) as server, x_server() as display:
        app = DesktopApp([str(binary)], display, tmp_path / "walk-home")
        try:
            window = sign_in_first_time(app, server)
            leads = wait_until("the inbox's leads", lambda: local_lead_count(app), timeout=30)
            sign_out(app, window)
            sign_in_again(app, server)
            app.assert_running()
            assert local_lead_count(app) == leads
        finally:
            app.stop()

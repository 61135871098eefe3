"""``leadflow --help`` and ``--version`` answer without Qt, and without a display the app says so
in one line instead of aborting in Qt's platform plugin."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.desktop_entry.walk import VENV_BIN

NO_DISPLAY = {
    k: v
    for k, v in os.environ.items()
    if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
}


def leadflow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "leadflow"), *args],
        env=NO_DISPLAY,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_and_version_answer_without_a_display() -> None:
    help_ = leadflow("--help")
    assert help_.returncode == 0, help_.stderr
    assert "usage: leadflow" in help_.stdout and "leadflow://lead/<id>" in help_.stdout
    version = leadflow("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("leadflow 0.")


def test_help_does_not_load_qt() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom desktop.app import main\ntry:\n    main(['leadflow', '--help'])\n"
            "except SystemExit:\n    pass\nprint('qt loaded:', 'PySide6' in sys.modules)",
        ],
        env=NO_DISPLAY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "qt loaded: False" in probe.stdout, probe.stdout + probe.stderr


def test_without_a_display_it_says_so_in_one_line() -> None:
    run = leadflow()
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "leadflow: no display found (DISPLAY is not set): start LeadFlow from a desktop session."
    ]


def test_a_link_that_is_not_a_lead_is_refused_with_its_form() -> None:
    run = leadflow("leadflow://settings")
    assert run.returncode == 2
    assert "expected leadflow://lead/<id>" in run.stderr


def test_the_app_runs_without_the_server_only_modules(tmp_path) -> None:
    """The app's start leaves numpy and pandas out (sqlite-utils would import them for nothing):
    the window's modules and the local copy work without them, and they are never loaded."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from desktop.app import leave_out_server_only_modules\n"
            "leave_out_server_only_modules()\n"
            "import desktop.ui.main_window, desktop.ui.admin, desktop.session\n"
            "from desktop.store import LocalStore\n"
            f"store = LocalStore({str(tmp_path / 'copy.sqlite3')!r})\n"
            "print('tables:', len(store.db.table_names()) > 0)\n"
            "print('loaded:', [m for m in ('numpy', 'pandas') if sys.modules.get(m)])\n",
        ],
        env=NO_DISPLAY | {"QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "tables: True" in probe.stdout, probe.stdout + probe.stderr
    assert "loaded: []" in probe.stdout, probe.stdout + probe.stderr

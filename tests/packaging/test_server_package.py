"""The server as its own package: it never imports Qt, ``leadflow-server`` answers ``--version``
and ``--help`` without it, and the wheel ``python -m build`` makes installs into a fresh venv
and runs ``migrate`` and ``serve`` from there."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

from tests.server.support import free_port

ROOT = Path(__file__).resolve().parents[2]

# A server-only environment, simulated: any import of Qt fails, as it would without PySide6.
NO_QT = """
import importlib.abc, pkgutil, sys

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "keyring", "sqlite_utils"):
            raise ImportError(f"{name} is not installed (server-only environment)")
        return None

sys.meta_path.insert(0, NoQt())
import server
modules = [m.name for m in pkgutil.walk_packages(server.__path__, "server.")
           if ".migrations." not in m.name]  # run by alembic, not imported
for name in modules:
    __import__(name)
assert not [m for m in sys.modules if m.startswith(("PySide6", "desktop"))]
print(len(modules))
from server.cli import main
main(sys.argv[1:])
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_QT, *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_every_server_module_imports_without_qt_and_the_cli_answers_version_and_help():
    version = _run("--version")
    assert version.returncode == 0, version.stderr
    imported, line = version.stdout.split()[0], version.stdout.splitlines()[-1]
    assert int(imported) > 50  # every module of the server package was imported
    assert line.startswith("leadflow-server ") and line != "leadflow-server unknown"
    help_ = _run("--help")
    assert help_.returncode == 0, help_.stderr
    assert "migrate" in help_.stdout and "worker" in help_.stdout


@pytest.mark.timeout(300)
def test_the_wheel_installs_into_a_fresh_venv_and_migrates_and_serves(tmp_path: Path):
    dist = tmp_path / "dist"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--wheel",
            "--sdist",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = dist.glob("leadflow-*.whl")
    assert list(dist.glob("leadflow-*.tar.gz"))

    # A fresh venv with the wheel and nothing else of this checkout; its dependencies come from
    # this environment's site-packages (a path line, so the checkout's editable hook is not run).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "deps-from-the-test-env.pth").write_text("\n".join(ours) + "\n")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run(
        [str(python), "-c", "import server; print(server.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert where.startswith(str(env_dir)), where  # the wheel's server, not the checkout's

    script = env_dir / "bin" / "leadflow-server"
    port = free_port()
    env = os.environ | {
        "LEADFLOW_ENV": "test",
        "LEADFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'wheel.db'}",
        "LEADFLOW_DATA_DIR": str(tmp_path / "data"),
        "LEADFLOW_SECRET_KEY": "wheel-test-secret-key-that-is-long-enough-0123",
    }
    migrated = subprocess.run(
        [str(script), "migrate"], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    server = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, health, form = time.monotonic() + 60, None, None
        while time.monotonic() < deadline and health is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
        assert health is not None and health.json() == {"status": "ok"}
        form = httpx.get(f"http://127.0.0.1:{port}/forms/no-such-form", timeout=5)
        assert form.status_code == 404 and "unavailable" in form.text  # templates shipped
    finally:
        server.terminate()
        server.wait(20)

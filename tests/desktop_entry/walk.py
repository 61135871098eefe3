"""The desktop app as a person starts it: the installed command on a real X server (Xvfb), driven
by typed keys (xdotool), against a real server process.

Nothing here imports the app: what the test knows comes from the screen (window titles), from the
server's API and from the files the app writes, as it would for a person at the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.server.support import free_port

VENV_BIN = Path(sys.executable).parent


def wait_until(what: str, check: Callable[[], object], timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@contextmanager
def x_server() -> Iterator[str]:
    """A fresh Xvfb; yields its DISPLAY. Xvfb picks a free display number itself."""
    read, write = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class DemoServer:
    url: str
    form_slug: str
    owner_email: str
    owner_password: str
    data_dir: Path
    log: Path

    def submit_lead(self, **fields: str) -> None:
        """A customer fills in the business's form (its JSON route, as the page's script does)."""
        body = {"submission_id": str(uuid.uuid4()), **fields}
        answer = httpx.post(f"{self.url}/api/v1/public/forms/{self.form_slug}/submit", json=body)
        assert answer.status_code == 202, answer.text

    def owner_api(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=20)
        login = client.post(
            "/api/v1/auth/login",
            json={"email": self.owner_email, "password": self.owner_password},
        )
        assert login.status_code == 200, login.text
        body = login.json()
        client.headers["Authorization"] = f"Bearer {body['access_token']}"
        client.headers["X-Business-Id"] = body["memberships"][0]["business_id"]
        return client


@contextmanager
def demo_server(tmp_path: Path) -> Iterator[DemoServer]:
    """``leadflow-server demo`` as the README starts it; the owner login is read from its output."""
    port = free_port()
    log = tmp_path / "demo.log"
    data_dir = tmp_path / "server"
    env = {**os.environ, "LEADFLOW_DATA_DIR": str(data_dir)}
    for name in list(env):
        if name.startswith("LEADFLOW_") and name != "LEADFLOW_DATA_DIR":
            del env[name]  # the embedded defaults, as on a fresh machine
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "leadflow-server"), "demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"

        def ready() -> re.Match[str] | None:
            assert process.poll() is None, log.read_text()[-2000:]
            login = re.search(r"Owner:\s+(\S+) / (\S+)", log.read_text())
            if login is None:
                return None
            try:
                return login if httpx.get(f"{url}/health", timeout=2).status_code == 200 else None
            except httpx.HTTPError:
                return None

        login = wait_until("the demo server", ready, timeout=60)
        assert isinstance(login, re.Match)
        slug = re.search(r"Public form:\s+\S+/forms/(\S+)", log.read_text())
        assert slug, log.read_text()
        yield DemoServer(url, slug.group(1), login.group(1), login.group(2), data_dir, log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class DesktopApp:
    """The app's process on ``display``, with a fresh home, so every run is a first run."""

    def __init__(self, command: list[str], display: str, home: Path) -> None:
        self.display = display
        self.home = home
        self.data_dir = home / "leadflow-desktop"
        self.log = home / "app.log"
        home.mkdir(parents=True, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY") and not key.startswith("LEADFLOW_")
        }
        env.update(
            DISPLAY=display,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_RUNTIME_DIR=str(home / "run"),
            LEADFLOW_DESKTOP_DATA_DIR=str(self.data_dir),
            QTWEBENGINE_DISABLE_SANDBOX="1",
        )
        (home / "run").mkdir(mode=0o700, exist_ok=True)
        self.env = env
        with self.log.open("w") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    # -- what a person sees ---------------------------------------------------------------------

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout

    def visible_windows(self) -> dict[str, str]:
        """Title of every visible top-level window, by X window id."""
        ids = self.xdotool("search", "--onlyvisible", "--name", ".").split()
        titles = {w: self.xdotool("getwindowname", w).strip() for w in ids}
        return {w: t for w, t in titles.items() if t}

    def wait_for_window(self, pattern: str, timeout: float = 30.0) -> str:
        def find() -> str | None:
            self.assert_running()
            for window, title in self.visible_windows().items():
                if re.search(pattern, title):
                    return window
            return None

        try:
            return str(wait_until(f"a window titled /{pattern}/", find, timeout))
        except AssertionError:
            raise AssertionError(
                f"no window /{pattern}/; visible: {self.visible_windows()}\n{self.log_tail()}"
            ) from None

    def wait_gone(self, window: str, timeout: float = 15.0) -> None:
        wait_until(
            f"window {window} to close",
            lambda: window not in self.visible_windows() or not self.running(),
            timeout,
        )

    def focus(self, window: str) -> None:
        self.xdotool("windowfocus", "--sync", window)
        time.sleep(0.3)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "15", text)

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--clearmodifiers", *keys)
        time.sleep(0.2)

    def screenshot(self, path: Path) -> None:
        if shutil.which("import"):
            subprocess.run(
                ["import", "-window", "root", str(path)],
                env={**os.environ, "DISPLAY": self.display},
                timeout=30,
                check=False,
            )

    # -- the process ----------------------------------------------------------------------------

    def running(self) -> bool:
        return self.process.poll() is None

    def assert_running(self) -> None:
        assert self.running(), f"the app exited (code {self.process.returncode})\n{self.log_tail()}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> int:
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


# -- the steps of a walk, shared by the installed command's test and the packaged build's -------

SIGN_IN = r"^Sign in"
MAIN_WINDOW = r"^LeadFlow — "


def dismiss_keyring_note(app: DesktopApp) -> None:
    """This machine has no keyring: the app says so once, in a box a person closes with Enter."""
    try:
        note = app.wait_for_window(r"^No keyring$", timeout=5)
    except AssertionError:
        return
    app.focus(note)
    app.key("Return")
    app.wait_gone(note)


def sign_in_first_time(app: DesktopApp, server: DemoServer) -> str:
    """A first run: the sign-in dialog, the server address and the owner's login typed in; returns
    the main window's id once it is up."""
    dialog = app.wait_for_window(SIGN_IN)
    app.focus(dialog)
    # The dialog opens on the e-mail field; the server address is the field before it.
    app.key("shift+Tab", "ctrl+a")
    app.type(server.url)
    app.key("Tab", "ctrl+a")
    app.type(server.owner_email)
    app.key("Tab")
    return _enter_password(app, server, dialog)


def sign_in_again(app: DesktopApp, server: DemoServer) -> str:
    """After signing out the dialog remembers the server and the e-mail: Tab to the password."""
    dialog = app.wait_for_window(SIGN_IN)
    app.focus(dialog)
    app.key("Tab")
    return _enter_password(app, server, dialog)


def _enter_password(app: DesktopApp, server: DemoServer, dialog: str) -> str:
    app.type(server.owner_password)
    app.key("Return")
    app.wait_gone(dialog)
    window = app.wait_for_window(MAIN_WINDOW)
    dismiss_keyring_note(app)
    return window


def sign_out(app: DesktopApp, window: str) -> None:
    app.focus(window)
    app.key("ctrl+shift+l")
    question = app.wait_for_window(r"^Sign out$")
    app.focus(question)
    app.key("Return")  # the default: sign out and keep the local copy
    app.wait_gone(window)


def local_lead_count(app: DesktopApp) -> int:
    """How many leads the app's local copy (the inbox's source) holds."""
    import sqlite3

    stores = list((app.data_dir / "businesses").glob("*.sqlite3"))
    if not stores:
        return 0
    with sqlite3.connect(f"file:{stores[0]}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM leads").fetchone()[0])

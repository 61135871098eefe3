"""The desktop app with 20,000 leads in its local copy.

    python -m bench desktop [--leads 20000] [--messages-per-lead 2] [--starts 5]
                            [--keep DIR] [--only bootstrap|app]

``--keep DIR`` works in DIR and leaves the server database and the local copy there;
``--only app`` then measures the app over that copy again without a new bootstrap, and
``--only bootstrap`` runs the first half alone.

1. Bootstrap: a fresh SQLite server database is seeded with multi-row INSERTs (``bench.sync``:
   versions and the ``sync_counters`` row set consistently), ``leadflow-server serve --no-worker``
   runs it, and the desktop's own ``SyncEngine`` pulls everything from cursor 0 into the desktop's
   ``LocalStore`` (pages of 500, each applied with its cursor in one transaction) — target ≤ 8 s.
2. That local copy is then opened by the real app in fresh processes (``--app``), offline (the
   server address refuses connections), with ``QT_QPA_PLATFORM=offscreen``:
   - cold start: from spawning the process to the inbox filled: it holds every open lead
     (its row count, the scroll range) and the rows on screen are loaded and painted (the
     inbox loads rows in windows of 200 as they come into view) — target ≤ 1.5 s;
   - search: typing a query to the inbox showing the matches (their count, and the rows on
     screen loaded, in the app's first paint after they are in), p95 — target ≤ 50 ms; also
     the process's CPU time per query (steadier than wall time on a shared machine);
   - scrolling: the inbox from top to bottom a page at a time, each step repainted, and a step
     whose rows were not loaded yet waits for them (that wait is part of the step): the
     slowest step is the worst stall (a frame at 60 Hz is 16.7 ms);
   - memory: the process's RSS after all that — target ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUSINESS = "00000000-0000-4000-8000-000000000020"  # the folder name the app looks for
QUERIES = ["garcia", "window", "moss", "elena", "kitchen stain", "novak", "867", "office", "jade"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def rss_mb() -> tuple[float, float]:
    """The current and the peak resident memory of this process, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


# -- 1. bootstrap from a real server -------------------------------------------------------------


async def bootstrap(workdir: Path, leads: int, per_lead: int) -> dict[str, float]:
    """Seed a server, pull it into the desktop copy under ``workdir`` (which the app then
    opens), and return the seed and bootstrap times."""
    from bench.sync import PASSWORD, Server, _free_port, seed, settings_for
    from desktop.api import ApiClient
    from desktop.outbox import Outbox
    from desktop.store import LocalStore
    from desktop.sync import SyncEngine
    from server.migrate import upgrade

    url = f"sqlite+aiosqlite:///{workdir / 'server.db'}"
    settings = settings_for(url, workdir / "server-data")
    began = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    await seed(settings, leads, per_lead)
    seeded = time.perf_counter() - began
    server = Server(settings, port=_free_port())
    path = workdir / "desktop" / "businesses" / f"{BUSINESS}.sqlite3"
    try:
        await server.ready()
        api = ApiClient(server.url, timeout=60)
        await api.login("owner@bench.example", PASSWORD)
        store = LocalStore(path)
        engine = SyncEngine(api, store, Outbox(store))
        started, cpu = time.perf_counter(), time.process_time()
        await engine.pull()
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        count = store.db.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
        messages = store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        store.close()
        await api.aclose()
    finally:
        server.stop()
    assert count == leads, f"bootstrapped {count} of {leads} leads"
    return {
        "seed_s": seeded,
        "bootstrap_s": took,
        "bootstrap_cpu_s": cpu,
        "leads": count,
        "messages": messages,
    }


# -- 2. the app over that copy (runs in a child process) ----------------------------------------


def run_app(data_dir: str, measure: bool) -> int:
    """Open the app over the local copy; print one JSON line of measurements."""
    os.environ["LEADFLOW_DESKTOP_DATA_DIR"] = data_dir
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import leave_out_server_only_modules

    leave_out_server_only_modules()  # as the app's own start does
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer

    from desktop.accounts import Account, BusinessRef
    from desktop.app import qt_application
    from desktop.secrets import SecretStore
    from desktop.service_thread import ServiceThread
    from desktop.session import Session
    from desktop.ui.main_window import MainWindow

    app = qt_application([sys.argv[0]])
    app.setStyle("Fusion")
    account = Account(
        "http://127.0.0.1:9", "owner@bench.example", "Bench Owner", "business_owner",
        [BusinessRef(BUSINESS, "Bench Cleaning")], BUSINESS,
    )  # fmt: skip
    service = ServiceThread()
    service.start()
    session = Session(account, None, service=service, secrets=SecretStore("LeadFlow bench"))
    settings = QSettings(str(Path(data_dir) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    window.resize(1360, 860)
    inbox = window.inbox
    session.start()
    window.load()
    window.show()
    expected = int(
        session.store.db.execute(
            "SELECT COUNT(*) FROM leads WHERE status NOT IN ('lost', 'archived', 'spam')"
        ).fetchone()[0]
    )

    def wait(predicate, timeout: float = 30.0) -> None:
        """Run the event loop until ``predicate()`` holds, checked every millisecond. The loop
        sleeps between events as the app's own does: a loop spinning ``processEvents`` would
        hold the GIL and starve the service thread whose answer it waits for."""
        if predicate():
            return
        deadline = time.monotonic() + timeout
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(1)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        # The deadline is checked on the timer too: a predicate that never holds must end the
        # loop with the TimeoutError below, not keep it running.
        timer.timeout.connect(
            lambda: loop.quit() if predicate() or time.monotonic() > deadline else None
        )
        timer.start()
        while not predicate():
            if time.monotonic() > deadline:
                timer.stop()
                raise TimeoutError(f"timed out waiting for {getattr(predicate, '__name__', '?')}")
            loop.exec()
        timer.stop()

    wait(lambda: inbox.proxy.rowCount() == expected and expected > 0 and on_screen_loaded(inbox))
    window.repaint()
    result: dict[str, object] = {"filled_at": time.time(), "rows": expected}
    if measure:
        result.update(search(inbox, session, wait))
        result.update(scroll(app, inbox, wait))
        result["rss_mb"], result["peak_rss_mb"] = rss_mb()
    print("RESULT " + json.dumps(result), flush=True)
    window.quitting = True
    window.close()
    session.stop()
    service.stop()
    return 0


def on_screen_loaded(inbox) -> bool:
    """Whether the rows the list shows are loaded (not blank rows waiting for their window)."""
    from PySide6.QtCore import QPoint

    view = inbox.list
    top = view.indexAt(QPoint(1, 0)).row()
    if top < 0:
        return inbox.model.total == 0
    bottom = view.indexAt(QPoint(1, view.viewport().height() - 1)).row()
    return bool(inbox.model.loaded(top, bottom if bottom >= 0 else inbox.model.total - 1))


def search(inbox, session, wait) -> dict[str, object]:
    """From a query's request to the inbox's first paint that shows its count and the rows on
    screen loaded (the 120 ms typing debounce is not counted: it is a deliberate pause, not
    work). The paint is the app's own: forcing one more would count a paint the user never
    waits for, and leave the app's pending one to land in the next query's time."""
    from PySide6.QtCore import QEvent, QObject

    answered: list[int] = []
    session.inbox_ready.connect(  # after the inbox's own slot: the model is filled by then
        lambda window: answered.append(window.token) if window.total >= 0 else None
    )

    def showing() -> bool:
        return bool(answered) and answered[-1] == inbox.token and on_screen_loaded(inbox)

    class Painted(QObject):
        """Notes a paint of the table that starts while the results are in the model (the
        filter runs just before the paint; the wait's next check comes after it)."""

        shown = False

        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint and showing():
                self.shown = True
            return False

    painted = Painted()
    viewport = inbox.list.viewport()
    viewport.installEventFilter(painted)
    # A query without matches shows the empty state in the list's place: its paint counts.
    inbox.empty.label.installEventFilter(painted)

    def shown() -> bool:
        if painted.shown:
            return True
        if showing():
            viewport.update()  # merges with the app's pending paint, if it scheduled one
            inbox.empty.label.update()
        return False

    times: list[float] = []
    cpu: list[float] = []
    for round_ in range(6):
        for query in QUERIES:
            inbox.search.blockSignals(True)
            inbox.search.setText(query)
            inbox.search.blockSignals(False)
            painted.shown = False
            started, cpu_started = time.perf_counter(), time.process_time()
            inbox.refresh()
            wait(shown)
            if round_:  # the first round warms SQLite's page cache
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
    viewport.removeEventFilter(painted)
    inbox.empty.label.removeEventFilter(painted)
    inbox.search.setText("")
    inbox.refresh()
    wait(lambda: answered[-1] == inbox.token and on_screen_loaded(inbox))
    return {
        "search_p50_ms": percentile(times, 50) * 1000,
        "search_p95_ms": percentile(times, 95) * 1000,
        "search_cpu_p50_ms": percentile(cpu, 50) * 1000,
        "search_cpu_p95_ms": percentile(cpu, 95) * 1000,
        "search_n": len(times),
    }


def scroll(app, inbox, wait) -> dict[str, object]:
    """Page down through the whole inbox; each step repaints the table synchronously, and a
    step that shows rows not loaded yet lasts until they are, repainted."""
    wait_rows = inbox.proxy.rowCount()
    bar = inbox.list.verticalScrollBar()
    bar.setValue(0)
    app.processEvents()
    steps: list[float] = []
    late = 0
    value = 0
    while value < bar.maximum():
        value = min(bar.maximum(), value + bar.pageStep())
        started = time.perf_counter()
        bar.setValue(value)
        inbox.list.viewport().repaint()
        app.processEvents()
        if not on_screen_loaded(inbox):
            late += 1
            wait(lambda: on_screen_loaded(inbox))
            inbox.list.viewport().repaint()
        steps.append(time.perf_counter() - started)
    return {
        "scroll_rows": wait_rows,
        "scroll_late_steps": late,
        "scroll_steps": len(steps),
        "scroll_total_s": sum(steps),
        "scroll_p95_ms": percentile(steps, 95) * 1000,
        "scroll_max_ms": max(steps) * 1000,
    }


def start_app(data_dir: Path, measure: bool) -> tuple[float, dict[str, object]]:
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "bench.desktop", "--app", str(data_dir)]
    if measure:
        args.append("--measure")
    spawned = time.time()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"the app failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    result = json.loads(line.removeprefix("RESULT "))
    return float(result["filled_at"]) - spawned, result


def measure_app(data_dir: Path, leads: int, starts: int) -> None:
    """Cold starts, then one start that searches, scrolls and reports its memory."""
    start_app(data_dir, measure=False)  # the first start after the bootstrap warms the disk
    times = [start_app(data_dir, measure=False)[0] for _ in range(starts)]
    print(
        f"cold start to a filled inbox ({leads} leads): median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} "
        f"starts (target ≤ 1.5 s)"
    )
    _, m = start_app(data_dir, measure=True)
    print(
        f"search: p50 {m['search_p50_ms']:.1f} ms, p95 {m['search_p95_ms']:.1f} ms "
        f"(n={m['search_n']}, target p95 ≤ 50 ms); CPU (both threads) p50 "
        f"{m['search_cpu_p50_ms']:.1f} ms, p95 {m['search_cpu_p95_ms']:.1f} ms"
    )
    print(
        f"scroll {m['scroll_rows']} rows in {m['scroll_steps']} page steps "
        f"({m['scroll_late_steps']} waited for their rows): "
        f"p95 {m['scroll_p95_ms']:.1f} ms, slowest {m['scroll_max_ms']:.1f} ms, "
        f"total {m['scroll_total_s']:.2f} s"
    )
    print(f"memory: RSS {m['rss_mb']:.0f} MB, peak {m['peak_rss_mb']:.0f} MB (target ≤ 300 MB)")


# -- driver --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--messages-per-lead", type=int, default=2)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument(
        "--only",
        choices=("bootstrap", "app"),
        help="run one half: the bootstrap, or the app over the copy that --keep left",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="work in DIR and keep it (server database, local copy); --only app reuses it",
    )
    parser.add_argument("--app", help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        return run_app(args.app, args.measure)
    print(f"# bench.desktop — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# {platform.node()}: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}")  # fmt: skip
    if args.only == "app" and not args.keep:
        parser.error("--only app needs --keep DIR (a copy a bootstrap left there)")
    with contextlib.ExitStack() as stack:
        if args.keep:
            workdir = Path(args.keep)
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="leadflow-bench-desktop-"))
            workdir = Path(tmp)
        if args.only != "app":
            if args.keep:
                for made in ("desktop", "server-data"):
                    shutil.rmtree(workdir / made, ignore_errors=True)
                for leftover in workdir.glob("server.db*"):
                    leftover.unlink()
            boot = asyncio.run(bootstrap(workdir, args.leads, args.messages_per_lead))
            print(
                f"seeded {boot['leads']} leads + {boot['messages']} messages "
                f"in {boot['seed_s']:.1f} s; bootstrap into the desktop store: "
                f"{boot['bootstrap_s']:.2f} s (target ≤ 8 s), client CPU "
                f"{boot['bootstrap_cpu_s']:.2f} s"
            )
        if args.only != "bootstrap":
            measure_app(workdir / "desktop", args.leads, args.starts)
    return 0


if __name__ == "__main__":
    sys.exit(main())

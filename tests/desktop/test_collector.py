"""Cyclic garbage holding Qt widgets is collected on the GUI thread, never by another thread
that happens to allocate (the service thread, or a server thread in the tests)."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import weakref

from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desktop.ui.collector import collect_on_gui_thread


def _widget_in_a_cycle(died_in: list[str]) -> None:
    page = QWidget()
    page.label = QLabel("in a cycle", page)  # type: ignore[attr-defined]
    page.itself = page  # type: ignore[attr-defined]  # freed only by the cycle collector
    weakref.finalize(page, lambda: died_in.append(threading.current_thread().name))


def _allocate_cycles() -> None:
    """Far past every generation's threshold: an automatic collection would run here."""
    for _ in range(50_000):
        cycle: list[object] = []
        cycle.append(cycle)


def test_a_widget_in_a_cycle_dies_on_the_gui_thread_while_another_thread_allocates(qtbot):
    died_in: list[str] = []
    _widget_in_a_cycle(died_in)
    other = threading.Thread(target=_allocate_cycles, name="service")
    other.start()
    other.join()
    assert died_in == [], "collected off the GUI thread"
    qtbot.waitUntil(lambda: died_in == [threading.main_thread().name], timeout=3000)


def test_the_collector_keeps_the_automatic_thresholds_and_cleans_up(qtbot):
    collector = collect_on_gui_thread(QApplication.instance())
    assert not gc.isenabled()
    assert collector.thresholds == gc.get_threshold()
    _allocate_cycles()
    assert gc.get_count()[0] > collector.thresholds[0]
    qtbot.waitUntil(lambda: gc.get_count()[0] <= collector.thresholds[0], timeout=3000)


def test_the_app_starts_qt_with_the_collector_installed_once():
    probe = (
        "import gc; from desktop.app import qt_application;"
        "from desktop.ui.collector import GuiThreadCollector, collect_on_gui_thread;"
        "app = qt_application(['leadflow']); collect_on_gui_thread(app);"
        "print(gc.isenabled(), len(app.findChildren(GuiThreadCollector)))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert ran.stdout.split() == ["False", "1"]

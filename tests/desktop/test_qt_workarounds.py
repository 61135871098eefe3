"""PySide6 6.12 on CPython 3.11 loses references to None/True/False (PYSIDE-3474): without
``desktop.qt_workarounds`` a process that emits signals aborts; with it, it does not. When an
installed PySide6 stops losing references these tests say so, and the module and its pin go."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import PySide6

from desktop import qt_workarounds

# Far more than the references a fresh interpreter holds to True (a few hundred) or None (a
# few thousand): without the fix these runs use them up.
CALLS = 20_000

BUSY_QT = textwrap.dedent(
    f"""
    import sys
    from PySide6.QtCore import QObject, Signal
    from desktop import qt_workarounds

    if sys.argv[1] == "fixed":
        qt_workarounds.install()

    class Busy(QObject):
        changed = Signal(int)

    busy = Busy()
    busy.changed.connect(lambda n: None)
    for n in range({CALLS}):
        busy.changed.emit(n)
        busy.setObjectName("busy")
    print("survived")
    """
)


def run_busy_qt(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BUSY_QT, mode],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_pyside6_is_the_one_the_workaround_is_for():
    # On CPython 3.12+ nothing is lost (immortal singletons) and the fix must stay out of the way.
    if sys.version_info >= qt_workarounds.CPYTHON_WITH_IMMORTALS:
        assert not qt_workarounds.needed()
        return
    assert PySide6.__version__.startswith("6.12."), PySide6.__version__
    assert qt_workarounds.needed(), (
        f"PySide6 {PySide6.__version__} no longer loses references to None/True/False: "
        "delete desktop/qt_workarounds.py, its calls and the PySide6 pin in pyproject.toml"
    )


def test_without_the_workaround_a_busy_qt_process_aborts_and_with_it_it_does_not():
    fixed = run_busy_qt("fixed")
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert fixed.stdout.strip() == "survived"
    if not qt_workarounds.needed():
        return  # nothing to prove: this interpreter and PySide6 lose nothing
    bare = run_busy_qt("bare")
    assert bare.returncode != 0
    assert "bool_dealloc" in bare.stderr or "none_dealloc" in bare.stderr, bare.stderr[-2000:]


def test_the_suite_runs_with_the_workaround_applied_as_the_app_does():
    # tests/conftest.py applies it, as desktop.app.qt_application does at the app's start.
    assert qt_workarounds.installed() == qt_workarounds.needed()

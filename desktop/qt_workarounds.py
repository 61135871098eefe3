"""Keep PySide6 6.12 from aborting the interpreter on CPython 3.11 (upstream PYSIDE-3474).

PySide6 6.12's wheels are built with Python 3.12's headers, where ``None``, ``True`` and
``False`` are immortal (PEP 683) and returning them takes no reference. Run on 3.11, every Qt
method that returns nothing (``setText``, ``update``…) loses a reference to ``None`` and every
``SignalInstance.emit`` one to ``True``/``False``; when a count reaches zero the process aborts
("none_dealloc", "bool_dealloc"), after a few hundred signals. Upstream treats it as a
consequence of that build (PYSIDE-3424), not a bug to fix in 6.12.x:
https://qt-project.atlassian.net/browse/PYSIDE-3474. On CPython 3.12 and later nothing is lost.

``install()`` probes the running PySide6 and acts only on what it finds: ``emit`` gets the
missing reference back, and the singletons get what Python 3.12 gives them anyway, a reference
count no run can use up (they are never freed in a live interpreter, so that costs nothing).
It is called where a process starts Qt: ``desktop.app.qt_application`` (the app, its smoke
run, the bench and screenshot scripts) and the test suite's ``conftest.py``. pyproject.toml
pins PySide6 to 6.12.x, the release this was needed for and tested with;
``tests/desktop/test_qt_workarounds.py`` fails when an installed PySide6 stops losing
references, which is when this module and the pin go.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

# References added to a singleton: 2**40 lost references would take days of nothing but calls.
IMMORTAL_MARGIN = 1 << 40
CPYTHON_WITH_IMMORTALS = (3, 12)


def _incref(obj: object) -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _bool_refs() -> int:
    return sys.getrefcount(True) + sys.getrefcount(False)


def emit_loses_a_reference() -> bool:
    class Probe(QObject):
        fired = Signal()

    probe = Probe()
    before = _bool_refs()
    result = probe.fired.emit()  # type: ignore[func-returns-value]
    leaking = _bool_refs() == before  # a correct emit adds the reference ``result`` holds
    if leaking:
        _incref(result)
    del result
    return leaking


def void_calls_lose_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(4):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def needed() -> bool:
    """Whether this interpreter and PySide6 lose references to the singletons."""
    return bool(_defects())


def _defects() -> set[str]:
    if sys.version_info >= CPYTHON_WITH_IMMORTALS or sys.implementation.name != "cpython":
        return set()
    found = set()
    if void_calls_lose_none():
        found.add("none")
    if emit_loses_a_reference():
        found.add("emit")
    return found


_applied: set[str] = set()


def installed() -> bool:
    return bool(_applied)


def immortalise(obj: object) -> None:
    """Make ``obj``'s reference count unreachable by leaks."""
    ctypes.c_ssize_t.from_address(id(obj)).value += IMMORTAL_MARGIN


def install() -> bool:
    """Apply what the probes call for, once per process; True if anything was needed."""
    if _applied:
        return True
    defects = _defects()
    if "none" in defects:
        immortalise(None)
    if "emit" in defects:
        immortalise(True)
        immortalise(False)
        original = SignalInstance.emit

        def emit(self: SignalInstance, *args: Any) -> Any:
            result = original(self, *args)
            _incref(result)
            return result

        SignalInstance.emit = emit  # type: ignore[method-assign]
    _applied.update(defects)
    return bool(defects)

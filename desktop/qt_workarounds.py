"""Work around reference-counting bugs of PySide6 6.12.0, applied once on import.

- ``SignalInstance.emit`` returns ``True``/``False`` without a new reference, so every emit
  made from Python takes one reference from the bool singletons; on Python 3.11 ``True`` has only
  ~150, and the process aborts ("bool_dealloc") after a few hundred signals.
- Every method that returns nothing (``setText``, ``update``, ``processEvents``…) takes one
  reference from ``None``, which starts with a few thousand: a long session, a test suite or a
  benchmark loop aborts with "none_dealloc" (or crashes wherever ``None`` was freed).

The probes below check the installed PySide6 and act only when they show a bug, so a fixed
release needs no change here. ``emit`` is patched to add the missing reference. The void calls
are too many to patch, so the singletons get what Python 3.12 gives them anyway (PEP 683,
immortal objects): a reference count so high that no run can use it up. They are never freed in
a live interpreter, so the extra references cost nothing.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance


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


# References added to a singleton: 2**40 lost references would take days of nothing but calls.
IMMORTAL_MARGIN = 1 << 40


def void_calls_lose_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(4):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def immortalise(obj: object) -> None:
    """Make ``obj``'s reference count unreachable by leaks (CPython < 3.12 only; 3.12 already
    treats the singletons as immortal and ignores their count)."""
    if sys.version_info < (3, 12) and sys.implementation.name == "cpython":
        ctypes.c_ssize_t.from_address(id(obj)).value += IMMORTAL_MARGIN


def install() -> bool:
    if getattr(SignalInstance.emit, "_leadflow_patched", False):
        return True
    if void_calls_lose_none():
        immortalise(None)
    if not emit_loses_a_reference():
        return False
    immortalise(True)
    immortalise(False)
    original = SignalInstance.emit

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        _incref(result)
        return result

    emit._leadflow_patched = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    return True


PATCHED = install()

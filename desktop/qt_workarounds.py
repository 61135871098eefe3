"""Work around a reference-counting bug of PySide6 6.12.0, applied once on import.

``SignalInstance.emit`` there returns ``True``/``False`` without a new reference, so every emit
made from Python takes one reference from the bool singletons; on Python 3.11 ``True`` has only
~150, and the process aborts ("bool_dealloc") after a few hundred signals. The probe below checks
the installed PySide6 and patches ``emit`` only when it shows the bug, so a fixed release needs no
change here.
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


def install() -> bool:
    if getattr(SignalInstance.emit, "_leadflow_patched", False):
        return True
    if not emit_loses_a_reference():
        return False
    original = SignalInstance.emit

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        _incref(result)
        return result

    emit._leadflow_patched = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    return True


PATCHED = install()

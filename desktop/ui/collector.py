"""Python's cyclic garbage is collected on the GUI thread only.

CPython collects cycles in whichever thread allocates past the collector's threshold. The pages
and dialogs the app lets go are often in cycles (a widget and the slots it connected), so an
automatic collection on the service thread, or on a server thread in the tests, deleted Qt
widgets outside the GUI thread, which Qt does not allow: the test suite died of it once with a
segmentation fault in a server thread. As pyqtgraph's ``GarbageCollector`` does, the automatic
collector is switched off and a timer on the GUI thread collects by the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 250


class GuiThreadCollector(QObject):
    """Owned by the ``QApplication``: from its creation on, cycles are collected only by its
    timer, on the thread that created it."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start(CHECK_MS)

    def collect_if_due(self) -> None:
        """The oldest generation whose count is past its threshold, as the automatic
        collector picks it (collecting one generation counts towards the next)."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector on ``app`` (once; a second call answers the first's)."""
    found = app.findChild(GuiThreadCollector)
    return found if found is not None else GuiThreadCollector(app)

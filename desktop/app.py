"""``leadflow``: the desktop app's entry point.

``leadflow --help`` and ``--version`` answer without loading Qt. ``leadflow leadflow://lead/<id>``
(the link in an owner's new-lead mail) opens that lead: in the running app if there is one
(``desktop.links``), else after signing in. ``leadflow --smoke`` builds the main window offline,
starts the event loop and exits 0 once the window is up (``desktop.ui.smoke``): the packaging test
runs the built binary that way.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from desktop.links import parse_lead_link

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def _version() -> str:
    try:
        return version("leadflow")
    except PackageNotFoundError:  # a PyInstaller build without the package's metadata
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadflow",
        description="LeadFlow: the inbox where a small business answers its leads.",
        epilog="Sign in with the login your LeadFlow server gave you (for the demo server, the "
        "owner login that `leadflow-server demo` prints).",
    )
    parser.add_argument(
        "link", nargs="?", help="a leadflow://lead/<id> link: open that lead (from an alert mail)"
    )
    parser.add_argument("--version", action="version", version=f"leadflow {_version()}")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    return parser


def _has_display() -> bool:
    """Whether Qt has a screen to open windows on (a platform plugin chosen explicitly counts)."""
    return bool(
        os.environ.get("QT_QPA_PLATFORM")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or sys.platform in ("win32", "darwin")
    )


# Installed beside the server (one distribution), but never used by the app: sqlite-utils
# imports them at start only to register their column types, which cost the cold start 0.1 to
# 0.2 s (docs/BENCHMARKS.md). The packaged app leaves them out of the build the same way.
SERVER_ONLY_MODULES = ("numpy", "pandas")


def leave_out_server_only_modules() -> None:
    """Make the server-only modules unimportable in this process (unless already imported)."""
    for name in SERVER_ONLY_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def qt_application(argv: list[str]) -> QApplication:
    """The ``QApplication``, after what must come first: PySide6's reference-count fix
    (``desktop.qt_workarounds``) and Qt WebEngine's settings (``desktop.ui``), and with cyclic
    garbage collected on its thread only (``desktop.ui.collector``). Every process that shows
    LeadFlow's windows (the app, its smoke run, benches, screenshots) starts here."""
    from desktop.qt_workarounds import install

    install()
    from PySide6.QtWidgets import QApplication

    import desktop.ui  # noqa: F401 - Qt WebEngine's settings must precede the QApplication
    from desktop.ui.collector import collect_on_gui_thread

    app = QApplication(argv)
    collect_on_gui_thread(app)
    return app


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    # Qt's own options (-platform, -style …) pass through to the QApplication.
    options, qt_args = _parser().parse_known_args(args[1:])
    lead_id = None
    if options.link:
        lead_id = parse_lead_link(options.link)
        if lead_id is None:
            _parser().error(f"not a LeadFlow link: {options.link} (expected leadflow://lead/<id>)")
    if not _has_display():
        print(
            "leadflow: no display found (DISPLAY is not set): start LeadFlow from a desktop "
            "session.",
            file=sys.stderr,
        )
        return 2
    leave_out_server_only_modules()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = qt_application([args[0], *qt_args])
    app.setApplicationName("LeadFlow")
    app.setOrganizationName("LeadFlow")
    app.setDesktopFileName("leadflow")
    app.setStyle("Fusion")  # follows the system's light or dark colour scheme (Qt ≥ 6.5)
    if options.smoke:
        from desktop.ui.smoke import run

        return run(app)
    from desktop.ui.controller import AppController
    from desktop.ui.single_instance import SingleInstance

    instance = SingleInstance()
    if not instance.claim():
        # LeadFlow already runs for this user: it opens the lead (or comes to the front).
        instance.forward(lead_id or "")
        return 0
    app.setQuitOnLastWindowClosed(False)  # the controller says when the app ends
    controller = AppController()
    controller.quit_requested.connect(app.quit)
    instance.received.connect(controller.open_link)
    app.aboutToQuit.connect(controller.shutdown)
    app.aboutToQuit.connect(instance.release)
    if lead_id:
        controller.open_link(lead_id)
    controller.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

"""Qt widgets of the desktop app. Views only: every I/O goes through ``desktop`` service objects."""

from desktop.ui.web_preview import prepare

prepare()  # Qt WebEngine's needs, before the application object exists

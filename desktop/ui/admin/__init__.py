"""The super-admin console's widgets; ``AdminConsole`` is the entry point."""

from desktop.ui.admin.console import AdminConsole

__all__ = ["AdminConsole"]

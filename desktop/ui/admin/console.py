"""``AdminConsole``: the super-admin mode of the desktop app — a left navigation over the
console's pages, each reading and writing through one ``desktop.admin.AdminService``."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.admin.automations import AutomationsPage
from desktop.ui.admin.business_pages import CreateBusinessPage, EditBusinessPage
from desktop.ui.admin.businesses import BusinessesPage
from desktop.ui.admin.common import Dialogs
from desktop.ui.admin.health import HealthPage
from desktop.ui.admin.overview import OverviewPage
from desktop.ui.admin.owners import OwnersPage
from desktop.ui.admin.records import AuditLogPage, EmailsPage, LeadsPage

PAGE_NAMES = (
    "Overview",
    "Businesses",
    "Create business",
    "Edit business",
    "Owners",
    "Leads",
    "Automations",
    "Emails",
    "Audit log",
    "Health",
)


class AdminConsole(QWidget):
    """The console over ``service`` (an ``AdminService`` that is signed in, or will be).

    ``dialogs`` answers confirmations and file choices; tests pass plain functions. The console
    does not own the service: whoever made it calls ``service.stop()`` after closing this.
    """

    def __init__(
        self, service: Any, dialogs: Dialogs | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.dialogs = dialogs or Dialogs()
        d = self.dialogs
        self.overview = OverviewPage(service)
        self.businesses = BusinessesPage(service, d)
        self.create_page = CreateBusinessPage(service, d)
        self.edit_page = EditBusinessPage(service, d)
        self.owners = OwnersPage(service, d)
        self.leads = LeadsPage(service, d)
        self.automations = AutomationsPage(service)
        self.emails = EmailsPage(service, d)
        self.audit_log = AuditLogPage(service, d)
        self.settings = HealthPage(service)
        self.pages: list[QWidget] = [
            self.overview,
            self.businesses,
            self.create_page,
            self.edit_page,
            self.owners,
            self.leads,
            self.automations,
            self.emails,
            self.audit_log,
            self.settings,
        ]
        self.nav = QListWidget()
        self.nav.setMaximumWidth(180)
        self.nav.setAccessibleName("Admin pages")
        self.stack = QStackedWidget()
        for name, page in zip(PAGE_NAMES, self.pages, strict=True):
            self.nav.addItem(name)
            self.stack.addWidget(page)
        title = QLabel("LeadFlow admin")
        title.setStyleSheet("font-size: 15px; font-weight: 600; padding: 4px")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(title)
        left_layout.addWidget(self.nav, 1)
        left.setMaximumWidth(190)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.nav.currentRowChanged.connect(self._show)
        self.overview.create_requested.connect(lambda: self.show_page("Create business"))
        self.overview.open_page.connect(self.show_page)
        self.overview.edit_requested.connect(self.edit_business)
        self.businesses.create_requested.connect(lambda: self.show_page("Create business"))
        self.businesses.edit_requested.connect(self.edit_business)
        self.edit_page.saved.connect(lambda _: self.businesses.refresh())
        self.create_page.created.connect(lambda _: self.businesses.refresh())
        self.nav.setCurrentRow(0)

    def page(self, name: str) -> QWidget:
        return self.pages[PAGE_NAMES.index(name)]

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(PAGE_NAMES.index(name))

    def _show(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        refresh = getattr(self.pages[row], "refresh", None)
        if refresh is not None:
            refresh()

    def edit_business(self, business_id: str) -> None:
        self.show_page("Edit business")
        self.edit_page.open_business(business_id)

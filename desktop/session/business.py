"""``BusinessSettings``: the owner's business, form, team, logo and figures.

Online reads and writes through the API, not offline mutations: a change here needs the
connection and answers with the server's copy (``business_failed``/``form_failed`` otherwise).
The business and the form show the local copy first while the server's answer is on its way.
A new owner setting belongs here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal

from desktop.logos import logo_file
from desktop.session.base import Part

if TYPE_CHECKING:
    from desktop.api import ApiClient


class BusinessSettings(Part):
    metrics_ready = Signal(object)
    business_ready = Signal(object)
    business_failed = Signal(object)
    form_ready = Signal(object)
    form_failed = Signal(object)
    qr_ready = Signal(bytes)
    team_ready = Signal(list)
    logo_ready = Signal(bytes)

    # -- reads -----------------------------------------------------------------------------------

    def load_metrics(self) -> None:
        self._run(self._with_api(lambda api: api.metrics()), self.metrics_ready.emit)

    def load_business(self) -> None:
        self._local_then_server(
            self.queries.business,
            lambda api: api.business(),
            self.business_ready.emit,
            self.business_failed.emit,
        )

    def load_form(self) -> None:
        self._local_then_server(
            self.queries.form, lambda api: api.form(), self.form_ready.emit, self.form_failed.emit
        )

    def _local_then_server(
        self,
        local: Callable[[], Any],
        server: Callable[[ApiClient], Awaitable[Any]],
        ready: Callable[[Any], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """``ready`` with the local copy at once (offline too), then with the server's."""

        async def work() -> Any:
            copy = local()
            if copy is not None:
                ready(copy)
            return await server(self.api)

        self._run(work(), ready, failed)

    def load_qr(self, slug: str) -> None:
        self._run(self._with_api(lambda api: api.form_qr_png(slug)), self.qr_ready.emit)

    def load_team(self) -> None:
        self._run(
            self._with_api(lambda api: api.team()), self.team_ready.emit, self.business_failed.emit
        )

    def load_logo(self, url: str) -> None:
        self._run(self._with_api(lambda api: api.public_bytes(url)), self.logo_ready.emit)

    # -- writes ----------------------------------------------------------------------------------

    def save_business(self, changes: dict[str, Any]) -> None:
        self._run(
            self._with_api(lambda api: api.update_business(changes)),
            self.business_ready.emit,
            self.business_failed.emit,
        )

    def save_form(self, changes: dict[str, Any]) -> None:
        self._run(
            self._with_api(lambda api: api.update_form(changes)),
            self._form_saved,
            self.form_failed.emit,
        )

    def _form_saved(self, form: Any) -> None:
        self.form_ready.emit(form)
        self.sync_now()

    def upload_logo(self, path: str) -> None:
        """Send the image at ``path`` as the business's logo (the server checks it)."""

        async def work() -> Any:
            return await self.api.upload_logo(*logo_file(path))

        self._run(work(), self.business_ready.emit, self.business_failed.emit)

    def remove_logo(self) -> None:
        """Remove the business's logo (owners only; the server refuses staff)."""
        self._run(
            self._with_api(lambda api: api.delete_logo()),
            self.business_ready.emit,
            self.business_failed.emit,
        )

    def invite_member(self, email: str, full_name: str) -> None:
        async def work() -> list[Any]:
            await self.api.invite_member(email, full_name)
            return await self.api.team()

        self._run(work(), self.team_ready.emit, self.business_failed.emit)

    def set_member_active(self, member_id: str, active: bool) -> None:
        async def work() -> list[Any]:
            await self.api.set_member_active(member_id, active)
            return await self.api.team()

        self._run(work(), self.team_ready.emit, self.business_failed.emit)

    def save_file(self, path: str, data: bytes) -> None:
        """Write ``data`` (the form's QR code) to a file the owner chose."""

        async def work() -> None:
            with open(path, "wb") as handle:  # noqa: ASYNC230 - the service thread may block
                handle.write(data)

        self._run(work())

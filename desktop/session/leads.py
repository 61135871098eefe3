"""``LeadReads``: what the inbox, the lead view, the follow-ups and the conversations show.

Reads of the local copy (no network: they answer offline) and the lead view's few online
reads (its timeline, a reply's attachment). A new read of a lead belongs here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from desktop.session.base import Part


class LeadReads(Part):
    leads_ready = Signal(int, list)  # request token, [LeadRow]
    inbox_ready = Signal(object)  # InboxWindow
    timeline_ready = Signal(str, list)  # lead id, [TimelineEvent]
    follow_ups_ready = Signal(object)  # {FollowUpState: [FollowUpOut]}
    conversations_ready = Signal(list)
    attachment_saved = Signal(str)  # the path of a downloaded attachment
    reply_address_ready = Signal(str, object)  # lead id, ReplyAddressOut
    reply_address_failed = Signal(str, object)  # lead id, DesktopError

    def query_leads(
        self,
        token: int,
        status: str | None,
        q: str,
        sort: str = "newest",
        limit: int | None = None,
        unread: bool = False,
    ) -> None:
        async def work() -> list[Any]:
            return self.queries.leads(status, q, sort, limit, unread=unread)

        self._run(work(), lambda rows: self.leads_ready.emit(token, rows))

    def query_inbox(
        self, token: int, status: str | None, q: str, sort: str, offset: int, limit: int
    ) -> None:
        """One window of the inbox (``inbox_ready``); the first one carries the count."""

        async def work() -> Any:
            return self.queries.inbox(token, status, q, sort, offset, limit)

        def done(window: Any) -> None:
            self.inbox_ready.emit(window)
            self._read_done()

        self._run(work(), done)

    def open_lead(self, lead_id: str) -> None:
        """Show a lead: marks it read (locally only; its status stays as it is)."""

        async def work() -> None:
            # The thread is read first, so the messages that made the lead unread show it.
            thread = self.queries.thread(lead_id)
            self.store.mark_read(lead_id)
            self._emit_lead(self.queries.lead(lead_id))
            self.thread_ready.emit(lead_id, thread)
            self.draft_sent.emit(lead_id, self.queries.draft_sent(lead_id))
            self.unread_changed.emit(self.queries.unread_count())

        self._run(work())

    def load_lead(self, lead_id: str) -> None:
        """Reload a lead that is already showing (its unread mark stays as it is)."""

        async def work() -> Any:
            return self.queries.lead(lead_id)

        self._run(work(), self._emit_lead)

    def load_thread(self, lead_id: str) -> None:
        async def work() -> None:
            self._emit_thread(lead_id)

        self._run(work())

    def load_follow_ups(self) -> None:
        async def work() -> Any:
            return self.queries.follow_ups()

        self._run(work(), self.follow_ups_ready.emit)

    def load_conversations(self, q: str = "") -> None:
        async def work() -> list[Any]:
            return self.queries.conversations(q)

        self._run(work(), self.conversations_ready.emit)

    # -- online reads of the lead view ---------------------------------------------------------

    def rotate_reply_address(self, lead_id: str) -> None:
        """Revoke the lead's reply address for a new one (online only: it is not a mutation)."""
        self._run(
            self._with_api(lambda api: api.rotate_reply_address(lead_id)),
            lambda out: self.reply_address_ready.emit(lead_id, out),
            lambda error: self.reply_address_failed.emit(lead_id, error),
        )

    def load_timeline(self, lead_id: str) -> None:
        self._run(
            self._with_api(lambda api: api.timeline(lead_id)),
            lambda items: self.timeline_ready.emit(lead_id, items),
        )

    def download_attachment(self, lead_id: str, attachment_id: str, filename: str) -> None:
        """Save a file of a customer's reply into the downloads folder (``attachment_saved``)."""

        async def work() -> str:
            data = await self.api.attachment(lead_id, attachment_id)
            return str(await asyncio.to_thread(save_download, self.downloads_dir, filename, data))

        self._run(work(), self.attachment_saved.emit)


def save_download(folder: Path, filename: str, data: bytes) -> Path:
    """Write ``data`` under ``folder`` with the file's own name made safe, never over another
    file (``name (2).ext`` and so on)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in Path(filename.replace("\\", "/")).name if c.isprintable())
    safe = safe.strip(" .") or "attachment"
    stem, suffix = Path(safe).stem, Path(safe).suffix
    target, n = folder / safe, 1
    while target.exists():
        n += 1
        target = folder / f"{stem} ({n}){suffix}"
    target.write_bytes(data)
    return target

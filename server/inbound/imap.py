"""The IMAP channel: a mailbox polled by the worker (IDLE where the server offers it).

imap-tools (a blocking client) runs in one thread per channel, one call at a time. Each round
searches the folder for messages without the ``$LeadflowDone`` keyword, fetches them by UID in
batches without setting ``\\Seen`` (people may read the same mailbox), stores them a few per
transaction (``server.inbound.service.receive_many``) and then sets the keyword on the batch.
A crash between the fetch and the flag fetches the mail again next round, and its Message-ID
makes it a ``duplicate``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted

from server.context import ServerContext
from server.inbound.health import count_received
from server.inbound.service import receive_many
from server.models.base import utcnow
from shared.models.enums import InboundOutcome

log = logging.getLogger(__name__)

CHANNEL = "imap"
DONE = "$LeadflowDone"
IDLE_SLICE_S = 5.0  # an IDLE wait is cut into slices so that a stop is noticed quickly
# Mails stored per transaction: one commit and one turn at the business's sync counter for
# them all, while a transaction still holds its leads' locks only briefly (docs/BENCHMARKS.md).
MAILS_PER_TRANSACTION = 10
_UID = re.compile(rb"UID (\d+)")
_FROM = re.compile(rb"(?im)^from:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")
T = TypeVar("T")


class ImapChannel:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self._mailbox: BaseMailBox | None = None
        self._stopping = asyncio.Event()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    def _connect(self) -> BaseMailBox:
        settings = self.settings
        factory = MailBox if settings.imap_ssl else MailBoxUnencrypted
        mailbox = factory(settings.imap_host, settings.imap_port, timeout=30)
        mailbox.login(
            settings.imap_username,
            settings.imap_password.get_secret_value(),
            initial_folder=settings.imap_folder,
        )
        return mailbox

    async def _open(self) -> BaseMailBox:
        if self._mailbox is None:
            self._mailbox = await self._call(self._connect)
        return self._mailbox

    async def close(self) -> None:
        mailbox, self._mailbox = self._mailbox, None
        if mailbox is not None:
            try:
                await self._call(mailbox.logout)
            except Exception:  # the connection may already be gone
                log.debug("IMAP logout failed", exc_info=True)

    async def poll_once(self) -> int:
        """Process every waiting message; the number processed (duplicates included)."""
        mailbox = await self._open()
        uids = await self._call(lambda: mailbox.uids(AND(no_keyword=DONE)))
        done = 0
        await self._health(backlog=len(uids), error=None)
        for start in range(0, len(uids), self.settings.imap_batch):
            batch = uids[start : start + self.settings.imap_batch]
            fetched = await self._call(_fetch_raw, mailbox, batch)
            stored = await self._receive_all([raw for _, raw in fetched])
            await self._call(lambda b=[u for u, _ in fetched]: _flag(mailbox, b))
            done += len(fetched)
            await self._health(backlog=len(uids) - done, error=None, received=stored)
        return done

    async def _receive_all(self, raws: list[bytes]) -> int:
        """Receive a batch as transactions of up to ``MAILS_PER_TRANSACTION`` mails, up to
        ``imap_concurrency`` of them at once (each is round trips that wait on PostgreSQL
        more than they compute). All of one sender's mails go into one transaction, in
        mailbox order, so a customer's replies keep their order. The number received
        (duplicates not counted)."""
        by_sender: dict[bytes, list[bytes]] = {}
        for raw in raws:
            by_sender.setdefault(_sender_key(raw), []).append(raw)
        groups: list[list[bytes]] = [[]]
        for mails in by_sender.values():
            if groups[-1] and len(groups[-1]) + len(mails) > MAILS_PER_TRANSACTION:
                groups.append([])
            groups[-1].extend(mails)
        slots = asyncio.Semaphore(max(1, self.settings.imap_concurrency))

        async def in_one_transaction(mails: list[bytes]) -> int:
            async with slots:
                results = await receive_many(self.ctx, mails, CHANNEL)
            return sum(r.outcome is not InboundOutcome.DUPLICATE for r in results)

        return sum(await asyncio.gather(*(in_one_transaction(g) for g in groups if g)))

    async def _wait_for_mail(self) -> None:
        """Until new mail may be there: IDLE where offered, else the poll interval."""
        mailbox = await self._open()
        deadline = asyncio.get_running_loop().time() + self.settings.imap_poll_s
        idle = "IDLE" in (mailbox.client.capabilities or ())
        while not self._stopping.is_set():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            if not idle:
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=left)
                except TimeoutError:
                    return
                continue
            slice_s = max(1, int(min(left, IDLE_SLICE_S)))
            responses = await self._call(lambda s=slice_s: mailbox.idle.wait(timeout=s))
            if responses:
                return

    async def run(self) -> None:
        """Poll until stopped; an error is recorded on the health page and retried later."""
        while not self._stopping.is_set():
            try:
                await self.poll_once()
                await self._wait_for_mail()
            except Exception as error:  # the channel must outlive a bad round
                log.warning("IMAP round failed: %s", error)
                await self.close()
                try:
                    await self._health(backlog=None, error=str(error)[:500] or type(error).__name__)
                except Exception:
                    log.exception("could not record the IMAP error")
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.settings.imap_poll_s)
                except TimeoutError:
                    pass
        await self.close()

    async def stop(self) -> None:
        self._stopping.set()

    async def _health(self, *, backlog: int | None, error: str | None, received: int = 0) -> None:
        now = utcnow()
        values: dict[str, Any] = {"last_poll_at": now} if error is None else {}
        if backlog is not None:
            values["backlog"] = backlog
        if error is not None:
            values.update(last_error=error, last_error_at=now)
        await count_received(self.ctx, CHANNEL, received, now, **values)


def _fetch_raw(mailbox: BaseMailBox, uids: list[str]) -> list[tuple[str, bytes]]:
    """The raw bytes of these messages, by UID, without setting ``\\Seen``."""
    status, data = mailbox.client.uid("FETCH", ",".join(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise RuntimeError(f"IMAP FETCH failed: {status}")
    out: list[tuple[str, bytes]] = []
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            found = _UID.search(item[0])
            if found:
                out.append((found.group(1).decode(), bytes(item[1])))
    return out


def _sender_key(raw: bytes) -> bytes:
    """The ``From`` header's bytes (enough to keep one sender's mails in order)."""
    found = _FROM.search(raw, 0, 65536)
    return found.group(1).strip().lower() if found else b""


def _flag(mailbox: BaseMailBox, uids: list[str]) -> None:
    if uids:
        mailbox.flag(uids, DONE, True)

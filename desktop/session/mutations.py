"""``LeadMutations``: the owner's changes to leads and follow-ups (CONTRACT §7 push).

Each change is an outbox row, durable before any signal shows it, that the sync engine pushes
with its mutation id; the few changes the push has no type for go straight to the API and
need the connection. A new change to a lead belongs here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal

from desktop.session.base import Part
from desktop.store import AppliedChanges
from shared.models.enums import FollowUpState, MutationType

# The follow-up states a reschedule moves instead of creating a new follow-up.
PENDING_FOLLOW_UP = (FollowUpState.DUE, FollowUpState.OVERDUE, FollowUpState.SCHEDULED)


class LeadMutations(Part):
    follow_up_failed = Signal(str, object)  # lead id, DesktopError

    def _mutate(self, kind: MutationType, lead_id: str | None, **payload: Any) -> None:
        async def work() -> None:
            self.outbox.enqueue(kind, lead_id=lead_id, **payload)  # durable before shown
            self._emit_outbox()
            if lead_id:
                self._emit_lead(self.queries.lead(lead_id))
                self._emit_thread(lead_id)
            self.data_changed.emit(
                AppliedChanges(
                    self.store.cursor,
                    False,
                    leads={lead_id} if lead_id else set(),
                    follow_ups=lead_id is None,
                )
            )
            self.engine.wake()

        self._run(work())

    def reply(self, lead_id: str, content: str) -> None:
        self._mutate(MutationType.REPLY, lead_id, content=content)

    def approve_draft(self, lead_id: str, content: str | None = None) -> None:
        self._mutate(MutationType.APPROVE_DRAFT, lead_id, content=content)

    def set_status(self, lead_id: str, status: str) -> None:
        self._mutate(MutationType.SET_STATUS, lead_id, status=status)

    def add_note(self, lead_id: str, content: str) -> None:
        self._mutate(MutationType.ADD_NOTE, lead_id, content=content)

    def update_follow_up(
        self, follow_up_id: str, *, status: str | None = None, scheduled_at: datetime | None = None
    ) -> None:
        self._mutate(
            MutationType.UPDATE_FOLLOW_UP,
            None,
            follow_up_id=follow_up_id,
            status=status,
            scheduled_at=scheduled_at,
        )

    def schedule_follow_up(self, lead_id: str, when: datetime) -> None:
        """Move the lead's pending follow-up to ``when`` (an offline mutation); without one,
        create it on the server (``POST /leads/{id}/follow-ups``: needs the connection, and a
        failure is reported through ``follow_up_failed``)."""

        async def work() -> None:
            groups = self.queries.follow_ups()
            pending = [
                f for state in PENDING_FOLLOW_UP for f in groups[state] if str(f.lead_id) == lead_id
            ]
            if pending:
                self.update_follow_up(str(pending[0].id), scheduled_at=when)
                return
            await self.api.schedule_follow_up(lead_id, when)
            self.engine.wake()  # the new row comes back through the sync

        self._run(work(), None, lambda error: self.follow_up_failed.emit(lead_id, error))

    def resend_message(self, lead_id: str, message_id: str) -> None:
        """Send a failed or bounced mail again. Online only (not an offline mutation: the
        contract's push has no such type); the new status arrives with the next sync."""

        async def work() -> None:
            await self.api.resend_message(lead_id, message_id)
            self.engine.wake()

        self._run(work())

    # -- the outbox ------------------------------------------------------------------------------

    def retry(self, mutation_id: str) -> None:
        async def work() -> None:
            self.outbox.retry(mutation_id)
            self._emit_outbox()
            self.engine.wake()

        self._run(work())

    def discard(self, mutation_id: str) -> None:
        async def work() -> None:
            self.outbox.discard(mutation_id)
            self._emit_outbox()

        self._run(work())

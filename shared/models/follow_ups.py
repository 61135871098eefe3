"""The state of a follow-up (CONTRACT §6 ``state``): the one rule, for the server and the desktop.

A follow-up that is not ``scheduled`` has its stored status as its state. A scheduled one is
``overdue`` once its time has passed, ``due`` until the end of the business's day and
``scheduled`` after that. "Today" is always the business's day, in its time zone (UTC for a
zone the zone database does not know), so the REST list, the metrics, the pull and the desktop
agree on which follow-ups are due.

The rule is data (``WINDOWS``) so that the server's SQL (a ``CASE`` in the pull, a ``WHERE`` in
the REST list) is made from the same definition as ``FollowUpDay.state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from shared.models.enums import FollowUpState, FollowUpStatus

UTC_ZONE = ZoneInfo("UTC")

Moment = Literal["now", "today_ends"]

# The states of a scheduled follow-up by where its time falls, in time order: each lasts until
# the named moment of ``FollowUpDay`` (exclusive), the last one has no end.
WINDOWS: tuple[tuple[FollowUpState, Moment | None], ...] = (
    (FollowUpState.OVERDUE, "now"),
    (FollowUpState.DUE, "today_ends"),
    (FollowUpState.SCHEDULED, None),
)


def window_of(state: FollowUpState) -> tuple[Moment | None, Moment | None] | None:
    """``(since, until)`` of a scheduled follow-up's times in ``state`` (``None``: open), or
    ``None`` for a state that is a stored status."""
    since: Moment | None = None
    for window, until in WINDOWS:
        if window == state:
            return since, until
        since = until
    return None


def business_zone(timezone: str | None) -> ZoneInfo:
    """The business's zone; UTC for a name the zone database does not know.

    ``ZoneInfo`` raises ``KeyError``/``ValueError`` for unknown or malformed names and
    ``OSError`` for names of directories ("America") or overly long ones.
    """
    if not timezone:
        return UTC_ZONE
    try:
        return ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        return UTC_ZONE


def end_of_today(now: datetime, timezone: str | None) -> datetime:
    """The next midnight of the business's day after ``now``, in UTC."""
    local = now.astimezone(business_zone(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=1)).astimezone(UTC_ZONE)


@dataclass(frozen=True)
class FollowUpDay:
    """The two moments the rule compares a scheduled follow-up's time with."""

    now: datetime
    today_ends: datetime

    @classmethod
    def of(cls, now: datetime, timezone: str | None) -> FollowUpDay:
        return cls(now, end_of_today(now, timezone))

    def moment(self, name: Moment) -> datetime:
        return self.now if name == "now" else self.today_ends

    def state(self, status: str, scheduled_at: datetime) -> FollowUpState:
        if status != FollowUpStatus.SCHEDULED.value:
            return FollowUpState(status)
        for state, until in WINDOWS:
            if until is None or scheduled_at < self.moment(until):
                return state
        raise AssertionError("the last window has no end")

"""The workflow's job kinds and handlers (registered in ``server.jobs.handlers``)."""

from __future__ import annotations

from server.jobs.worker import GiveUp, Handler
from server.workflow.follow_ups import SEND_FOLLOW_UP, send_follow_up
from server.workflow.pipeline import PROCESS_LEAD, REANALYSE_LEAD, process_lead, reanalyse_lead

HANDLERS: dict[str, Handler] = {
    PROCESS_LEAD: process_lead,
    REANALYSE_LEAD: reanalyse_lead,
    SEND_FOLLOW_UP: send_follow_up,
}
GIVE_UP: dict[str, GiveUp] = {}

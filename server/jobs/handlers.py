"""Every job kind and its handler; the worker runs only what is listed here."""

from __future__ import annotations

from server.jobs.worker import GiveUp, Handler
from server.mail.service import DELIVER_EMAIL, deliver_email, email_gave_up


def handlers() -> dict[str, Handler]:
    from server.workflow import jobs as workflow_jobs

    return {DELIVER_EMAIL: deliver_email, **workflow_jobs.HANDLERS}


def give_up_handlers() -> dict[str, GiveUp]:
    from server.workflow import jobs as workflow_jobs

    return {DELIVER_EMAIL: email_gave_up, **workflow_jobs.GIVE_UP}

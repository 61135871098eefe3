"""The history checks catch what they are for: on a clean hand-made history they find nothing,
and each planted fault (a lead lost or stored twice, a mail repeated or never sent, a job left
running, a sync change skipped or repeated) is named. No database: ``problems`` is pure."""

from __future__ import annotations

import dataclasses

import pytest

from tests.faults.history import History, Mail, problems
from tests.faults.sync_log import Page, SyncLog

OWNER = "owner@sparkle.example"
CUSTOMERS = ["ann@customers.example", "bob@customers.example"]


def clean() -> History:
    """Two leads, each analysed once, with an AI reply and an owner alert, each delivered once;
    a desktop that pulled each lead's two versions."""
    mails = [
        Mail(f"<reply-{n}@x>", email, "auto_reply", "sent") for n, email in enumerate(CUSTOMERS)
    ] + [Mail(f"<alert-{n}@x>", OWNER, "owner_alert", "sent") for n in range(len(CUSTOMERS))]
    sync = SyncLog(
        [
            Page(0, 2, [("lead", "L1", 1, False), ("lead", "L2", 2, False)]),
            Page(2, 4, [("lead", "L1", 3, False), ("ai_analysis", "A1", 4, False)]),
            Page(4, 5, [("lead", "L2", 5, False)]),
        ]
    )
    return History(
        accepted=list(CUSTOMERS),
        cut_off=0,
        stored=list(CUSTOMERS),
        analyses={email: 1 for email in CUSTOMERS},
        jobs=[("analyse_lead", "done", 2), ("deliver_email", "done", 4)],
        mails=mails,
        delivered=[(m.message_id, m.to) for m in mails],
        business_contact=OWNER,
        sync=sync,
        synced_rows={("lead", "L1"): 3, ("lead", "L2"): 5, ("ai_analysis", "A1"): 4},
    )


def test_a_clean_history_has_no_problems():
    assert problems(clean()) == []


def _planted(**changes: object) -> History:
    return dataclasses.replace(clean(), **changes)


@pytest.mark.parametrize(
    ("history", "named"),
    [
        (_planted(stored=CUSTOMERS[:1]), "accepted leads were not stored"),
        (_planted(stored=[*CUSTOMERS, CUSTOMERS[0]]), "leads were stored twice"),
        (_planted(accepted=CUSTOMERS[:1]), "stored leads no client saw"),
        (_planted(analyses={CUSTOMERS[0]: 2, CUSTOMERS[1]: 1}), "number of analyses"),
        (_planted(jobs=[("deliver_email", "running", 1)]), "jobs not done"),
    ],
    ids=["lead lost", "lead stored twice", "lead from nowhere", "analysed twice", "job left"],
)
def test_a_lead_or_job_fault_is_named(history: History, named: str):
    assert any(named in problem for problem in problems(history)), problems(history)


def test_a_mail_delivered_twice_is_named_unless_it_was_in_flight_at_a_kill():
    history = clean()
    history.delivered.append(history.delivered[0])
    repeated = history.delivered[0][0]

    assert any("delivered more than once" in p for p in problems(history))
    assert problems(history, frozenset({repeated})) == []
    history.delivered.append(history.delivered[0])  # three times: never explained by a kill
    assert any("delivered more than once" in p for p in problems(history, frozenset({repeated})))


def test_a_job_completed_before_its_mail_was_recorded_is_named():
    """What the planted worker leaves behind: the job done, the mail queued, never delivered."""
    history = clean()
    lost = history.mails[0]
    history.mails[0] = dataclasses.replace(lost, status="queued")
    history.delivered = [d for d in history.delivered if d[0] != lost.message_id]

    found = problems(history)
    assert any("mails not sent: {'queued': 1}" in p for p in found), found
    assert any("recorded mails never reached the SMTP server" in p for p in found), found
    assert any("did not get exactly their recorded mails" in p for p in found), found


def test_a_lead_s_mails_arriving_out_of_queue_order_are_named():
    """An owner's reply that overtook the first mail to its customer (each mail on its own
    retry schedule after an outage)."""
    history = clean()
    first = dataclasses.replace(history.mails[0], lead="L1")
    reply = Mail("<owner-reply-0@x>", first.to, "owner_reply", "sent", "L1")
    history.mails = [first, reply, *history.mails[1:]]
    history.delivered = [(first.message_id, first.to), (reply.message_id, reply.to)]
    history.delivered += [(m.message_id, m.to) for m in history.mails[2:]]
    assert problems(history) == []

    history.delivered[0], history.delivered[1] = history.delivered[1], history.delivered[0]
    found = problems(history)
    assert len(found) == 1 and "1 leads' mails arrived out of queue order" in found[0], found
    assert f"arrived {[reply.message_id, first.message_id]}" in found[0], found


def test_a_sync_change_skipped_or_repeated_is_named():
    skipped = clean()
    assert skipped.sync is not None
    skipped.sync.pages[2] = Page(4, 5, [])  # lead L2's last change never came
    assert any("stayed behind their latest change" in p for p in problems(skipped))

    repeated = clean()
    assert repeated.sync is not None
    repeated.sync.pages.append(Page(5, 5, [("lead", "L2", 5, False)]))  # the same change again
    found = problems(repeated)
    assert any("changes came twice" in p for p in found), found
    assert any("out of order" in p for p in found), found

    missing = clean()
    missing.synced_rows[("message", "M1")] = 6  # a row the desktop never heard of
    assert any("never reached the desktop" in p for p in problems(missing))

    rewound = clean()
    assert rewound.sync is not None
    rewound.sync.pages[1] = Page(1, 4, rewound.sync.pages[1].changes)  # a cursor not stored
    assert any("not the stored" in p for p in problems(rewound))

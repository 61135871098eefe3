"""``Session``: one signed-in business, as a Qt service object.

Every method is called from the GUI thread and returns at once; the work runs on the service
thread (network, SQLite, keyring) and comes back as signals carrying ``shared.models`` objects,
query rows or typed errors. A mutation is written to the outbox before any signal shows it.

The class is put together from one part per responsibility, each a module of this package
(the parts are mixins over ``SessionBase``; see ``base.Part``):

- ``base.SessionBase``: the local copy, the lazily made API client and sync engine, start,
  stop and sign-out, and the signals several parts emit;
- ``leads.LeadReads``: what the inbox, the lead view, follow-ups and conversations show;
- ``mutations.LeadMutations``: the owner's changes to leads and follow-ups, through the outbox;
- ``business.BusinessSettings``: the business, form, team and logo, online through the API.

The service-thread plumbing (``_run``, the refresh token in the keyring) is
``desktop.service_object``'s, shared with the admin console's service objects.
"""

from __future__ import annotations

from desktop.session.base import SessionBase
from desktop.session.business import BusinessSettings
from desktop.session.leads import LeadReads, save_download
from desktop.session.mutations import LeadMutations

__all__ = ["Session", "SessionBase", "save_download"]


class Session(LeadReads, LeadMutations, BusinessSettings, SessionBase):
    """The UI's one handle on a signed-in business (see the parts for what each method does)."""

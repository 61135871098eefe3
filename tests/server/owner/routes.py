"""The table of every owner route, from which the auth and tenant-isolation matrices are made.

``{lead_id}``, ``{follow_up_id}``, ``{member_id}`` and ``{message_id}`` are filled in per test; a
body of ``None`` sends no JSON; ``succeeds`` is what the call answers on the caller's own objects.
``test_every_owner_route_is_in_the_table`` keeps this table complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.server.owner.people import OWNER

LATER = "2031-05-04T10:00:00+00:00"
DEVICE = "2f1c9f0e-3c37-4c36-9e55-8d2b8f0c1a11"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, Any] | None = None
    succeeds: tuple[int, ...] = (200, 201)

    @property
    def label(self) -> str:
        suffix = f" {sorted(self.body)}" if self.body else ""
        return f"{self.method} {self.path}{suffix}"

    def url(self, **ids: str) -> str:
        # Ids a test does not fill in (an attachment, an unmatched mail) name nothing that exists.
        return OWNER + self.path.format_map(_Ids(ids))


class _Ids(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "00000000-0000-4000-8000-0000000000ff"


OBJECT_ROUTES = [
    Route("GET", "/leads/{lead_id}"),
    Route("PATCH", "/leads/{lead_id}", {"status": "lost"}),
    Route("POST", "/leads/{lead_id}/open"),
    Route("GET", "/leads/{lead_id}/messages"),
    Route("POST", "/leads/{lead_id}/messages", {"content": "Hi", "client_id": "iso-1"}),
    Route("POST", "/leads/{lead_id}/approve-draft", {}),
    Route("POST", "/leads/{lead_id}/approve-draft", {"content": "Edited"}),
    Route("POST", "/leads/{lead_id}/notes", {"content": "Mine now"}),
    # The message is one that went out: 409 (not resendable) shows the id was found.
    Route("POST", "/leads/{lead_id}/messages/{message_id}/resend", None, (409,)),
    Route("GET", "/leads/{lead_id}/timeline"),
    Route("POST", "/leads/{lead_id}/follow-ups", {"scheduled_at": LATER}),
    Route("PATCH", "/follow-ups/{follow_up_id}", {"status": "sent"}),
    Route("PATCH", "/follow-ups/{follow_up_id}", {"status": "canceled"}),
    Route("PATCH", "/follow-ups/{follow_up_id}", {"scheduled_at": LATER}),
    Route("POST", "/team/{member_id}/deactivate"),
    Route("POST", "/team/{member_id}/reactivate"),
    # Inbound mail is off in these tests: the lead is found, then 409 `inbound_disabled`
    # (tests/server/inbound/test_revoke.py revokes with it on).
    Route("POST", "/leads/{lead_id}/reply-address/rotate", None, (409,)),
]

BUSINESS_ROUTES = [
    Route("GET", "/leads"),
    Route("GET", "/follow-ups"),
    Route("GET", "/business"),
    Route("PATCH", "/business", {"phone": "+1 555 0100"}),
    Route("POST", "/business/logo"),  # multipart; the auth and scope checks come first
    Route("DELETE", "/business/logo"),
    Route("GET", "/form"),
    Route("PATCH", "/form", {"title": "A title"}),
    Route("GET", "/metrics"),
    Route("GET", "/team"),
    Route("POST", "/team/invites", {"email": "someone@example.com"}),
    Route("GET", "/sync"),
    Route("POST", "/sync/push", {"device_id": DEVICE, "mutations": []}),
    Route("GET", "/events"),
    Route("GET", "/inbound/unmatched"),
]

# Objects of inbound mail (tests/server/inbound checks their isolation with real mail).
INBOUND_ROUTES = [
    Route("GET", "/leads/{lead_id}/attachments/{attachment_id}"),
    Route("POST", "/inbound/unmatched/{mail_id}/attach", {"lead_id": DEVICE}),
]

ALL_ROUTES = OBJECT_ROUTES + BUSINESS_ROUTES + INBOUND_ROUTES

# One push mutation of each type, aimed at the objects whose ids are filled in.
PUSH_MUTATIONS: list[dict[str, Any]] = [
    {"type": "reply", "lead_id": "{lead_id}", "content": "Hello from elsewhere"},
    {"type": "approve_draft", "lead_id": "{lead_id}"},
    {"type": "approve_draft", "lead_id": "{lead_id}", "content": "Edited"},
    {"type": "set_status", "lead_id": "{lead_id}", "status": "spam"},
    {"type": "add_note", "lead_id": "{lead_id}", "content": "Note"},
    {"type": "update_follow_up", "follow_up_id": "{follow_up_id}", "status": "sent"},
    {"type": "update_follow_up", "follow_up_id": "{follow_up_id}", "status": "canceled"},
    {"type": "update_follow_up", "follow_up_id": "{follow_up_id}", "scheduled_at": LATER},
]


def mutation_label(mutation: dict[str, Any]) -> str:
    extra = sorted(k for k in mutation if k not in ("type", "lead_id", "follow_up_id"))
    return f"{mutation['type']} {extra}"


def fill(mutation: dict[str, Any], **ids: str) -> dict[str, Any]:
    return {k: v.format(**ids) if isinstance(v, str) else v for k, v in mutation.items()}

"""An AI provider that misbehaves the way real ones do, and the history check for leads that
fell back: a chat-completions server on loopback that hangs (accepts the request, never
answers) or rate-limits (429 with ``Retry-After``), recording every request."""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.faults.cluster import Outcome, query
from tests.server.intake.ai_stand_in import SAFE_ANSWER
from tests.server.support import SmtpSink

HANG = "hang"
RATE_LIMITED = "rate_limited"
ANSWER = "answer"

_LEAD_NUMBER = re.compile(r"\(lead (\d+)\)")  # in every message ``submit_load`` sends


@dataclass(frozen=True)
class Request:
    at: float  # monotonic, when the request was read
    lead: int | None  # the lead's number in ``submit_load``, read from the prompt
    status: int | None  # what was answered (None: hung, never answered)


@dataclass
class FaultyAI:
    """``mode`` decides every answer: ``HANG`` (until ``release`` or ``stop``), ``RATE_LIMITED``
    (429 with ``Retry-After: retry_after_s``) or ``ANSWER`` (a safe analysis)."""

    mode: str = ANSWER
    retry_after_s: int = 3
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    hanging: int = 0  # requests held open right now, their client still waiting
    most_hanging: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def release(self, mode: str = ANSWER) -> None:
        """Answer from now on as ``mode``; requests hanging now are dropped without an answer."""
        self.mode = mode
        self._released.set()

    def _note(self, body: bytes, status: int | None) -> None:
        found = _LEAD_NUMBER.search(body.decode(errors="replace"))
        lead = int(found.group(1)) if found else None
        with self._lock:
            self.requests.append(Request(time.monotonic(), lead, status))

    def start(self) -> None:
        ai = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mode = ai.mode
                if mode == HANG:
                    ai._note(body, None)
                    with ai._lock:
                        ai.hanging += 1
                        ai.most_hanging = max(ai.most_hanging, ai.hanging)
                    # Held until released, or until the client gives up (its timeout): only
                    # calls a worker is still waiting on count as hanging.
                    while not ai._released.wait(0.1) and not self._client_left():
                        pass
                    with ai._lock:
                        ai.hanging -= 1
                    self.close_connection = True
                    return  # the client timed out long ago: close without a word
                if mode == RATE_LIMITED:
                    status = 429
                    data = b'{"error": {"message": "Rate limit reached", "type": "rate_limit"}}'
                else:
                    status = 200
                    content = json.dumps(SAFE_ANSWER)
                    data = json.dumps(
                        {"choices": [{"message": {"role": "assistant", "content": content}}]}
                    ).encode()
                ai._note(body, status)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if status == 429:
                        self.send_header("Retry-After", str(ai.retry_after_s))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _client_left(self) -> bool:
                readable, _, _ = select.select([self.connection], [], [], 0)
                try:
                    return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def per_lead(self) -> dict[int, list[Request]]:
        with self._lock:
            requests = list(self.requests)
        leads: dict[int, list[Request]] = {}
        for request in requests:
            if request.lead is not None:
                leads.setdefault(request.lead, []).append(request)
        return leads


def check_fallback_history(
    url: str,
    smtp: SmtpSink,
    outcome: Outcome,
    *,
    business_contact: str,
    answered_by_owner: str = "",
) -> None:
    """Every 202 is one stored lead, analysed by the fallback and held ``ai_unavailable``: the
    customer got the acknowledgement (or, for ``answered_by_owner``, only the owner's reply, as
    a human action wins), the owner one alert, each mail sent once; a ``reanalyse_lead`` job
    waits for each lead, every other job is done."""
    assert outcome.accepted, "no submit was accepted"
    stored = Counter(email for (email,) in query(url, "SELECT customer_email FROM leads"))
    assert not [e for e in outcome.accepted if stored[e] == 0], "an accepted lead was not stored"
    assert all(n == 1 for n in stored.values()), "a lead was stored twice"

    leads = query(
        url,
        "SELECT l.customer_email, l.gate_allowed, l.gate_reasons, l.auto_sent,"
        " (SELECT count(*) FROM ai_analyses a WHERE a.lead_id = l.id AND a.status = 'fallback'),"
        " (SELECT count(*) FROM ai_analyses a WHERE a.lead_id = l.id) FROM leads l",
    )
    for email, allowed, reasons, auto_sent, fallbacks, analyses in leads:
        assert (fallbacks, analyses) == (1, 1), (email, fallbacks, analyses)
        assert allowed is False and auto_sent is False, email
        assert "ai_unavailable" in reasons, (email, reasons)

    jobs = Counter((kind, status) for kind, status in query(url, "SELECT kind, status FROM jobs"))
    assert jobs[("reanalyse_lead", "queued")] == len(stored), jobs
    assert {status for (kind, status) in jobs if kind != "reanalyse_lead"} == {"done"}, jobs

    events = query(
        url,
        "SELECT message_id, to_address, kind, status FROM email_events WHERE lead_id IS NOT NULL",
    )
    assert {status for *_rest, status in events} == {"sent"}, Counter(e[3] for e in events)
    kinds = Counter(kind for _m, _to, kind, _s in events)
    assert kinds["owner_alert"] == len(stored), kinds
    assert kinds["auto_reply"] == 0, kinds
    customer = {to: kind for _m, to, kind, _s in events if kind != "owner_alert"}
    assert Counter(to for _m, to, kind, _s in events if kind != "owner_alert") == Counter(
        set(stored)
    ), "each customer gets exactly one mail"
    for email in stored:
        expected = "owner_reply" if email == answered_by_owner else "acknowledgement"
        assert customer[email] == expected, (email, customer[email])

    delivered = Counter(str(m["Message-ID"]) for m in smtp.messages)
    assert not {m: n for m, n in delivered.items() if n > 1}, "a mail was delivered twice"
    assert not {m for m, *_ in events} - set(delivered), "a recorded mail never reached SMTP"
    for email in stored:
        assert len(smtp.to(email)) == 1, email
    assert len({str(m["Message-ID"]) for m in smtp.to(business_contact)}) == len(stored)

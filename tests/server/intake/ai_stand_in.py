"""A real HTTP server speaking the chat-completions API, with behaviour a test controls.

Each call takes the next entry of ``script`` (then ``default``): a valid analysis, an HTTP 500,
content that is not JSON, a JSON array, a JSON object cut off mid-way, a response body shorter
than its declared length, or a valid answer after a delay.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SAFE_ANSWER: dict[str, Any] = {
    "summary": "Asks for help with a deep clean.",
    "urgency": "normal",
    "intent": "question",
    "suggested_reply": (
        "Hi Casey,\n\nThank you for contacting us about your request. A member of the team "
        "will be in touch soon.\n\nKind regards,\nThe team"
    ),
    "next_step": "Call the customer back.",
    "tags": ["cleaning"],
    "risk_level": "low",
    "confidence_score": 0.93,
    "blocked_topics": [],
    "auto_send_allowed": True,
    "spam": False,
}

OK = "ok"
HTTP_500 = "http_500"
MALFORMED = "malformed"
NON_OBJECT = "non_object"
TRUNCATED = "truncated"
TRUNCATED_BODY = "truncated_body"
SLOW = "slow"


@dataclass
class AIStandIn:
    script: list[str] = field(default_factory=list)
    default: str = OK
    answer: dict[str, Any] = field(default_factory=lambda: dict(SAFE_ANSWER))
    delay_s: float = 0.0
    slow_when: str | None = None  # any request whose prompt contains this waits ``delay_s``
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    def fail_first(self, count: int, how: str = HTTP_500) -> None:
        self.script = [how] * count

    def _next(self, body: dict[str, Any]) -> str:
        with self._lock:
            self.requests.append(body)
            return self.script.pop(0) if self.script else self.default

    def start(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                behaviour = stand_in._next(body)
                if stand_in.slow_when and stand_in.slow_when in json.dumps(body):
                    behaviour = SLOW
                status, payload, declared = stand_in._respond(behaviour)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(declared or len(payload)))
                    if declared:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left
                if declared:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _respond(self, behaviour: str) -> tuple[int, bytes, int]:
        """(status, body, declared length when it lies about the length)."""
        if behaviour == SLOW:
            time.sleep(self.delay_s)
        if behaviour == HTTP_500:
            return 500, b'{"error": {"message": "overloaded"}}', 0
        content = json.dumps(self.answer)
        if behaviour == MALFORMED:
            content = "Sure! Here is the analysis you asked for: urgency normal, intent question."
        elif behaviour == NON_OBJECT:
            content = json.dumps([self.answer])
        elif behaviour == TRUNCATED:
            content = content[: len(content) // 2]
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
        data = body.encode()
        if behaviour == TRUNCATED_BODY:
            return 200, data[: len(data) // 2], len(data)
        return 200, data, 0

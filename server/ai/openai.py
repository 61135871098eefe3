"""Analysis by any OpenAI-compatible chat-completions API (DeepSeek by default).

The model's answer is parsed as one JSON object and validated strictly against ``Analysis``
(a string "false" is not a boolean, a missing field or an unknown enum value is an error).
One retry on a timeout, a connection error, a 429 without ``Retry-After``, a 5xx or an invalid
answer; after that the provider returns the conservative fallback outcome. A 429 with
``Retry-After`` is not retried: until that time has passed no call of this process goes to the
provider, each returns the fallback with ``retry_after_s`` (the job retries then). It never raises
for a provider problem and never logs the API key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import ValidationError

from server.ai.base import Analysis, AnalysisOutcome, LeadForAnalysis
from server.ai.fallback import MAX_RAW_OUTPUT_CHARS, fallback_outcome
from server.ai.prompt import PROMPT_VERSION, messages
from shared.models.enums import AnalysisStatus, Intent

log = logging.getLogger(__name__)

ATTEMPTS = 2
MAX_RETRY_AFTER_S = 900.0  # a provider asking for longer is retried after 15 min anyway
_FIELDS = frozenset(Analysis.model_fields)


class _Retryable(Exception):
    """A failed attempt worth one more try; ``raw`` is the content the model returned, if any."""

    def __init__(
        self,
        message: str,
        raw: str | None = None,
        *,
        final: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.final = final or retry_after_s is not None
        self.retry_after_s = retry_after_s


def retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


_INTENTS = frozenset(Intent._value2member_map_)
MAX_TAGS = 10


def _descriptive_fields_normalised(known: dict[str, Any]) -> dict[str, Any]:
    """Real models drift on the descriptive fields, which decide nothing: an intent off the
    list becomes ``other`` with the model's word kept, tags become a short list of words, and
    long texts are cut. The safety fields (``auto_send_allowed``, ``risk_level``,
    ``confidence_score``, ``blocked_topics``) are left as they came, for strict validation."""
    intent = known.get("intent")
    if isinstance(intent, str):
        word = re.sub(r"[\s\-]+", "_", intent.strip().lower())
        if word in _INTENTS:
            known["intent"] = word
        elif intent.strip():
            known["intent"], known["intent_word"] = Intent.OTHER.value, intent.strip()[:80]
    tags = known.get("tags")
    if isinstance(tags, str):
        tags = [tags]
    if isinstance(tags, list):
        known["tags"] = [str(t).strip()[:40] for t in tags if str(t).strip()][:MAX_TAGS]
    if "next_step" not in known or known["next_step"] is None:
        known["next_step"] = ""
    for name, limit in (("summary", 2000), ("next_step", 1000)):
        if isinstance(known.get(name), str):
            known[name] = known[name][:limit]
    return known


def parse_analysis(content: str) -> Analysis:
    """Strictly validate the model's content; unknown keys are dropped, nothing is coerced."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise _Retryable(f"model output is not JSON: {exc.msg}", content) from exc
    if not isinstance(data, dict):
        raise _Retryable("model output is not a JSON object", content)
    known = _descriptive_fields_normalised(
        {key: value for key, value in data.items() if key in _FIELDS and key != "intent_word"}
    )
    try:
        # JSON mode: enum values arrive as strings, and strictness still refuses "false" for a bool.
        return Analysis.model_validate_json(json.dumps(known), strict=True)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
        raise _Retryable(f"model output does not match the schema ({fields})", content) from exc


POOL_CONNECTIONS = 10


class OpenAICompatibleAnalyser:
    """``AIProvider`` for ``POST {base_url}/chat/completions`` with a bearer key."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float,
        kept_connections: int = 100,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self._timeout = httpx.Timeout(timeout_s)
        # The worker bounds the calls at once (LEADFLOW_AI_CONCURRENCY); as many connections stay
        # open for the next ones, in pools of ``POOL_CONNECTIONS`` used in turn: httpx's pool
        # looks over every connection of its own at each request and each release, so one pool
        # of a hundred cost more CPU per call than the rest of the call.
        self._pools = max(1, -(-kept_connections // POOL_CONNECTIONS))
        self._limits = httpx.Limits(
            max_connections=None, max_keepalive_connections=-(-kept_connections // self._pools)
        )
        self._clients: list[httpx.AsyncClient] = []
        self._turn = 0
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the clients belong to
        self._quiet_until = 0.0  # monotonic time before which the provider asked not to call

    def _http(self) -> httpx.AsyncClient:
        """The next of the pooled clients of this event loop: a new TLS connection per lead
        costs tens of ms."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            tls = httpx.create_ssl_context()  # one for all: each takes tens of ms to load
            self._clients = [
                httpx.AsyncClient(timeout=self._timeout, limits=self._limits, verify=tls)
                for _ in range(self._pools)
            ]
            self._loop = loop
        self._turn = (self._turn + 1) % self._pools
        return self._clients[self._turn]

    def __repr__(self) -> str:  # keeps the key out of logs and tracebacks
        return f"OpenAICompatibleAnalyser(base_url={self.base_url!r}, model={self.model!r})"

    async def analyse(self, lead: LeadForAnalysis) -> AnalysisOutcome:
        started = time.perf_counter()
        raw: str | None = None
        error = "no attempt made"
        wait_s = self._quiet_until - time.monotonic()
        if wait_s > 0:  # rate limited: a request now would only be refused again
            return await self._fallback(
                lead, f"AI provider rate limited: retry in {wait_s:.0f} s", None, started, wait_s
            )
        retry_after: float | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                raw = None
                raw = await self._complete(lead)
                analysis = parse_analysis(raw)
            except _Retryable as exc:
                raw = exc.raw if exc.raw is not None else raw
                error = str(exc)
                retry_after = exc.retry_after_s
                log.warning("AI attempt %d/%d failed: %s", attempt, ATTEMPTS, error)
                if exc.final:
                    break
                continue
            return AnalysisOutcome(
                analysis=analysis,
                provider=self.name,
                model=self.model,
                prompt_version=PROMPT_VERSION,
                status=AnalysisStatus.OK,
                raw_output=raw[:MAX_RAW_OUTPUT_CHARS],
                latency_ms=_elapsed_ms(started),
            )
        return await self._fallback(lead, error, raw, started, retry_after)

    async def _fallback(
        self,
        lead: LeadForAnalysis,
        error: str,
        raw: str | None,
        started: float,
        retry_after: float | None,
    ) -> AnalysisOutcome:
        outcome = await asyncio.to_thread(  # the built-in rules' CPU work stays off the loop
            fallback_outcome,
            lead,
            provider=self.name,
            model=self.model,
            prompt_version=PROMPT_VERSION,
            error=error,
            raw_output=raw,
            latency_ms=_elapsed_ms(started),
        )
        return outcome.model_copy(update={"retry_after_s": retry_after})

    async def _complete(self, lead: LeadForAnalysis) -> str:
        """One chat-completions call; returns the message content or raises ``_Retryable``."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages(lead),
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        headers = {"Authorization": f"Bearer {self._api_key}"}
        url = f"{self.base_url}/chat/completions"
        try:
            response = await self._http().post(
                url, json=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout calling the AI provider ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise _Retryable(f"cannot reach the AI provider ({type(exc).__name__})") from exc
        if response.status_code == 429:
            wait_s = retry_after_s(response.headers.get("Retry-After"))
            if wait_s is not None:
                self._quiet_until = max(self._quiet_until, time.monotonic() + wait_s)
            raise _Retryable("AI provider answered HTTP 429 (rate limited)", retry_after_s=wait_s)
        if response.status_code >= 500:
            raise _Retryable(f"AI provider answered HTTP {response.status_code}")
        if response.status_code >= 400:
            # A bad key or model will not heal on a retry.
            raise _Retryable(f"AI provider answered HTTP {response.status_code}", final=True)
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _Retryable("AI provider answer has no message content", response.text) from exc
        if not isinstance(content, str):
            raise _Retryable("AI provider message content is not text", response.text)
        return content


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)

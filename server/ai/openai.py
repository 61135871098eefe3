"""Analysis by any OpenAI-compatible chat-completions API (DeepSeek by default).

The model's answer is parsed as one JSON object and validated strictly against ``Analysis``
(a string "false" is not a boolean, a missing field or an unknown enum value is an error).
One retry on a timeout, a connection error, a 429, a 5xx or an invalid answer; after that the
provider returns the conservative fallback outcome. It never raises for a provider problem and
never logs the API key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
from pydantic import ValidationError

from server.ai.base import Analysis, AnalysisOutcome, LeadForAnalysis
from server.ai.fallback import MAX_RAW_OUTPUT_CHARS, fallback_outcome
from server.ai.prompt import PROMPT_VERSION, messages
from shared.models.enums import AnalysisStatus

log = logging.getLogger(__name__)

ATTEMPTS = 2
_FIELDS = frozenset(Analysis.model_fields)


class _Retryable(Exception):
    """A failed attempt worth one more try; ``raw`` is the content the model returned, if any."""

    def __init__(self, message: str, raw: str | None = None, *, final: bool = False) -> None:
        super().__init__(message)
        self.raw = raw
        self.final = final


def parse_analysis(content: str) -> Analysis:
    """Strictly validate the model's content; unknown keys are dropped, nothing is coerced."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise _Retryable(f"model output is not JSON: {exc.msg}", content) from exc
    if not isinstance(data, dict):
        raise _Retryable("model output is not a JSON object", content)
    known = {key: value for key, value in data.items() if key in _FIELDS}
    try:
        # JSON mode: enum values arrive as strings, and strictness still refuses "false" for a bool.
        return Analysis.model_validate_json(json.dumps(known), strict=True)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
        raise _Retryable(f"model output does not match the schema ({fields})", content) from exc


class OpenAICompatibleAnalyser:
    """``AIProvider`` for ``POST {base_url}/chat/completions`` with a bearer key."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self._timeout = httpx.Timeout(timeout_s)
        self._client = http_client
        self._owned_loop: asyncio.AbstractEventLoop | None = None  # set when we made the client

    def _http(self) -> httpx.AsyncClient:
        """One pooled client per event loop: a new TLS connection per lead costs tens of ms."""
        loop = asyncio.get_running_loop()
        if self._client is None or (self._owned_loop is not None and self._owned_loop is not loop):
            self._client = httpx.AsyncClient(timeout=self._timeout)
            self._owned_loop = loop
        return self._client

    def __repr__(self) -> str:  # keeps the key out of logs and tracebacks
        return f"OpenAICompatibleAnalyser(base_url={self.base_url!r}, model={self.model!r})"

    async def analyse(self, lead: LeadForAnalysis) -> AnalysisOutcome:
        started = time.perf_counter()
        raw: str | None = None
        error = "no attempt made"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                raw = None
                raw = await self._complete(lead)
                analysis = parse_analysis(raw)
            except _Retryable as exc:
                raw = exc.raw if exc.raw is not None else raw
                error = str(exc)
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
        return await asyncio.to_thread(  # the built-in rules' CPU work stays off the loop
            fallback_outcome,
            lead,
            provider=self.name,
            model=self.model,
            prompt_version=PROMPT_VERSION,
            error=error,
            raw_output=raw,
            latency_ms=_elapsed_ms(started),
        )

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
        if response.status_code == 429 or response.status_code >= 500:
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

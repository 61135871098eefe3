"""The analysis contract every AI provider fulfils.

A provider reads one lead (as untrusted customer text plus the business context) and returns an
``AnalysisOutcome``. Providers never raise for a bad answer from a model: they return an outcome
with ``status="fallback"`` and the error, so the workflow can hold the reply for the owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from shared.models.enums import AnalysisStatus, BlockedTopic, Intent, RiskLevel, Urgency


@dataclass(frozen=True)
class LeadForAnalysis:
    """What a provider may read: the business context and the customer's (untrusted) fields."""

    business_name: str
    industry: str | None
    services: list[str]
    facts: str | None
    customer_name: str
    customer_email: str | None
    customer_phone: str | None
    service_needed: str | None
    preferred_time: str | None
    message: str
    business_email: str | None = None
    business_phone: str | None = None
    extra_messages: list[str] = field(default_factory=list)


class Analysis(BaseModel):
    """The parsed analysis fields of CONTRACT §6 (what a model must produce)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    summary: str = Field(max_length=2000)
    urgency: Urgency
    intent: Intent
    suggested_reply: str = Field(max_length=5000)
    next_step: str = Field(max_length=1000)
    tags: list[str]
    risk_level: RiskLevel
    confidence_score: float = Field(ge=0.0, le=1.0)
    blocked_topics: list[BlockedTopic]
    auto_send_allowed: bool
    spam: bool = False
    # The model's own intent word when it was not one of ``Intent`` (then ``intent`` is other).
    intent_word: str | None = Field(default=None, max_length=80)


class AnalysisOutcome(BaseModel):
    """An analysis plus how it was obtained (stored on the ``ai_analyses`` row)."""

    analysis: Analysis
    provider: str
    model: str
    prompt_version: str
    status: AnalysisStatus
    raw_output: str | None = None
    error: str | None = None
    latency_ms: int = 0
    # The provider asked not to be called again before this many seconds (a 429's Retry-After).
    retry_after_s: float | None = None


class AIProvider(Protocol):
    name: str
    model: str

    async def analyse(self, lead: LeadForAnalysis) -> AnalysisOutcome: ...

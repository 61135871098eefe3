"""The conservative outcome a provider returns when the model cannot be used.

It keeps the local analyser's reading (urgency, intent, topics, summary) so the owner still
sees a triaged lead, but it never allows an automatic reply: ``auto_send_allowed`` is false,
the confidence is 0 and the status is ``fallback``, which the gate reads as ``ai_unavailable``.
"""

from __future__ import annotations

from server.ai.base import Analysis, AnalysisOutcome, LeadForAnalysis
from server.ai.local import analyse_lead
from shared.models.enums import AnalysisStatus

MAX_RAW_OUTPUT_CHARS = 20_000


def fallback_outcome(
    lead: LeadForAnalysis,
    *,
    provider: str,
    model: str,
    prompt_version: str,
    error: str,
    raw_output: str | None = None,
    latency_ms: int = 0,
) -> AnalysisOutcome:
    local = analyse_lead(lead)
    analysis = Analysis(
        summary=f"{local.summary} (AI unavailable: read by the built-in rules.)"[:2000],
        urgency=local.urgency,
        intent=local.intent,
        suggested_reply=local.suggested_reply,
        next_step=local.next_step,
        tags=[*local.tags, "ai_fallback"],
        risk_level=local.risk_level,
        confidence_score=0.0,
        blocked_topics=local.blocked_topics,
        auto_send_allowed=False,
        spam=local.spam,
    )
    return AnalysisOutcome(
        analysis=analysis,
        provider=provider,
        model=model,
        prompt_version=prompt_version,
        status=AnalysisStatus.FALLBACK,
        raw_output=raw_output[:MAX_RAW_OUTPUT_CHARS] if raw_output is not None else None,
        error=error[:2000],
        latency_ms=latency_ms,
    )

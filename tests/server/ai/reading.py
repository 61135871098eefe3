"""What the gate asks of an analysis before an automatic reply (the business's switches and
the reply's own checks aside), for the analyser tests."""

from __future__ import annotations

from server.ai.base import Analysis
from shared.models.enums import RiskLevel


def auto_sendable(analysis: Analysis) -> bool:
    return (
        analysis.auto_send_allowed
        and analysis.confidence_score >= 0.75
        and analysis.risk_level is RiskLevel.LOW
        and not analysis.blocked_topics
        and not analysis.spam
    )

"""Whether the gate would let an analysis's reply go out by itself, for the analyser tests: the
real ``server.workflow.gate.decide``, with every business switch on and the default threshold,
so only the analysis itself (and its reply's own checks) can hold it."""

from __future__ import annotations

from server.ai.base import Analysis, AnalysisOutcome
from server.models.business import Business
from server.workflow.gate import GateInput, decide
from shared.models.enums import AnalysisStatus

DEFAULT_THRESHOLD = float(Business.__table__.c.auto_reply_threshold.default.arg)  # type: ignore[attr-defined]


def auto_sendable(analysis: Analysis) -> bool:
    outcome = AnalysisOutcome(
        analysis=analysis,
        provider="local",
        model="local",
        prompt_version="test",
        status=AnalysisStatus.OK,
    )
    decision = decide(
        GateInput(
            smart_auto_reply=True,
            owner_approval_required=False,
            business_active=True,
            confidence_threshold=DEFAULT_THRESHOLD,
            outcome=outcome,
            customer_email="customer@example.org",
            auto_emails_last_24h=0,
            spam_suspected=False,
            duplicate=False,
        )
    )
    return decision.allowed

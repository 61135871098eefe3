"""The safety gate: every reason on its own, all together, and the reply content checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.ai.base import Analysis, AnalysisOutcome
from server.workflow.gate import (
    MAX_AUTO_EMAILS_PER_DAY,
    GateInput,
    decide,
    reply_content_problems,
)
from shared.models.enums import (
    AnalysisStatus,
    BlockedTopic,
    GateReason,
    Intent,
    RiskLevel,
    Urgency,
)

GOOD_REPLY = (
    "Hi Ines,\n\nThank you for contacting Harbour Tiles about your Floor tiling request. "
    "A member of our team will be in touch.\n\nKind regards,\nThe Harbour Tiles team"
)


def _outcome(**changes: object) -> AnalysisOutcome:
    status = changes.pop("status", AnalysisStatus.OK)
    fields: dict[str, object] = {
        "summary": "Question about floor tiling.",
        "urgency": Urgency.NORMAL,
        "intent": Intent.QUESTION,
        "suggested_reply": GOOD_REPLY,
        "next_step": "Call back.",
        "tags": [],
        "risk_level": RiskLevel.LOW,
        "confidence_score": 0.9,
        "blocked_topics": [],
        "auto_send_allowed": True,
        "spam": False,
    }
    fields.update(changes)
    return AnalysisOutcome(
        analysis=Analysis.model_validate(fields),
        provider="local",
        model="leadflow-local-1",
        prompt_version="t",
        status=status,  # type: ignore[arg-type]
    )


def _input(**changes: object) -> GateInput:
    base = GateInput(
        smart_auto_reply=True,
        owner_approval_required=False,
        business_active=True,
        confidence_threshold=0.75,
        outcome=_outcome(),
        customer_email="ines@example.com",
        auto_emails_last_24h=0,
        spam_suspected=False,
        duplicate=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_clean_lead_is_allowed() -> None:
    decision = decide(_input())
    assert decision.allowed is True
    assert decision.reasons == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"smart_auto_reply": False}, GateReason.SMART_AUTO_REPLY_DISABLED),
        ({"owner_approval_required": True}, GateReason.OWNER_APPROVAL_REQUIRED),
        ({"business_active": False}, GateReason.BUSINESS_NOT_ACTIVE),
        ({"customer_email": None}, GateReason.NO_CUSTOMER_EMAIL),
        ({"customer_email": "  "}, GateReason.NO_CUSTOMER_EMAIL),
        ({"auto_emails_last_24h": MAX_AUTO_EMAILS_PER_DAY}, GateReason.REPLY_LIMIT_REACHED),
        ({"spam_suspected": True}, GateReason.SPAM_SUSPECTED),
        ({"duplicate": True}, GateReason.DUPLICATE_LEAD),
        ({"outcome": _outcome(auto_send_allowed=False)}, GateReason.AI_FLAGGED_UNSAFE),
        ({"outcome": _outcome(risk_level=RiskLevel.MEDIUM)}, GateReason.RISK_NOT_LOW),
        ({"outcome": _outcome(confidence_score=0.74)}, GateReason.LOW_CONFIDENCE),
        (
            {"outcome": _outcome(blocked_topics=[BlockedTopic.PRICE_COMMITMENT])},
            GateReason.BLOCKED_TOPICS,
        ),
        (
            {"outcome": _outcome(suggested_reply="Hi, the job costs $80.")},
            GateReason.REPLY_CONTENT_BLOCKED,
        ),
        ({"outcome": _outcome(spam=True)}, GateReason.SPAM_SUSPECTED),
    ],
)
def test_each_reason_alone_holds_the_reply(changes: dict[str, object], reason: GateReason) -> None:
    decision = decide(_input(**changes))
    assert decision.allowed is False
    assert decision.reasons == [reason]


def test_missing_ai_holds_the_reply_as_unavailable() -> None:
    decision = decide(_input(outcome=None))
    assert decision.allowed is False
    assert decision.reasons == [GateReason.AI_UNAVAILABLE]


def test_a_fallback_outcome_counts_as_unavailable() -> None:
    decision = decide(_input(outcome=_outcome(status=AnalysisStatus.FALLBACK)))
    assert decision.reasons == [GateReason.AI_UNAVAILABLE]


def test_two_prior_emails_are_still_under_the_limit() -> None:
    assert decide(_input(auto_emails_last_24h=MAX_AUTO_EMAILS_PER_DAY - 1)).allowed is True


def test_confidence_equal_to_the_threshold_passes() -> None:
    assert decide(_input(outcome=_outcome(confidence_score=0.75))).allowed is True


def test_all_reasons_are_listed_together_in_enum_order() -> None:
    outcome = _outcome(
        status=AnalysisStatus.FALLBACK,
        auto_send_allowed=False,
        risk_level=RiskLevel.HIGH,
        confidence_score=0.1,
        blocked_topics=[BlockedTopic.REFUND_OR_DISCOUNT],
        suggested_reply="We guarantee 50% off: visit https://deals.example now.",
        spam=True,
    )
    decision = decide(
        GateInput(
            smart_auto_reply=False,
            owner_approval_required=True,
            business_active=False,
            confidence_threshold=0.75,
            outcome=outcome,
            customer_email=None,
            auto_emails_last_24h=5,
            spam_suspected=True,
            duplicate=True,
        )
    )
    assert decision.allowed is False
    assert decision.reasons == list(GateReason)


@pytest.mark.parametrize(
    "reply",
    [
        "Our call-out is $95.",
        "That would be 120 € in total.",
        "Around £60 for the visit.",
        "It is 200 USD.",
        "It costs forty dollars.",
        "You get 50% off this month.",
        "We can do ten percent off.",
        "Our rate is 45/hour.",
        "Book at https://calendar.example/acme please.",
        "See www.acme-tiles.example for photos.",
        "Details on acme-tiles.example/prices.",
        "Write to sales@other.example for a quote.",
        "Call Dave on 555-0142 7788.",
        "Phone +44 20 7946 0991 any time.",
        "We guarantee the work.",
        "Your slot is confirmed.",
        "I've booked you in.",
        "We can offer a discount.",
        "You will get a refund.",
        "The inspection is free of charge.",
        "We'll see you tomorrow.",
        "We can come at 9:30.",
        "",
        "   ",
        "x" * 1201,
    ],
)
def test_reply_content_that_commits_or_points_elsewhere_is_blocked(reply: str) -> None:
    assert reply_content_problems(reply) != []
    outcome = _outcome(suggested_reply=reply or "placeholder")
    if reply:
        assert GateReason.REPLY_CONTENT_BLOCKED in decide(_input(outcome=outcome)).reasons


def test_a_warm_non_committal_reply_passes() -> None:
    assert reply_content_problems(GOOD_REPLY) == []


def test_the_business_own_contacts_and_hosts_are_allowed() -> None:
    reply = (
        "Hi Ines, you can reach us at hello@harbour-tiles.example or on +1 555 0100 123, "
        "and the form is at https://forms.leadflow.example/f/harbour."
    )
    assert reply_content_problems(reply) != []
    assert (
        reply_content_problems(
            reply,
            business_emails=("Hello@Harbour-Tiles.example",),
            business_phones=("(555) 0100-123",),
            allowed_hosts=("leadflow.example",),
        )
        == []
    )


def test_a_foreign_email_or_phone_is_blocked_even_next_to_the_business_own() -> None:
    reply = "Write to hello@harbour-tiles.example or to bob@elsewhere.example, 555 0199 888."
    problems = reply_content_problems(
        reply, business_emails=("hello@harbour-tiles.example",), business_phones=("555 0100 123",)
    )
    assert any("bob@elsewhere.example" in p for p in problems)
    assert any("phone" in p for p in problems)


def test_a_lookalike_host_is_not_taken_for_an_allowed_one() -> None:
    reply = "Go to https://leadflow.example.evil.example/login"
    assert reply_content_problems(reply, allowed_hosts=("leadflow.example",)) != []

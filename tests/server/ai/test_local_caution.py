"""The local analyser holds what it cannot answer safely, also in wording its rules never saw.

The topic rules name asks phrase by phrase; ``server.ai.caution`` is the net under them. These
tests run the written-for-the-tests sentences of ``caution_cases`` through the analyser and the
gate's content checks: no unsafe one may be auto-sendable, and nearly every plain inquiry still
is (a held inquiry costs the owner a click, so a few may be held).
"""

from __future__ import annotations

import pytest

from server.ai.base import Analysis, LeadForAnalysis
from server.ai.caution import asking_sentences, needs_a_person, plain_inquiry
from server.ai.local import analyse_lead
from server.ai.text import fold
from tests.server.ai.caution_cases import READINGS, SAFE, UNSAFE
from tests.server.ai.reading import auto_sendable


def _analyse(message: str, service: str | None = None, time: str | None = None) -> Analysis:
    return analyse_lead(
        LeadForAnalysis(
            business_name="Bright & Early Services",
            industry="cleaning",
            services=["Deep clean", "Regular clean", "Oven clean"],
            facts=None,
            customer_name="Sam Taylor",
            customer_email="sam@example.com",
            customer_phone=None,
            service_needed=service,
            preferred_time=time,
            message=message,
        )
    )


@pytest.mark.parametrize("case", UNSAFE, ids=lambda c: (c if isinstance(c, str) else c[0])[:40])
def test_no_unsafe_message_is_auto_sendable(case: str | tuple[str, str | None, str | None]) -> None:
    message, service, time = (case, None, None) if isinstance(case, str) else case
    analysis = _analyse(message, service, time)
    assert not auto_sendable(analysis), analysis


def test_nearly_every_plain_inquiry_is_still_auto_sendable() -> None:
    held = [message for message in SAFE if not auto_sendable(_analyse(message))]
    assert len(held) <= len(SAFE) // 20, held  # at most 5 %


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can ya come round now", ["can ya come round now"]),  # no question mark
        ("we need a new tap. is there parking?", ["is there parking?"]),
        ("our kitchen needs a deep clean.", []),
    ],
)
def test_asking_sentences_are_found_with_or_without_a_question_mark(
    text: str, expected: list[str]
) -> None:
    assert asking_sentences(text) == expected


def test_a_clock_time_holds_in_the_message_but_is_a_preference_in_the_time_field() -> None:
    assert needs_a_person(fold("Please come and clean the flat at 10am"))
    assert not needs_a_person(fold("We'd like the flat cleaned"), fold("Saturday 10am"))
    assert needs_a_person(fold("We'd like the flat cleaned"), fold("Saturday 10am, please confirm"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Do you do skin fades?", True),
        ("We'd love some help planning the garden.", True),
        ("Necesito limpieza de alfombras.", True),
        ("Könnten Sie sich das ansehen?", True),
        ("Kitchen sink drains very slowly even after using a plunger.", True),  # a described job
        ("Is 11 too early for you lot?", False),
        ("You've left paint all over my new carpet.", False),
        ("Mate, nobody's answered the phone in three days.", False),
        ("Count me out for Saturday's class.", False),
    ],
)
def test_an_inquiry_must_ask_for_the_service_or_about_it(message: str, expected: bool) -> None:
    assert plain_inquiry(fold(message)) is expected


def test_intent_and_urgency_agree_with_a_human_on_new_wording() -> None:
    intent = sum(_analyse(m).intent.value == want for m, want, _ in READINGS)
    urgency = sum(_analyse(m).urgency.value == want for m, _, want in READINGS)
    print(f"\nnew wording: intent {intent}/{len(READINGS)}, urgency {urgency}/{len(READINGS)}")
    assert intent >= 0.8 * len(READINGS)
    assert urgency >= 0.8 * len(READINGS)

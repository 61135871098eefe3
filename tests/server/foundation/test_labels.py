"""Every vocabulary value has one human label, and no label shows a code."""

from __future__ import annotations

import re

import pytest

from shared.models import enums
from shared.models.enums import BlockedTopic, Intent, Urgency, Vocabulary, label

VOCABULARIES = [
    cls
    for cls in vars(enums).values()
    if isinstance(cls, type) and issubclass(cls, Vocabulary) and cls is not Vocabulary
]


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda cls: cls.__name__)
def test_every_value_has_a_human_label(vocabulary: type[Vocabulary]) -> None:
    for value in vocabulary:
        assert value.label, value
        assert not re.search(r"[a-z]_[a-z]", value.label), value.label


def test_labels_are_words_not_codes() -> None:
    assert Urgency.HIGH.label == "High"
    assert Intent.QUOTE_REQUEST.label == "Asks for a quote"
    assert BlockedTopic.PRICE_COMMITMENT.label == "it asks about a price"


def test_a_value_outside_the_vocabulary_gets_the_fallback() -> None:
    assert label(Intent, "quote_request") == "Asks for a quote"
    assert label(Intent, "service_request", "Other") == "Other"
    assert label(Intent, None) == ""


def test_vocabularies_sharing_a_value_keep_their_own_labels() -> None:
    from shared.models.enums import CommStatus, LeadStatus

    # "new" is both a lead status and a reply status: each keeps its own words.
    assert LeadStatus.NEW.label == "New"
    assert CommStatus.NEW.label == "Not answered yet"
    assert label(LeadStatus, "follow_up") == "Follow-up" and Intent.FOLLOW_UP.label == "Follows up"
